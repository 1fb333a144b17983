"""Patch 17: RunInstances for a DR drill -- the image must exist in the Region and be available; the instance
reports its primary network interface's security groups."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidAMIIdError,
    MalformedAMIIdError,
    UnvailableAMIIdError,
)
from moto.ec2.responses.instances import InstanceResponse

from .deprecation import shared_from_elsewhere
from .state import STATE


# --------------------------------------------------------------------------
# Patch 17: RunInstances from an image (moto launches from any id at all: unknown,
# pending, failed, deregistered or in another Region)
# [API_RunInstances] ImageId: "The ID of the AMI. An AMI ID is required to launch an
# instance and must be specified here or in a launch template." [errors-overview]
# "InvalidAMIID.NotFound: The specified AMI doesn't exist. Check the AMI ID, and ensure
# that you specify the AWS Region in which the AMI is located, if it's not in the
# default Region." / "InvalidAMIID.Unavailable: The specified AMI has been deregistered
# and is no longer available, or is not in a state from which you can launch an
# instance or modify attributes." / "InvalidAMIID.Malformed". [API_DeregisterImage] "A
# deregistered AMI can't be used to launch new instances." So RunInstances in a Region
# launches only from an image registered there (the caller's, or one shared with its
# account) whose state is available: an unknown id, or an image of another Region,
# answers InvalidAMIID.NotFound; a deregistered one (also in the Recycle Bin, patch 12)
# and a pending or failed one InvalidAMIID.Unavailable. Deprecated images still launch
# ([ami-deprecate] "if you know the ID of a deprecated AMI, you can continue to launch
# instances using the deprecated AMI"). With a launch template and no ImageId the
# template's image is checked. A dry run keeps moto's answer (DryRunOperation: the
# permission check, [CommonParameters]); the check is for real launches. It sees the
# true state at once (not delayed by patch 14).
# Security groups with NetworkInterfaces: [API_RunInstances] SecurityGroupIds "If you
# specify a network interface, you must specify any security groups as part of the
# network interface instead of using this parameter." [API_Instance] securityGroups
# "The security groups for the instance." moto leaves the instance's groups empty when
# they come with the network interface; the instance reports the groups of its primary
# interface (device index 0). Both SecurityGroupIds and NetworkInterfaces ->
# InvalidParameterCombination ([errors-overview] "Indicates an incorrect combination of
# parameters, or a missing parameter."; the code is a guess, as moto's own for
# SubnetId with NetworkInterfaces).
# Verified without a patch (moto 5.2.1 already does it as documented): SubnetId,
# SecurityGroupIds, TagSpecifications ResourceType=instance, NetworkInterfaces with
# AssociatePublicIpAddress=false (no PublicIpAddress), TerminateInstances
# (shutting-down, then terminated), and [API_DescribeInstanceStatus] IncludeAllInstances
# ("When true, includes the health status for all instances. When false, includes the
# health status for running instances only."): a running instance reports
# InstanceStatus and SystemStatus "ok" (reachability passed), a terminated one
# "not-applicable". Known gap: EC2 reports "initializing" for the first minutes of a
# running instance [API_InstanceStatusSummary: ok | impaired | insufficient-data |
# not-applicable | initializing]; moto answers "ok" at once.
# --------------------------------------------------------------------------
_orig_run_instances = InstanceResponse.run_instances


def _launch_image_id(self: InstanceResponse) -> Any:
    image_id = self._get_param("ImageId")
    template = self._get_param("LaunchTemplate", {}) or {}
    if not image_id and template:
        image_id = self.ec2_backend._get_template_from_args(template).image_id
    return image_id


def _check_launch_image(backend: Any, image_id: Any) -> None:
    if not image_id:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter ImageId")
    if not str(image_id).startswith("ami-"):
        raise MalformedAMIIdError([str(image_id)])
    ami = backend.amis.get(image_id)
    if ami is None:
        ami = shared_from_elsewhere(backend, image_id)
    if ami is None:
        if image_id in backend.deleted_amis:
            raise UnvailableAMIIdError(image_id)
        raise InvalidAMIIdError(image_id)
    if ami.state != "available":
        raise EC2ClientError(
            "InvalidAMIID.Unavailable",
            f"The image id '[{image_id}]' is not in a state from which you can launch an instance ({ami.state}).",
        )


def _security_groups_from_primary_interface(instance: Any) -> None:
    nics = getattr(instance, "nics", None) or {}
    primary = nics.get(0)
    if instance.security_groups or primary is None:
        return
    groups = list(getattr(primary, "_group_set", []) or [])
    if groups:
        instance.security_groups = groups


def _run_instances(self: InstanceResponse) -> ActionResult:
    if self._get_param("NetworkInterfaces", []) and self._get_param("SecurityGroupIds", []):
        raise EC2ClientError(
            "InvalidParameterCombination",
            "Network interfaces and an instance-level security groups may not be specified on the same request",
        )
    if not self._get_param("DryRun", False):
        with STATE.lock:
            _check_launch_image(self.ec2_backend, _launch_image_id(self))
    result = _orig_run_instances(self)
    for instance in getattr(result.result, "instances", []) or []:
        _security_groups_from_primary_interface(instance)
    return result
