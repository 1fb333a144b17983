"""Image-creating calls and DescribeImages: tag specifications, patch 11 (name and description limits), patches 1 + 2
(CreateImage), patch 8 (RegisterImage from snapshots) and patch 10 (DescribeImages snapshot-id filter)."""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Iterable

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidAMIIdError,
    InvalidTaggableResourceType,
    MalformedAMIIdError,
)
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.responses.amis import AmisResponse

from .consistency import _as_seen, _bump, _lag_new, _not_yet_visible
from .mappings import _snapshot_ids
from .state import STATE, _apply_new_image_state


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
