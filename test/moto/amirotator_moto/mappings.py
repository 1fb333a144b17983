"""An image's EBS mappings (root included): how the patches read them, and patch 0, how DescribeImages shows them."""

from __future__ import annotations

from typing import Any

from moto.ec2.models.amis import Ami


def _mappings(ami: Any) -> list[tuple[str, Any]]:
    """(device name, snapshot) for each EBS mapping of the image, root included (see patch 8).
    moto's own images have exactly one: the root device with ``ebs_snapshot``."""
    extra = getattr(ami, "_amirotator_mappings", None)
    if extra:
        return list(extra)
    return [(ami.root_device_name, ami.ebs_snapshot)]


def _snapshot_ids(ami: Any) -> list[str]:
    ids = []
    for _device, snap in _mappings(ami):
        if snap.id not in ids:
            ids.append(snap.id)
    return ids


def _images_using_snapshot(backend: Any, snapshot_id: str) -> list[Ami]:
    """Registered images (in this backend's Region) with the snapshot on any device."""
    return [a for a in list(backend.amis.values()) if snapshot_id in _snapshot_ids(a)]


# --------------------------------------------------------------------------
# Patch 0 (supporting): an image's block device mappings, one per EBS snapshot,
# each reporting its snapshot's encryption. [API_Image] blockDeviceMapping:
# "Any block device mapping entries." -> [API_BlockDeviceMapping] deviceName,
# ebs -> [API_EbsBlockDevice] SnapshotId, Encrypted, KmsKeyId. With
# [API_CopyImage] "Copies of encrypted backing snapshots for the AMI are
# encrypted." the copy's mapping must say so. moto hard-codes one unencrypted
# root mapping (no Encrypted field at all); we list every mapping patch 8
# recorded, in the order RegisterImage gave them, and derive each one's fields
# from its snapshot.
# --------------------------------------------------------------------------
def _block_device_mappings(self: Ami) -> list[dict[str, Any]]:
    out = []
    for device, snap in _mappings(self):
        ebs: dict[str, Any] = {
            "SnapshotId": snap.id,
            "VolumeSize": getattr(snap.volume, "size", 15) or 15,
            "DeleteOnTermination": False,
            "VolumeType": "standard",
            "Encrypted": bool(snap.encrypted),
        }
        if snap.kms_key_id:
            ebs["KmsKeyId"] = snap.kms_key_id
        out.append({"DeviceName": device, "Ebs": ebs})
    return out
