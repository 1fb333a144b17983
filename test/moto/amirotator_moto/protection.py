"""Patch 13: deregistration protection."""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidAMIIdError,
    MalformedAMIIdError,
    UnvailableAMIIdError,
)
from moto.ec2.models.amis import Ami
from moto.ec2.responses import EC2Response

from .state import STATE


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
