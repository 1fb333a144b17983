"""Patch 12: the Recycle Bin for AMIs (knobs recycleBin and recycleBinDays)."""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.exceptions import EC2ClientError, InvalidAMIIdError, MalformedAMIIdError
from moto.ec2.responses import EC2Response

from .mappings import _snapshot_ids
from .state import STATE


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
# id it behaves like any deregistered AMI (see "Deregistered AMIs" in the package
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
