#!/usr/bin/env python3
"""AmiRotator's moto launcher.

Starts moto 5.2.1's server in-process on a loopback address and patches the
places where moto's EC2 emulation differs from the documented AWS behaviour
that AmiRotator relies on. The product is never bent to fit the emulator;
the emulator is patched to fit the AWS documentation. Every patch below quotes
the AWS document it implements and has its own test in
test/AmiRotator.Tests/Emulator/ (MotoPatchTests.cs, MotoDryRunTests.cs and the Moto*Tests.cs files named
after what they cover).

Patches (each cites its AWS page where it is installed):
    1  CreateImage TagSpecifications ResourceType=snapshot tags the snapshots (moto: HTTP 500)
    2  CreateImage with a name in use in the account+Region -> InvalidAMIName.Duplicate
    3  CopyImage: ClientToken idempotency, CopyImageTags, TagSpecifications, Encrypted/KmsKeyId,
       source must exist in SourceRegion and be available; the copy lives in the signing Region
    4  DeregisterImage DeleteAssociatedSnapshots -> deletes each of the AMI's snapshots that no other registered
       AMI uses (on any device), "skipped" for the others; deleteSnapshotResultSet
    5  DeleteSnapshot of the ROOT snapshot of a registered AMI (any state) -> InvalidSnapshot.InUse;
       data-volume snapshots are deleted
    6  DescribeImageReferences for ec2:Instance and ec2:LaunchTemplate (moto: HTTP 500)
    7  call log (/_amirotator/calls, with each call's DryRun flag), cleared by /moto-api/reset too
    9  IAM refusals: actions chosen through /_amirotator/config "deny" answer UnauthorizedOperation (403),
       dry run or not; permitted dry runs keep moto's DryRunOperation (412)
   10  DescribeImages filter block-device-mapping.snapshot-id, values OR-ed (moto: HTTP 500)
   11  CreateImage/CopyImage/RegisterImage: Name 3-128 of letters, digits and ()[] ./-'@_ else
       InvalidAMIName.Malformed; Name missing -> MissingParameter; Description > 255 -> InvalidParameterValue
   12  Recycle Bin for AMIs (knob recycleBin): DeregisterImage moves the AMI to the bin; ListImagesInRecycleBin,
       RestoreImageFromRecycleBin (moto: HTTP 500)
   13  Enable/DisableImageDeregistrationProtection (moto: HTTP 500); Image.DeregistrationProtection
       ("disabled", "enabled-with-cooldown", "enabled-without-cooldown", "disabled after <time>" during the
       24 h cooldown); DeregisterImage of a protected AMI -> OperationNotPermitted (the code is a guess)
   14  eventual consistency (knob consistencyLag N): new images, and state changes made through
       /_amirotator/images/{id}/state, reach DescribeImages only after N further DescribeImages calls in their
       Region; new CreateImage/CopyImage snapshots likewise in DescribeSnapshots
    0  (supporting) DescribeImages lists every EBS mapping, each with its snapshot's Encrypted/KmsKeyId
    8  (supporting) RegisterImage honours every BlockDeviceMappings[].Ebs.SnapshotId; the root is the mapping
       named RootDeviceName, else the first (CreateImage/CopyImage keep one root snapshot)
    knobs: new images may start "pending" (newImageState for CreateImage, newCopyState for CopyImage;
           RegisterImage's images are always available); tests move them to available/failed

Deregistered AMIs (moto's own behaviour, kept): moto remembers deregistered ids (``deleted_amis``).
DescribeImages with such an id answers an empty list, no error (with other ids: just those); DeregisterImage
of it answers InvalidAMIID.Unavailable ("The image id '[ami-...]' is no longer available"); listings leave it
out. [API_DescribeImages] "Recently deregistered images appear in the returned results for a short interval
and then return empty results. After all instances that reference a deregistered AMI are terminated,
specifying the ID of the image will eventually return an error indicating that the AMI ID cannot be found."
moto skips the short interval and the eventual error and stays in the "empty results" phase; [errors-overview]
"InvalidAMIID.Unavailable: The specified AMI has been deregistered and is no longer available, or is not in
a state from which you can launch an instance or modify attributes." matches its DeregisterImage answer.
An AMI in the Recycle Bin (patch 12) is deregistered in exactly this way until it is restored.

Known gaps: CopyImage copies only the source's root snapshot (moto); DescribeImages ignores MaxResults, and
ignores filters other than state and block-device-mapping.snapshot-id when ImageIds are given (moto).

Usage:
    python3 test/moto/amirotator_moto.py --host 127.0.0.1 --port 5000
    python3 test/moto/amirotator_moto.py --port 0 --port-file /tmp/p   # free port

Once it is listening it prints one line ``AMIROTATOR_MOTO_URL=http://HOST:PORT``
to stdout (and writes the port to --port-file when given).

Extra endpoints (all JSON):
    GET  /_amirotator/health                 -> {"ok": true}
    GET  /_amirotator/calls                  -> [{"region", "action", "service", "status", "dryRun"}, ...]
    POST /_amirotator/calls/reset            -> clears the call log
    GET  /_amirotator/config                 -> every knob below, with its current value
    POST /_amirotator/config                 <- any subset of the knobs; only the ones given change:
            "newImageState": "available"|"pending"   state of CreateImage's new images (default available)
            "newCopyState": "available"|"pending"|null   state of CopyImage's new images
                                                 (default null: the same as newImageState)
            "describeImageReferences": true|false    false: DescribeImageReferences answers InvalidAction
            "deny": ["CopyImage", "us-west-2:DeregisterImage", ...]   IAM refusals (patch 9)
            "recycleBin": true|false                 a Region-level Recycle Bin retention rule for AMIs exists
                                                 (every Region; default false; patch 12)
            "recycleBinDays": 1..365                 its retention period in days (default 7)
            "consistencyLag": 0, 1, 2, ...           eventual consistency, in Describe calls (default 0; patch 14)
    POST /_amirotator/images/{id}/state      <- {"state": "available"|"failed",
                                                 "stateReason": {"code":..,"message":..}?}
    POST /moto-api/reset                     -> moto's reset; also clears our state
                                                (call log, client tokens, the Recycle Bin, every knob back
                                                to its default)
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import io
import ipaddress
import json
import logging
import os
import re
import signal
import sys
import threading
import urllib.parse
from typing import Any, Callable, Iterable

# Must be set before moto is imported: no built-in Amazon AMIs, only ours.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"

from moto.core.responses import ActionResult  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402
from moto.ec2.exceptions import (  # noqa: E402
    EC2ClientError,
    InvalidAMIIdError,
    InvalidSnapshotIdError,
    InvalidSnapshotInUse,
    InvalidTaggableResourceType,
    MalformedAMIIdError,
    UnvailableAMIIdError,
)
from moto.ec2.models.amis import Ami, AmiBackend  # noqa: E402
from moto.ec2.models.elastic_block_store import EBSBackend  # noqa: E402
from moto.ec2.responses import EC2Response  # noqa: E402
from moto.ec2.responses.amis import AmisResponse  # noqa: E402
from moto.ec2.responses.elastic_block_store import ElasticBlockStore  # noqa: E402
from moto.moto_api._internal.models import MotoAPIBackend  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)

LOG = logging.getLogger("amirotator_moto")


# --------------------------------------------------------------------------
# Our extra, in-memory state
# --------------------------------------------------------------------------
class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: list[dict[str, Any]] = []
        # (account, region, client token) -> (parameter fingerprint, image id)
        self.copy_tokens: dict[tuple[str, str, str], tuple[str, str]] = {}
        self.new_image_state = "available"
        # State of CopyImage's new images; None: the same as new_image_state.
        self.new_copy_state: str | None = None
        self.image_references_supported = True
        # (region or "*", action) pairs IAM refuses: see patch 9.
        self.denied: set[tuple[str, str]] = set()
        # Patch 12: a Region-level Recycle Bin retention rule for AMIs, and what is in the bin:
        # (account, region) -> {image id: BinEntry}
        self.recycle_bin = False
        self.recycle_bin_days = 7
        self.bin: dict[tuple[str, str], dict[str, "BinEntry"]] = {}
        # Patch 14: eventual consistency. Lag in Describe calls, and the calls made so far:
        # (account, region, "DescribeImages" | "DescribeSnapshots") -> count
        self.consistency_lag = 0
        self.describe_counts: dict[tuple[str, str, str], int] = {}

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.copy_tokens.clear()
            self.new_image_state = "available"
            self.new_copy_state = None
            self.image_references_supported = True
            self.denied.clear()
            self.recycle_bin = False
            self.recycle_bin_days = 7
            self.bin.clear()
            self.consistency_lag = 0
            self.describe_counts.clear()


STATE = State()


def _tags_from_specs(
    tag_specs: list[dict[str, Any]], allowed: Iterable[str]
) -> dict[str, dict[str, str]]:
    """{"image": {k: v}, "snapshot": {k: v}}; other resource types fail the request."""
    allowed = set(allowed)
    out: dict[str, dict[str, str]] = {t: {} for t in allowed}
    for spec in tag_specs or []:
        rtype = spec.get("ResourceType")
        if rtype not in allowed:
            raise InvalidTaggableResourceType(str(rtype))
        for tag in spec.get("Tags", []) or []:
            out[rtype][tag["Key"]] = tag.get("Value", "")
    return out


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


def _apply_new_image_state(ami: Ami, copy: bool = False) -> None:
    """Knobs newImageState (CreateImage) and newCopyState (CopyImage, default: newImageState). [API_CreateImage]
    and [API_CopyImage] return while the new image is still pending; with two knobs a test can hold copies pending
    while creates complete at once."""
    state = (STATE.new_copy_state or STATE.new_image_state) if copy else STATE.new_image_state
    if state == "pending":
        ami.state = "pending"
        ami.ebs_snapshot.status = "pending"


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


# --------------------------------------------------------------------------
# Patch 11: AMI name and description limits (CreateImage, CopyImage, RegisterImage)
# [API_CreateImage] / [API_RegisterImage] Name: "Constraints: 3-128 alphanumeric
# characters, parentheses (()), square brackets ([]), spaces ( ), periods (.),
# slashes (/), dashes (-), single quotes ('), at-signs (@), or underscores(_)".
# [API_CopyImage] Name ("The name of the new AMI", required) states no
# constraint, but all three requests use one shape, ImageNameRequest, which
# EC2's API model bounds to min 3, max 128, and its Description shape,
# ImageDescriptionRequest, to max 255 (botocore ec2/2016-11-15 service-2.json);
# the older [ApiReference-query-CreateImage] (API 2013-02-01) says of Description
# "Constraints: Up to 255 characters". Name is required by all three [API_*:
# "Required: Yes"]. Error codes: [errors-overview] "InvalidAMIName.Malformed: AMI
# names must be between 3 and 128 characters long, and may only contain letters,
# numbers, and the following special characters: ..." (its list is older and
# shorter than the constraint above, which we follow); "MissingParameter: The
# request is missing a required parameter."; no code is documented for a long
# description, so it is the common "InvalidParameterValue: A value specified in
# a parameter is not valid..." (the message text is ours). "Alphanumeric" is
# taken as ASCII letters and digits. Checked after the DryRun check, as moto
# does for its own parameter errors; nothing is created on failure.
# --------------------------------------------------------------------------
_AMI_NAME_RE = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]{3,128}")


def _check_name_and_description(name: Any, description: Any) -> None:
    if name is None:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter Name")
    if not _AMI_NAME_RE.fullmatch(str(name)):
        raise EC2ClientError(
            "InvalidAMIName.Malformed",
            "AMI names must be between 3 and 128 characters long, and may only contain letters, numbers, "
            "and the following special characters: parentheses (()), square brackets ([]), spaces ( ), "
            "periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or underscores (_)",
        )
    if description is not None and len(str(description)) > 255:
        raise EC2ClientError(
            "InvalidParameterValue",
            f"Value for parameter Description is invalid: it has {len(str(description))} characters, "
            "at most 255 are allowed.",
        )


# --------------------------------------------------------------------------
# Patch 1 + 2: CreateImage
# --------------------------------------------------------------------------
_orig_backend_create_image = AmiBackend.create_image


def _create_image(
    self: Any,
    instance_id: str,
    name: str,
    description: str,
    tag_specifications: list[dict[str, Any]],
) -> Ami:
    _check_name_and_description(name, description)  # patch 11
    with STATE.lock:
        # Patch 2. [errors-overview, "Error codes for the Amazon EC2 API"]
        # "InvalidAMIName.Duplicate: The specified AMI name is already in use by
        # another AMI." AMI names are unique per account and Region
        # (this backend *is* one account + Region).
        dup = next(
            (a for a in list(self.amis.values())
             if a.name == name and a.owner_id == self.account_id),
            None,
        )
        if dup is not None:
            raise EC2ClientError(
                "InvalidAMIName.Duplicate",
                f"AMI name {name} is already in use by AMI {dup.id}",
            )

        # Patch 1. [API_CreateImage, TagSpecifications] "The tags to apply to the
        # AMI and snapshots on creation. You can tag the AMI, the snapshots, or
        # both." / "To tag the snapshots that are created of the root volume and
        # of other Amazon EBS volumes that are attached to the instance, the value
        # for ResourceType must be snapshot. The same tag is applied to all of the
        # snapshots that are created." / "If you specify other values for
        # ResourceType, the request fails."  moto raises NotImplementedError (500).
        tags = _tags_from_specs(tag_specifications, ("image", "snapshot"))
        image_only = [s for s in tag_specifications or [] if s.get("ResourceType") == "image"]
        ami = _orig_backend_create_image(self, instance_id, name, description, image_only)
        for key, value in tags["snapshot"].items():
            ami.ebs_snapshot.add_tag(key, value)
        _apply_new_image_state(ami)
        _lag_new(self, ami, [ami.ebs_snapshot])  # patch 14
        return ami


# --------------------------------------------------------------------------
# Patch 3: CopyImage (replaces moto's small response method)
# --------------------------------------------------------------------------
def _copy_image(self: AmisResponse) -> ActionResult:
    params = dict(self.params or {})
    source_image_id = self._get_param("SourceImageId")
    source_region = self._get_param("SourceRegion")
    name = self._get_param("Name")
    description = self._get_param("Description")
    client_token = self._get_param("ClientToken")
    encrypted = bool(self._get_param("Encrypted", False))
    kms_key_id = self._get_param("KmsKeyId")
    copy_image_tags = bool(self._get_param("CopyImageTags", False))
    tag_specs = self._get_param("TagSpecifications", []) or []

    self.error_on_dryrun()
    _check_name_and_description(name, description)  # patch 11
    backend = self.ec2_backend  # the DESTINATION Region: the one the call was signed for
    account = backend.account_id
    region = backend.region_name

    with STATE.lock:
        # [ec2-api-idempotency, "Ensuring idempotency in Amazon EC2 API requests"]
        # "If you retry a request that completed successfully using the same client
        # token and the same parameters, the retry succeeds without performing any
        # further actions. If you retry a successful request using the same client
        # token, but one or more of the parameters are different, other than the
        # Region or Availability Zone, the retry fails with an
        # IdempotentParameterMismatch error."  (CopyImage is listed there.)
        fingerprint = json.dumps(
            {k: v for k, v in params.items() if k not in ("ClientToken", "DryRun")},
            sort_keys=True,
            default=str,
        )
        token_key = (account, region, client_token) if client_token else None
        if token_key and token_key in STATE.copy_tokens:
            seen_fingerprint, image_id = STATE.copy_tokens[token_key]
            if seen_fingerprint != fingerprint:
                raise EC2ClientError(
                    "IdempotentParameterMismatch",
                    "Arguments on this idempotent request are inconsistent with "
                    "arguments used in previous request(s).",
                )
            return ActionResult({"ImageId": image_id})

        # [API_CopyImage] "The copy operation must be initiated in the destination
        # Region." / SourceRegion: "The name of the Region that contains the AMI
        # to copy."  The source must exist there and be usable:
        # [errors-overview] "InvalidAMIID.NotFound: The specified AMI doesn't exist."
        # "InvalidAMIID.Unavailable: The specified AMI has been deregistered and is
        # no longer available, or is not in a state from which you can launch an
        # instance or modify attributes."
        from moto.ec2.models import ec2_backends

        if not source_image_id or not str(source_image_id).startswith("ami-"):
            raise MalformedAMIIdError([str(source_image_id)])
        if not source_region or source_region not in ec2_backends[account]:
            raise EC2ClientError(
                "InvalidParameterValue", f"Invalid value '{source_region}' for SourceRegion."
            )
        source_backend = ec2_backends[account][source_region]
        source = source_backend.amis.get(source_image_id)
        if source is None:
            raise InvalidAMIIdError(source_image_id)
        if source.state != "available":
            raise EC2ClientError(
                "InvalidAMIID.Unavailable",
                f"The image id '[{source_image_id}]' is not in a valid state ({source.state}) for CopyImage",
            )

        # [API_CopyImage, KmsKeyId] "If you specify a KMS key, you must also set
        # the encrypted state to true."
        if kms_key_id and not encrypted:
            raise EC2ClientError(
                "InvalidParameterDependency",
                "The parameter KmsKeyId requires the parameter Encrypted to be set.",
            )
        # [API_CopyImage, TagSpecifications] "The tags to apply to the new AMI and
        # new snapshots. You can tag the AMI, the snapshots, or both." / "If you
        # specify other values for ResourceType, the request fails."
        spec_tags = _tags_from_specs(tag_specs, ("image", "snapshot"))

        ami = backend.copy_image(source_image_id, source_region, name, description)

        # [API_CopyImage, CopyImageTags] "Indicates whether to include your
        # user-defined AMI tags when copying the AMI. The following tags will not
        # be copied: System tags (prefixed with aws:) [...] Default: Your
        # user-defined AMI tags are not copied."
        if copy_image_tags:
            for key, value in source_backend.tags.get(source.id, {}).items():
                if not key.startswith("aws:"):
                    ami.add_tag(key, value)
        for key, value in spec_tags["image"].items():
            ami.add_tag(key, value)
        for key, value in spec_tags["snapshot"].items():
            ami.ebs_snapshot.add_tag(key, value)

        # [API_CopyImage] "Copies of encrypted backing snapshots for the AMI are
        # encrypted. Copies of unencrypted backing snapshots remain unencrypted,
        # unless you set Encrypted during the copy operation."
        # Encrypted: "Specifies whether the destination snapshots of the copied
        # image should be encrypted." KmsKeyId: "The identifier of the symmetric
        # Key Management Service (KMS) KMS key to use when creating encrypted
        # volumes. If this parameter is not specified, your Amazon Web Services
        # managed KMS key for Amazon EBS is used."
        source_snap = source.ebs_snapshot
        if encrypted or source_snap.encrypted:
            ami.ebs_snapshot.encrypted = True
            ami.ebs_snapshot.kms_key_id = (
                kms_key_id
                or (source_snap.kms_key_id if source_snap.encrypted else None)
                or backend.default_kms_key_id
                or f"arn:aws:kms:{region}:{account}:alias/aws/ebs"
            )

        _apply_new_image_state(ami, copy=True)
        _lag_new(backend, ami, [ami.ebs_snapshot])  # patch 14
        if token_key:
            STATE.copy_tokens[token_key] = (fingerprint, ami.id)
        return ActionResult({"ImageId": ami.id})


# --------------------------------------------------------------------------
# Patch 4: DeregisterImage with DeleteAssociatedSnapshots
# --------------------------------------------------------------------------
def _delete_associated_snapshots(backend: Any, snapshot_ids: list[str]) -> list[dict[str, str]]:
    # [API_DeregisterImage] DeleteAssociatedSnapshots: "Specifies whether to delete
    # the snapshots associated with the AMI during deregistration. If a snapshot is
    # associated with multiple AMIs, it is not deleted, regardless of this
    # setting." Response: "deleteSnapshotResultSet - The deletion result for each
    # snapshot associated with the AMI, including the snapshot ID and its success
    # or error code." [API_DeleteSnapshotReturnCode] returnCode: "success |
    # skipped | missing-permissions | internal-error | client-error".
    # "Associated with multiple AMIs" counts every device of every other
    # registered AMI (root or data), so a data-volume snapshot another AMI uses is
    # skipped too, although DeleteSnapshot itself would delete it (patch 5).
    # AWSSDK.EC2 4.0.132.2 reads "deleteSnapshotResultSet/item" with
    # "snapshotId"/"returnCode" (botocore's DeregisterImageResult shape agrees).
    results = []
    for sid in snapshot_ids:
        if _images_using_snapshot(backend, sid):
            code = "skipped"
        else:
            try:
                backend.delete_snapshot(sid)
                code = "success"
            except InvalidSnapshotInUse:
                code = "skipped"
            except InvalidSnapshotIdError:
                code = "client-error"  # already gone
        results.append({"SnapshotId": sid, "ReturnCode": code})
    return results


def _deregister_image(self: AmisResponse) -> ActionResult:
    ami_id = self._get_param("ImageId")
    delete_snapshots = bool(self._get_param("DeleteAssociatedSnapshots", False))
    self.error_on_dryrun()
    backend = self.ec2_backend
    with STATE.lock:
        ami = backend.amis.get(ami_id)
        if ami is not None:
            _refuse_if_protected(ami)  # patch 13
        snapshot_ids = _snapshot_ids(ami) if ami is not None else []
        if ami is not None and STATE.recycle_bin:
            _move_to_recycle_bin(backend, ami)  # patch 12
        else:
            backend.deregister_image(ami_id)  # moto's own errors for unknown or deregistered ids
        if not delete_snapshots:
            return ActionResult({"Return": True})
        results = _delete_associated_snapshots(backend, snapshot_ids)
    return ActionResult({"Return": True, "DeleteSnapshotResults": results})


# --------------------------------------------------------------------------
# Patch 5: DeleteSnapshot of the ROOT snapshot of a registered AMI -> InvalidSnapshot.InUse
# [API_DeleteSnapshot] "You cannot delete a snapshot of the root device of an EBS
# volume used by a registered AMI. You must first deregister the AMI before you
# can delete the snapshot." [ebs-deleting-snapshot] says the same. Only the root
# device is protected: a data-volume snapshot of a registered AMI is deleted (the
# AMI keeps listing it). Any registered AMI counts, whatever its state
# (pending, available, failed, disabled, deprecated); a deregistered AMI, also one
# in the Recycle Bin (patch 12), is not registered. moto refuses only for the AMI
# whose CreateImage made the snapshot (from_ami), and for any of its snapshots.
# --------------------------------------------------------------------------
def _delete_snapshot(self: Any, snapshot_id: str) -> Any:
    with STATE.lock:
        if snapshot_id not in self.snapshots:
            raise InvalidSnapshotIdError()
        for ami in list(self.amis.values()):
            if ami.ebs_snapshot.id == snapshot_id:
                raise InvalidSnapshotInUse(snapshot_id, ami.id)
        return self.snapshots.pop(snapshot_id)


# --------------------------------------------------------------------------
# Patch 6: DescribeImageReferences (moto: not implemented -> HTTP 500)
# --------------------------------------------------------------------------
_INSTANCE_STATES = ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]


def _describe_image_references(self: EC2Response) -> ActionResult:
    # [API_DescribeImageReferences] "Describes your Amazon Web Services resources
    # that are referencing the specified images." ImageId.N: "Array Members:
    # Minimum number of 1 item. Maximum number of 10 items." / "Either
    # IncludeAllResourceTypes or ResourceTypes must be specified." /
    # IncludeAllResourceTypes: "When specified, default values are applied for
    # ResourceTypeOptions. [...] If you also specify ResourceTypes with
    # ResourceTypeOptions, your specified values override the default values."
    # [API_ResourceTypeOption] state-name: "Default: All states";
    # version-depth: "The number of launch template versions to check, starting
    # from the most recent version." "Default: 10".
    # [API_ImageReference] items: imageId, resourceType (ec2:Instance |
    # ec2:LaunchTemplate | ...), arn.  Only EC2 instances and launch templates
    # exist in this emulator; ssm:Parameter and imagebuilder:* find nothing.
    if not STATE.image_references_supported:
        # Knob for the product's fallback: where an endpoint lacks an action, EC2 answers with the common error
        # [CommonErrors] "InvalidAction: The action or operation requested is not valid."
        raise EC2ClientError("InvalidAction", "The action DescribeImageReferences is not valid for this web service.")
    image_ids = self._get_param("ImageIds", []) or []
    include_all = bool(self._get_param("IncludeAllResourceTypes", False))
    resource_types = self._get_param("ResourceTypes", []) or []
    max_results = self._get_param("MaxResults")
    next_token = self._get_param("NextToken")
    self.error_on_dryrun()

    if not image_ids:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter ImageId")
    if len(image_ids) > 10:
        raise EC2ClientError(
            "InvalidParameterValue", "The ImageId parameter accepts at most 10 image IDs."
        )
    bad = [i for i in image_ids if not str(i).startswith("ami-")]
    if bad:
        raise MalformedAMIIdError(bad)
    if not include_all and not resource_types:
        raise EC2ClientError(
            "MissingParameter",
            "Either IncludeAllResourceTypes or ResourceTypes must be specified.",
        )

    options: dict[str, dict[str, list[str]]] = {}
    if include_all:
        options["ec2:Instance"] = {}
        options["ec2:LaunchTemplate"] = {}
        options["ssm:Parameter"] = {}
        options["imagebuilder:ImageRecipe"] = {}
        options["imagebuilder:ContainerRecipe"] = {}
    for rt in resource_types:
        rtype = rt.get("ResourceType")
        opts = options.setdefault(rtype, {})
        for opt in rt.get("ResourceTypeOptions", []) or []:
            opts[opt.get("OptionName")] = list(opt.get("OptionValues", []) or [])

    backend = self.ec2_backend
    account, region = backend.account_id, backend.region_name
    wanted = set(image_ids)
    refs: list[dict[str, str]] = []

    if "ec2:Instance" in options:
        states = options["ec2:Instance"].get("state-name") or _INSTANCE_STATES
        for instance in backend.all_instances():
            if instance.image_id in wanted and instance.state in states:
                refs.append({
                    "ImageId": instance.image_id,
                    "ResourceType": "ec2:Instance",
                    "Arn": f"arn:aws:ec2:{region}:{account}:instance/{instance.id}",
                })

    if "ec2:LaunchTemplate" in options:
        depth_values = options["ec2:LaunchTemplate"].get("version-depth") or ["10"]
        try:
            depth = int(depth_values[0])
        except ValueError:
            depth = 0
        if not 1 <= depth <= 10000:
            raise EC2ClientError(
                "InvalidParameterValue",
                "version-depth must be an integer between 1 and 10000.",
            )
        for template in list(backend.launch_templates.values()):
            for version in reversed(template.versions[-depth:]):
                if version.image_id in wanted:
                    refs.append({
                        "ImageId": version.image_id,
                        "ResourceType": "ec2:LaunchTemplate",
                        "Arn": f"arn:aws:ec2:{region}:{account}:launch-template/{template.id}/{version.number}",
                    })

    start = int(next_token) if next_token and str(next_token).isdigit() else 0
    page_size = int(max_results) if max_results else len(refs) or 1
    page = refs[start:start + page_size]
    result: dict[str, Any] = {"ImageReferences": page}
    if start + page_size < len(refs):
        result["NextToken"] = str(start + page_size)
    return ActionResult(result)


# --------------------------------------------------------------------------
# Patch 8 (supporting): RegisterImage from existing snapshots.
# [API_RegisterImage] "Register a snapshot of a root device volume: You can use
# RegisterImage to create an Amazon EBS-backed Linux AMI from a snapshot of a
# root device volume. You specify the snapshot using a block device mapping."
# BlockDeviceMapping.N: "The block device mapping entries." RootDeviceName: "The
# device name of the root device volume (for example, /dev/sda1)."
# moto ignores BlockDeviceMappings and invents a fresh snapshot. We honour every
# mapping with Ebs.SnapshotId, in request order; the root is the mapping whose
# DeviceName equals RootDeviceName, else the first one. Mappings without a
# snapshot (empty volumes, instance store, NoDevice) are not kept: AmiRotator
# never registers those. Needed so AMIs can share snapshots (DeregisterImage
# "skipped", DeleteSnapshot InUse) and have data volumes.
# --------------------------------------------------------------------------
_orig_register_image_response = AmisResponse.register_image


def _register_image(self: AmisResponse) -> Any:
    bdms = self._get_param("BlockDeviceMappings", []) or []
    root_name = self._get_param("RootDeviceName")
    self.error_on_dryrun()
    _check_name_and_description(self._get_param("Name"), self._get_param("Description"))  # patch 11
    with STATE.lock:
        backend = self.ec2_backend
        mapped = [
            (b.get("DeviceName"), backend.get_snapshot(b["Ebs"]["SnapshotId"]))  # NotFound if absent
            for b in bdms
            if (b.get("Ebs") or {}).get("SnapshotId")
        ]
        result = _orig_register_image_response(self)
        if mapped:
            root = next((i for i, (device, _) in enumerate(mapped) if root_name and device == root_name), 0)
            ami = backend.amis[result.result["ImageId"]]
            invented = ami.ebs_snapshot
            ami.ebs_snapshot = mapped[root][1]
            backend.snapshots.pop(invented.id, None)
            ami.root_device_type = "ebs"
            ami.root_device_name = root_name or mapped[root][0] or ami.root_device_name
            ami._amirotator_mappings = [(device or ami.root_device_name, snap) for device, snap in mapped]
        ami = backend.amis[result.result["ImageId"]]
        _lag_new(backend, ami, [] if mapped else [ami.ebs_snapshot])  # patch 14
        return result


# --------------------------------------------------------------------------
# Patch 12: Recycle Bin for AMIs (moto: ListImagesInRecycleBin and
# RestoreImageFromRecycleBin are HTTP 500, and every deregistered AMI is gone)
# Knob recycleBin = "a Region-level retention rule for AMIs exists in every
# Region", with recycleBinDays its retention period [recyclebin API_RetentionPeriod]
# RetentionPeriodValue: "Valid Range: Minimum value of 1. Maximum value of 365."
# [API_DeregisterImage] "If a deregistered EBS-backed AMI matches a Recycle Bin
# retention rule, it moves to the Recycle Bin for the specified retention period.
# It can be restored before its retention period expires, after which it is
# permanently deleted. If the deregistered AMI doesn't match a retention rule, it
# is permanently deleted immediately." [recycle-bin] "After you restore a resource
# from the Recycle Bin, the resource is removed from the Recycle Bin and you can
# use it in the same way that you use any other resource of that type in your
# account." [recycle-bin-factors] "While a resource is in the Recycle Bin, you can
# only view it, restore it, or modify its tags." / "When a resource is sent to the
# Recycle Bin, the following system-generate tag is assigned to the resource: Tag
# key - aws:recycle-bin:resource-in-bin / Tag value - true ... When the resource is
# restored from the Recycle Bin, the tag is automatically removed."
# So an AMI in the bin is deregistered: DescribeImages no longer lists it, and by
# id it behaves like any deregistered AMI (see "Deregistered AMIs" in the module
# docstring); DeregisterImage again answers InvalidAMIID.Unavailable; its snapshots
# are no longer used by a registered AMI (patch 5).
# DeleteAssociatedSnapshots: the docs don't say what it does to the snapshots of
# an AMI that goes to the bin. We delete them as without a rule (there is no
# snapshot retention rule here, so they are gone). [recycle-bin-factors] "If you
# have retention rules for AMIs and for their associated snapshots, make the
# retention period for the snapshots the same or longer than the retention period
# for the AMIs. This ensures that Recycle Bin does not delete the snapshots
# associated with an AMI before deleting the AMI itself, as this would make the
# AMI unrecoverable." Hence RestoreImageFromRecycleBin of an AMI whose snapshots
# are gone fails; the code is not documented, we answer InvalidSnapshot.NotFound.
# [API_ListImagesInRecycleBin] ImageId.N: "Omit this parameter to list all of the
# AMIs that are in the Recycle Bin. You can specify up to 20 IDs in a single
# request." MaxResults: "Valid Range: Minimum value of 1. Maximum value of 1000."
# (botocore's doc adds "If you do not specify a value for MaxResults, the request
# returns 1,000 items per page by default"). Response [API_ImageRecycleBinInfo]:
# imageSet/item with imageId, name, description, recycleBinEnterTime,
# recycleBinExitTime ("when the AMI is to be permanently deleted from the Recycle
# Bin"), nextToken: AWSSDK.EC2 4.0.132.2 reads "imageSet/item" and botocore's
# ListImagesInRecycleBinResult agrees; moto serialises from that model.
# Not documented, chosen: requested IDs that are not in the bin are left out (no
# error); items come oldest first; RestoreImageFromRecycleBin of an AMI that is
# not in the bin answers InvalidAMIID.NotFound; a restored AMI is "available",
# with its id, tags (minus the bin tag), mappings and protection; turning the
# knob off leaves AMIs already in the bin there until their retention ends; the
# name of an AMI in the bin doesn't count for InvalidAMIName.Duplicate (patch 2),
# and restoring doesn't check names.
# --------------------------------------------------------------------------
_BIN_TAG = "aws:recycle-bin:resource-in-bin"


class BinEntry:
    def __init__(self, ami: Any, enter: datetime.datetime, exit_: datetime.datetime) -> None:
        self.ami = ami
        self.enter = enter
        self.exit = exit_


def _recycle_bin(backend: Any) -> dict[str, BinEntry]:
    """The backend's bin, with AMIs whose retention period has ended permanently deleted."""
    bin_ = STATE.bin.setdefault((backend.account_id, backend.region_name), {})
    now = utcnow()
    for image_id in [i for i, e in bin_.items() if e.exit <= now]:
        del bin_[image_id]
    return bin_


def _move_to_recycle_bin(backend: Any, ami: Any) -> None:
    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # MillisecondDateTime
    backend.amis.pop(ami.id)
    backend.deleted_amis.append(ami.id)
    backend.create_tags([ami.id], {_BIN_TAG: "true"})
    _recycle_bin(backend)[ami.id] = BinEntry(ami, now, now + datetime.timedelta(days=STATE.recycle_bin_days))


def _list_images_in_recycle_bin(self: EC2Response) -> ActionResult:
    image_ids = self._get_param("ImageIds", []) or []
    max_results = self._get_param("MaxResults")
    next_token = self._get_param("NextToken")
    self.error_on_dryrun()
    if len(image_ids) > 20:
        raise EC2ClientError("InvalidParameterValue", "You can specify up to 20 image IDs in a single request.")
    if max_results is not None and not 1 <= int(max_results) <= 1000:
        raise EC2ClientError("InvalidParameterValue", "MaxResults must be between 1 and 1000.")
    if next_token is not None and not str(next_token).isdigit():
        raise EC2ClientError("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
    with STATE.lock:
        entries = sorted(_recycle_bin(self.ec2_backend).values(), key=lambda e: (e.enter, e.ami.id))
        if image_ids:
            entries = [e for e in entries if e.ami.id in image_ids]
        start = int(next_token or 0)
        size = int(max_results) if max_results is not None else 1000
        page = entries[start:start + size]
        items = []
        for e in page:
            item: dict[str, Any] = {"ImageId": e.ami.id, "RecycleBinEnterTime": e.enter, "RecycleBinExitTime": e.exit}
            if e.ami.name is not None:
                item["Name"] = e.ami.name
            if e.ami.description:
                item["Description"] = e.ami.description
            items.append(item)
        result: dict[str, Any] = {"Images": items}
        if start + size < len(entries):
            result["NextToken"] = str(start + size)
        return ActionResult(result)


def _restore_image_from_recycle_bin(self: EC2Response) -> ActionResult:
    ami_id = self._get_param("ImageId")
    self.error_on_dryrun()
    if not ami_id or not str(ami_id).startswith("ami-"):
        raise MalformedAMIIdError([str(ami_id)])
    backend = self.ec2_backend
    with STATE.lock:
        bin_ = _recycle_bin(backend)
        entry = bin_.get(ami_id)
        if entry is None:
            raise InvalidAMIIdError(ami_id)
        missing = [sid for sid in _snapshot_ids(entry.ami) if sid not in backend.snapshots]
        if missing:
            raise EC2ClientError(
                "InvalidSnapshot.NotFound",
                f"The image '{ami_id}' can't be restored: its snapshot '{missing[0]}' no longer exists.",
            )
        del bin_[ami_id]
        ami = entry.ami
        while ami_id in backend.deleted_amis:
            backend.deleted_amis.remove(ami_id)
        backend.amis[ami_id] = ami
        backend.tags.get(ami_id, {}).pop(_BIN_TAG, None)
        ami.state = "available"
        return ActionResult({"Return": True})


# --------------------------------------------------------------------------
# Patch 13: deregistration protection (moto: Enable/DisableImageDeregistrationProtection
# are HTTP 500, and nothing stops DeregisterImage)
# [API_EnableImageDeregistrationProtection] "Enables deregistration protection for
# an AMI. When deregistration protection is enabled, the AMI can't be
# deregistered." WithCooldown: "If true, enforces deregistration protection for 24
# hours after deregistration protection is disabled."
# [API_DisableImageDeregistrationProtection] "If you chose to include a 24-hour
# cooldown period when you enabled deregistration protection for the AMI, then,
# when you disable deregistration protection, you won't immediately be able to
# deregister the AMI." [ami-deregistration-protection] "When you turn on
# deregistration protection, no user can deregister the AMI, regardless of their
# IAM permissions" / "This cooldown period is the time that deregistration
# protection remains in effect after you turn it off. During this cooldown
# period, the AMI can't be deregistered." / "Deregistration protection is turned
# off by default on all existing and new AMIs."
# [API_Image] deregistrationProtection: "Indicates whether deregistration
# protection is enabled for the AMI." (a String). The API reference lists no
# values; the values here are the ones EC2 is seen to return: "disabled" for
# every unprotected AMI (describe-images output), "enabled-without-cooldown" /
# "enabled-with-cooldown" (the AWS CLI example output of
# enable-image-deregistration-protection is {"Return": "enabled-without-cooldown"},
# of disable-image-deregistration-protection {"Return": "disabled"}), and during a
# cooldown "disabled after <time>" (seen by ekristen/aws-nuke, commit 0b26c14b,
# which strips the "disabled after " prefix to get the time). The time format is
# not documented: we write it as [API_Image] documents deprecationTime,
# YYYY-MM-DDTHH:MM:SSZ (UTC). The cooldown runs on this server's clock.
# Deregistering a protected AMI: no AWS source gives the error code. We answer
# [errors-overview] "OperationNotPermitted: The specified operation is not
# allowed. This error can occur for a number of reasons; for example, you might be
# trying to terminate an instance that has termination protection enabled" (HTTP
# 400), the code EC2 uses for the analogous termination protection. A guess.
# Enable/Disable need a registered AMI (InvalidAMIID.NotFound / .Unavailable as
# for other AMI calls); disabling an unprotected AMI is a no-op answering
# "disabled" and does not restart a cooldown (the docs are silent; least
# surprise). Enabling again during a cooldown ends the cooldown.
# --------------------------------------------------------------------------
_PROTECTION_COOLDOWN = datetime.timedelta(hours=24)


def _protection_state(ami: Any) -> tuple[str, datetime.datetime | None]:
    """("disabled" | "enabled-with-cooldown" | "enabled-without-cooldown", cooldown end or None)."""
    state = getattr(ami, "_amirotator_protection", "disabled")
    until = getattr(ami, "_amirotator_cooldown_until", None)
    if until is not None and utcnow() >= until:
        until = None
    return state, until


def _deregistration_protection(self: Ami) -> str:
    state, until = _protection_state(self)
    if state == "disabled" and until is not None:
        return f"disabled after {until:%Y-%m-%dT%H:%M:%SZ}"
    return state


def _refuse_if_protected(ami: Any) -> None:
    state, until = _protection_state(ami)
    if state != "disabled":
        raise EC2ClientError(
            "OperationNotPermitted",
            f"The image '{ami.id}' can't be deregistered because deregistration protection is enabled ({state}).",
        )
    if until is not None:
        raise EC2ClientError(
            "OperationNotPermitted",
            f"The image '{ami.id}' can't be deregistered until {until:%Y-%m-%dT%H:%M:%SZ}: its deregistration "
            "protection was disabled less than 24 hours ago and has a cooldown period.",
        )


def _registered_ami(backend: Any, ami_id: Any) -> Any:
    if not ami_id or not str(ami_id).startswith("ami-"):
        raise MalformedAMIIdError([str(ami_id)])
    ami = backend.amis.get(ami_id)
    if ami is not None:
        return ami
    if ami_id in backend.deleted_amis:
        raise UnvailableAMIIdError(ami_id)
    raise InvalidAMIIdError(ami_id)


def _enable_image_deregistration_protection(self: EC2Response) -> ActionResult:
    ami_id = self._get_param("ImageId")
    with_cooldown = bool(self._get_param("WithCooldown", False))
    self.error_on_dryrun()
    with STATE.lock:
        ami = _registered_ami(self.ec2_backend, ami_id)
        ami._amirotator_protection = "enabled-with-cooldown" if with_cooldown else "enabled-without-cooldown"
        ami._amirotator_cooldown_until = None
        return ActionResult({"Return": ami._amirotator_protection})


def _disable_image_deregistration_protection(self: EC2Response) -> ActionResult:
    ami_id = self._get_param("ImageId")
    self.error_on_dryrun()
    with STATE.lock:
        ami = _registered_ami(self.ec2_backend, ami_id)
        state, _until = _protection_state(ami)
        if state == "enabled-with-cooldown":
            ami._amirotator_cooldown_until = utcnow().replace(microsecond=0) + _PROTECTION_COOLDOWN
        ami._amirotator_protection = "disabled"
        return ActionResult({"Return": "disabled"})


# --------------------------------------------------------------------------
# Patch 10: DescribeImages filter block-device-mapping.snapshot-id (moto: HTTP 500)
# [API_DescribeImages] Filter.N: "block-device-mapping.snapshot-id - The ID of the
# snapshot used for the Amazon EBS volume." [API_Filter] "If you specify multiple
# filters, the filters are joined with an AND" / Values: "If you specify multiple
# values for a filter, the values are joined with an OR, and the request returns
# all results that match any of the specified values." An image matches if any of
# its mappings (root or data) does. Values are matched like moto's other string
# filters (fnmatch, so * and ? are wildcards). It combines with Owners,
# ExecutableUsers and moto's other filters as before.
# --------------------------------------------------------------------------
def _matches_any(values: Iterable[str], patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(v, p) for v in values for p in patterns)


def _describe_images(self: AmisResponse) -> ActionResult:
    self.error_on_dryrun()
    ami_ids = self._get_param("ImageIds", []) or []
    filters = self._filters_from_querystring()
    owners = self._get_param("Owners", [])
    exec_users = self._get_param("ExecutableUsers", [])
    snapshot_filter = filters.pop("block-device-mapping.snapshot-id", None)
    state_filter = filters.pop("state", None)  # matched against the state shown (patch 14)
    backend = self.ec2_backend
    with STATE.lock:
        count = _bump(backend, "DescribeImages")
        hidden = {a.id for a in list(backend.amis.values()) if _not_yet_visible(a, count)}
        if ami_ids:
            malformed = [i for i in ami_ids if not str(i).startswith("ami-")]
            if malformed:
                raise MalformedAMIIdError(malformed)
            wanted = [i for i in ami_ids if i not in hidden]
            if not wanted:
                raise InvalidAMIIdError(ami_ids)
            images = backend.describe_images(ami_ids=wanted, exec_users=exec_users, owners=owners)
        else:
            images = backend.describe_images(filters=filters or None, exec_users=exec_users, owners=owners)
            images = [a for a in images if a.id not in hidden]
        shown = [_as_seen(a, count) for a in images]
        if state_filter is not None:
            shown = [a for a in shown if _matches_any([a.state], list(state_filter))]
        if snapshot_filter is not None:
            shown = [a for a in shown if _matches_any(_snapshot_ids(a), list(snapshot_filter))]
    return ActionResult({"Images": shown})


# --------------------------------------------------------------------------
# Patch 14: eventually consistent reads (knob consistencyLag, in Describe calls)
# [ec2/latest/devguide/eventual-consistency] "The Amazon EC2 API follows an
# eventual consistency model, due to the distributed nature of the system
# supporting the API. This means that the result of an API command you run that
# affects your Amazon EC2 resources might not be immediately visible to all
# subsequent commands you run." / "if you run a command to modify or describe the
# resource that you just created, its ID might not have propagated throughout the
# system, and you will get an error responding that the resource does not exist."
# With consistencyLag N > 0 an image made by CreateImage, CopyImage or
# RegisterImage is seen by DescribeImages in its Region only from the (N+1)th
# DescribeImages call there after its creation: before that DescribeImages with
# its id answers InvalidAMIID.NotFound (as for any id that doesn't exist; other
# ids in the same call are still answered, as moto does) and listings leave it
# out. A state change made through POST /_amirotator/images/{id}/state is seen the
# same way: until then DescribeImages shows the previous state (and state
# reason), in listings, by id and for the "state" filter. The new snapshots of
# CreateImage and CopyImage lag in DescribeSnapshots by the same number of
# DescribeSnapshots calls (InvalidSnapshot.NotFound by id, left out of listings).
# Everything else (CopyImage's source check, DeregisterImage, DeleteSnapshot, ...)
# sees the true state at once; snapshot status changes are not delayed. The docs
# give no numbers: the lag is counted in calls so that tests are deterministic.
# --------------------------------------------------------------------------
def _count(backend: Any, action: str) -> int:
    return STATE.describe_counts.get((backend.account_id, backend.region_name, action), 0)


def _bump(backend: Any, action: str) -> int:
    key = (backend.account_id, backend.region_name, action)
    STATE.describe_counts[key] = STATE.describe_counts.get(key, 0) + 1
    return STATE.describe_counts[key]


def _not_yet_visible(resource: Any, count: int) -> bool:
    visible_after = getattr(resource, "_amirotator_visible_after", None)
    return visible_after is not None and count <= visible_after


def _lag_new(backend: Any, ami: Any, snapshots: list[Any]) -> None:
    lag = STATE.consistency_lag
    if lag <= 0:
        return
    ami._amirotator_visible_after = _count(backend, "DescribeImages") + lag
    for snap in snapshots:
        snap._amirotator_visible_after = _count(backend, "DescribeSnapshots") + lag


def _lag_state_change(backend: Any, ami: Any) -> None:
    """Called before the state endpoint changes an image's state."""
    lag = STATE.consistency_lag
    if lag <= 0:
        return
    count = _count(backend, "DescribeImages")
    pending = getattr(ami, "_amirotator_state_visible_after", None)
    if pending is None or count > pending:  # the last change is already seen: that is the state to keep showing
        ami._amirotator_shown = (ami.state, getattr(ami, "state_reason", None))
    ami._amirotator_state_visible_after = count + lag


class _SeenImage:
    """An image as DescribeImages still sees it: its previous state and state reason, the rest as it is."""

    def __init__(self, ami: Any, state: str, state_reason: Any) -> None:
        self.__dict__["_ami"] = ami
        self.__dict__["state"] = state
        self.__dict__["_state_reason"] = state_reason

    def __getattr__(self, name: str) -> Any:
        if name == "state_reason":
            if self.__dict__["_state_reason"] is None:
                raise AttributeError(name)
            return self.__dict__["_state_reason"]
        return getattr(self.__dict__["_ami"], name)


def _as_seen(ami: Any, count: int) -> Any:
    pending = getattr(ami, "_amirotator_state_visible_after", None)
    if pending is not None and count <= pending:
        return _SeenImage(ami, *ami._amirotator_shown)
    return ami


def _describe_snapshots(self: Any) -> ActionResult:
    filters = self._filters_from_querystring()
    snapshot_ids = self._get_param("SnapshotIds", []) or []
    backend = self.ec2_backend
    with STATE.lock:
        count = _bump(backend, "DescribeSnapshots")
        hidden = {sid for sid, snap in list(backend.snapshots.items()) if _not_yet_visible(snap, count)}
        if any(sid in hidden for sid in snapshot_ids):
            raise InvalidSnapshotIdError()
        snapshots = backend.describe_snapshots(snapshot_ids=snapshot_ids, filters=filters)
        return ActionResult({"Snapshots": [snap for snap in snapshots if snap.id not in hidden]})


# --------------------------------------------------------------------------
# Reset: moto's POST /moto-api/reset also clears our state.
# --------------------------------------------------------------------------
_orig_moto_reset = MotoAPIBackend.reset


def _moto_reset(self: Any) -> None:
    _orig_moto_reset(self)
    STATE.reset()


_PATCHED = False


def install_patches() -> None:
    global _PATCHED
    if _PATCHED:
        return
    Ami.block_device_mappings = property(_block_device_mappings)  # type: ignore[assignment]
    AmiBackend.create_image = _create_image  # type: ignore[method-assign]
    AmisResponse.copy_image = _copy_image  # type: ignore[method-assign]
    AmisResponse.deregister_image = _deregister_image  # type: ignore[method-assign]
    AmisResponse.describe_images = _describe_images  # type: ignore[method-assign]
    ElasticBlockStore.describe_snapshots = _describe_snapshots  # type: ignore[method-assign]
    AmisResponse.register_image = _register_image  # type: ignore[method-assign]
    EBSBackend.delete_snapshot = _delete_snapshot  # type: ignore[method-assign]
    EC2Response.describe_image_references = _describe_image_references  # type: ignore[attr-defined]
    EC2Response.list_images_in_recycle_bin = _list_images_in_recycle_bin  # type: ignore[attr-defined]
    EC2Response.restore_image_from_recycle_bin = _restore_image_from_recycle_bin  # type: ignore[attr-defined]
    Ami.deregistration_protection = property(_deregistration_protection)  # type: ignore[attr-defined]
    EC2Response.enable_image_deregistration_protection = _enable_image_deregistration_protection  # type: ignore[attr-defined]
    EC2Response.disable_image_deregistration_protection = _disable_image_deregistration_protection  # type: ignore[attr-defined]
    MotoAPIBackend.reset = _moto_reset  # type: ignore[method-assign]
    _PATCHED = True


def _all_ec2_backends() -> Iterable[Any]:
    from moto.ec2.models import ec2_backends

    for _account, regions in list(dict.items(ec2_backends)):
        for _region, backend in list(dict.items(regions)):
            yield backend


# --------------------------------------------------------------------------
# Patch 7: WSGI middleware: call log + /_amirotator endpoints
# --------------------------------------------------------------------------
_CREDENTIAL_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_STATE_PATH_RE = re.compile(r"^/_amirotator/images/(ami-[A-Za-z0-9]+)/state/?$")


class AmiRotatorApp:
    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_amirotator/"):
            return self._own(environ, start_response, path)

        body = self._read_body(environ)
        action, region, service = self._describe(environ, body)
        if action is None:
            return self.inner(environ, start_response)

        dry_run = self._param(environ, body, "DryRun").lower() == "true"
        entry = {"region": region, "action": action, "service": service, "status": None, "dryRun": dry_run}
        with STATE.lock:
            STATE.calls.append(entry)
            denied = (region, action) in STATE.denied or ("*", action) in STATE.denied

        if denied:
            # Patch 9. IAM is checked before anything else, for a dry run as for a real call.
            # [CommonParameters] DryRun: "Checks whether you have the required permissions for the action, without
            # actually making the request, and provides an error response. If you have the required permissions,
            # the error response is DryRunOperation. Otherwise, it is UnauthorizedOperation."
            # [errors-overview] "UnauthorizedOperation: You are not authorized to perform this operation." (HTTP 403);
            # EC2 appends an encoded authorization message that only sts:DecodeAuthorizationMessage can read.
            entry["status"] = 403
            return _ec2_error(start_response, 403, "UnauthorizedOperation",
                              "You are not authorized to perform this operation. Encoded authorization failure message: "
                              "amirotator-moto-denied-" + action)

        def _start(status: str, headers: Any, exc_info: Any = None) -> Any:
            try:
                entry["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                pass
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.inner(environ, _start)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length > 0:
            body = stream.read(length)
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _param(environ: dict[str, Any], body: bytes, name: str) -> str:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if name in query:
            return query[name][0]
        if body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            return (form.get(name) or [""])[0]
        return ""

    @staticmethod
    def _describe(environ: dict[str, Any], body: bytes) -> tuple[str | None, str | None, str | None]:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        action = (query.get("Action") or [None])[0]
        ctype = environ.get("CONTENT_TYPE", "")
        if action is None and body and "x-www-form-urlencoded" in ctype:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            action = (form.get("Action") or [None])[0]
        if action is None:
            target = environ.get("HTTP_X_AMZ_TARGET")
            if target:
                action = target.rsplit(".", 1)[-1]
        region = service = None
        match = _CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            region, service = match.group(1), match.group(2)
        else:
            cred = (query.get("X-Amz-Credential") or [""])[0]
            parts = cred.split("/")
            if len(parts) >= 5:
                region, service = parts[2], parts[3]
        return action, region, service

    def _own(self, environ: dict[str, Any], start_response: Callable[..., Any], path: str) -> Any:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw = self._read_body(environ)
        try:
            payload = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _json(start_response, 400, {"error": "body is not JSON"})

        if path.rstrip("/") == "/_amirotator/health":
            return _json(start_response, 200, {"ok": True})
        if path.rstrip("/") == "/_amirotator/calls" and method == "GET":
            with STATE.lock:
                return _json(start_response, 200, [dict(c) for c in STATE.calls])
        if path.rstrip("/") == "/_amirotator/calls/reset" and method == "POST":
            with STATE.lock:
                STATE.calls.clear()
            return _json(start_response, 200, {"ok": True})
        if path.rstrip("/") == "/_amirotator/config":
            if method == "POST":
                value = payload.get("newImageState", STATE.new_image_state)
                if value not in ("available", "pending"):
                    return _json(start_response, 400, {"error": "newImageState must be available or pending"})
                supported = payload.get("describeImageReferences", STATE.image_references_supported)
                if not isinstance(supported, bool):
                    return _json(start_response, 400, {"error": "describeImageReferences must be true or false"})
                deny = payload.get("deny")
                denied = STATE.denied
                if deny is not None:
                    if not isinstance(deny, list) or not all(isinstance(d, str) and d for d in deny):
                        return _json(start_response, 400, {"error": "deny must be a list of 'Action' or 'region:Action'"})
                    denied = {tuple(d.split(":", 1)) if ":" in d else ("*", d) for d in deny}
                copy_state = payload.get("newCopyState", STATE.new_copy_state)
                if copy_state not in (None, "available", "pending"):
                    return _json(start_response, 400, {"error": "newCopyState must be available, pending or null"})
                recycle_bin = payload.get("recycleBin", STATE.recycle_bin)
                if not isinstance(recycle_bin, bool):
                    return _json(start_response, 400, {"error": "recycleBin must be true or false"})
                recycle_bin_days = payload.get("recycleBinDays", STATE.recycle_bin_days)
                if isinstance(recycle_bin_days, bool) or not isinstance(recycle_bin_days, int) \
                        or not 1 <= recycle_bin_days <= 365:
                    return _json(start_response, 400, {"error": "recycleBinDays must be a whole number of days, 1 to 365"})
                lag = payload.get("consistencyLag", STATE.consistency_lag)
                if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
                    return _json(start_response, 400, {"error": "consistencyLag must be a whole number >= 0"})
                with STATE.lock:
                    STATE.consistency_lag = lag
                    STATE.recycle_bin = recycle_bin
                    STATE.recycle_bin_days = recycle_bin_days
                    STATE.new_image_state = value
                    STATE.new_copy_state = copy_state
                    STATE.image_references_supported = supported
                    STATE.denied = denied
            return _json(start_response, 200, _config())
        match = _STATE_PATH_RE.match(path)
        if match and method == "POST":
            new_state = payload.get("state")
            if new_state not in ("available", "failed", "pending"):
                return _json(start_response, 400, {"error": "state must be available, failed or pending"})
            with STATE.lock:
                for backend in _all_ec2_backends():
                    ami = backend.amis.get(match.group(1))
                    if ami is None:
                        continue
                    _lag_state_change(backend, ami)  # patch 14
                    ami.state = new_state
                    reason = payload.get("stateReason")
                    if new_state == "failed" and reason:
                        ami.state_reason = {"Code": reason.get("code"), "Message": reason.get("message")}
                    elif hasattr(ami, "state_reason"):
                        del ami.state_reason
                    snap_status = {"available": "completed", "failed": "error", "pending": "pending"}[new_state]
                    for sid in _snapshot_ids(ami):
                        snap = backend.snapshots.get(sid)
                        if snap is not None:
                            snap.status = snap_status
                    return _json(start_response, 200, {"imageId": ami.id, "state": new_state})
            return _json(start_response, 404, {"error": f"image {match.group(1)} not found"})
        return _json(start_response, 404, {"error": f"no such endpoint: {method} {path}"})


def _config() -> dict[str, Any]:
    with STATE.lock:
        return {
            "newImageState": STATE.new_image_state,
            "newCopyState": STATE.new_copy_state,
            "describeImageReferences": STATE.image_references_supported,
            "recycleBin": STATE.recycle_bin,
            "recycleBinDays": STATE.recycle_bin_days,
            "consistencyLag": STATE.consistency_lag,
            "deny": sorted(f"{r}:{a}" if r != "*" else a for r, a in STATE.denied),
        }


def _ec2_error(start_response: Callable[..., Any], status: int, code: str, message: str) -> list[bytes]:
    from xml.sax.saxutils import escape

    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        "</Error></Errors><RequestID>amirotator-moto</RequestID></Response>"
    ).encode("utf-8")
    start_response(f"{status} Forbidden" if status == 403 else f"{status} Error",
                   [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def _json(start_response: Callable[..., Any], status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "")
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def create_app() -> AmiRotatorApp:
    install_patches()
    return AmiRotatorApp(DomainDispatcherApplication(create_backend_app))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="moto_server with AmiRotator's documented-behaviour patches")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port; 0 picks a free one")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (lets a parent process tie our lifetime to its own)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    if not _is_loopback(args.host):
        parser.error(f"--host must be a loopback address, not {args.host!r}")

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, create_app(), threaded=True)
    port = server.server_address[1]
    os.environ.setdefault("MOTO_PORT", str(port))
    host_for_url = f"[{args.host}]" if ":" in args.host else args.host

    stop = threading.Event()

    def _shutdown(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    if args.exit_on_stdin_eof:
        def _watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except Exception:  # noqa: BLE001
                pass
            _shutdown()

        threading.Thread(target=_watch_stdin, daemon=True).start()

    serving = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    serving.start()
    _warm_up(f"http://{host_for_url}:{port}")

    if args.port_file:
        tmp = f"{args.port_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"AMIROTATOR_MOTO_URL=http://{host_for_url}:{port}", flush=True)

    while serving.is_alive() and not stop.wait(0.5):
        pass
    if serving.is_alive():
        server.shutdown()
    serving.join(timeout=10)
    server.server_close()
    return 0


def _warm_up(url: str) -> None:
    """moto builds its EC2 app and serializers on the first request (~2 s); pay that before we
    report ready, then leave no trace (moto reset + empty call log)."""
    import urllib.request

    auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0"
    try:
        request = urllib.request.Request(
            url + "/", data=b"Action=DescribeImages&Version=2016-11-15&Owner.1=self",
            headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        urllib.request.urlopen(request, timeout=30).read()
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=30).read()
    except Exception as error:  # noqa: BLE001 - warming up is best effort
        LOG.warning("warm-up request failed: %s", error)
    STATE.reset()


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: collecting moto's module state takes seconds.
    os._exit(code)
