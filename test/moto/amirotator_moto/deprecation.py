"""Patch 15: AMI deprecation (EnableImageDeprecation, DisableImageDeprecation, Image.DeprecationTime)."""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.exceptions import EC2ClientError, InvalidAMIIdError, MalformedAMIIdError, UnvailableAMIIdError
from moto.ec2.models.amis import Ami
from moto.ec2.responses import EC2Response

from .state import STATE


# --------------------------------------------------------------------------
# Patch 15: AMI deprecation (moto: EnableImageDeprecation and DisableImageDeprecation
# are HTTP 500, and DescribeImages has no DeprecationTime)
# [API_EnableImageDeprecation] DeprecateAt: "The date and time to deprecate the AMI,
# in UTC, in the following format: YYYY-MM-DDTHH:MM:SSZ. If you specify a value for
# seconds, Amazon EC2 rounds the seconds to the nearest minute." / "You can't specify
# a date in the past. The upper limit for DeprecateAt is 10 years from now, except for
# public AMIs, where the upper limit is 2 years from the creation date." Response:
# return "Returns true if the request succeeds; otherwise, it returns an error."
# [API_DisableImageDeprecation] "Cancels the deprecation of the specified AMI." (also
# Return=true). [ami-deprecate] Limitations: "To deprecate an AMI, you must be the
# owner of the AMI." / Cancel: "removes the date and time from ... the DeprecationTime
# field from the describe-images output" / "If the AMI is not set to be deprecated,
# the DeprecationTime field does not appear in the output." / "AMI owners continue to
# see deprecated AMIs in DescribeImages API calls" (so nothing is hidden from the
# owner, and the DescribeImages deprecation filters are not patched).
# [API_Image] deprecationTime is a String. Its format: [API_Image] says
# YYYY-MM-DDTHH:MM:SSZ, the describe-images example of [ami-deprecate] shows
# "DeprecationTime": "2021-05-10T13:17:12.000Z"; we write the example's form with the
# seconds rounded, e.g. 2021-05-10T13:17:00.000Z (moto's CreationDate has it too).
# Rounding: "to the nearest minute" -- 30.000 s and more go up, less goes down.
# "In the past" is checked on the time as given (before rounding), against this
# server's clock; 10 years from now, or for a public AMI (launch permission group all)
# 2 years from its CreationDate, on the rounded time.
# Error codes: the API page lists only the common ones. A past or too distant
# DeprecateAt answers [errors-overview] "InvalidParameterValue: A value specified in a
# parameter is not valid, is unsupported, or cannot be used." (a guess: no code is
# documented). A caller that can see the AMI but does not own it (shared with its
# account through a launch permission, or public, in another account's backend)
# answers [errors-overview] "AuthFailure: ... You might not be authorized to carry out
# the request; for example, ... trying to use an AMI for which you do not have
# permissions" (a guess; "Not authorized for images: [ami-...]" is the message EC2 is
# seen to use for AMIs, with HTTP 400 -- moto's service model gives AuthFailure 401,
# which we leave). Unknown ids: InvalidAMIID.NotFound;
# deregistered ones (also in the Recycle Bin, patch 12): InvalidAMIID.Unavailable, as
# for the other AMI calls. DisableImageDeprecation of an AMI that has no deprecation
# time is a no-op answering true (undocumented; least surprise). EnableImageDeprecation
# again replaces the time.
# --------------------------------------------------------------------------
_TEN_YEARS = 10
_PUBLIC_YEARS = 2


def _deprecation_time(self: Ami) -> str | None:
    """Image.DeprecationTime in DescribeImages (absent when None)."""
    at = getattr(self, "_amirotator_deprecate_at", None)
    return None if at is None else at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_timestamp(value: Any) -> datetime.datetime:
    """An ISO 8601 request timestamp as a naive UTC datetime (moto's convention)."""
    text = str(value).strip()
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
        except ValueError:
            raise EC2ClientError("InvalidParameterValue", f"Invalid timestamp '{text}'.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


def _round_to_minute(at: datetime.datetime) -> datetime.datetime:
    base = at.replace(second=0, microsecond=0)
    return base + datetime.timedelta(minutes=1) if at - base >= datetime.timedelta(seconds=30) else base


def _years_after(at: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


def _owned_ami(backend: Any, ami_id: Any) -> Any:
    """The caller's own registered AMI, else the documented error."""
    if not ami_id or not str(ami_id).startswith("ami-"):
        raise MalformedAMIIdError([str(ami_id)])
    ami = backend.amis.get(ami_id)
    if ami is not None and ami.owner_id == backend.account_id:
        return ami
    if ami is not None or shared_from_elsewhere(backend, ami_id) is not None:
        raise EC2ClientError("AuthFailure", f"Not authorized for images: [{ami_id}]")
    if ami_id in backend.deleted_amis:
        raise UnvailableAMIIdError(ami_id)
    raise InvalidAMIIdError(ami_id)


def shared_from_elsewhere(backend: Any, ami_id: str) -> Any:
    """An AMI that another account owns in this Region and lets the caller's account use (public, or a launch
    permission for the account), else None. moto keeps each account's AMIs apart; EC2 shows such AMIs to the caller."""
    from moto.ec2.models import ec2_backends

    for account, regions in list(dict.items(ec2_backends)):
        if account == backend.account_id:
            continue
        other = dict.get(regions, backend.region_name)  # dict.get: no backend is created
        ami = other.amis.get(ami_id) if other is not None else None
        if ami is not None and (
            ami.is_public or any(lp.get("UserId") == backend.account_id for lp in ami.launch_permissions)
        ):
            return ami
    return None


def _enable_image_deprecation(self: EC2Response) -> ActionResult:
    ami_id = self._get_param("ImageId")
    raw = self._get_param("DeprecateAt")
    self.error_on_dryrun()
    if raw is None:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter DeprecateAt")
    requested = _parse_timestamp(raw)
    with STATE.lock:
        ami = _owned_ami(self.ec2_backend, ami_id)
        now = utcnow()
        if requested < now:
            raise EC2ClientError(
                "InvalidParameterValue",
                f"The deprecation time {requested:%Y-%m-%dT%H:%M:%SZ} is in the past: you can't specify a date in the past.",
            )
        at = _round_to_minute(requested)
        if ami.is_public:
            limit, what = _years_after(ami.creation_date, _PUBLIC_YEARS), "2 years after the creation date of a public AMI"
        else:
            limit, what = _years_after(now, _TEN_YEARS), "10 years from now"
        if at > limit:
            raise EC2ClientError(
                "InvalidParameterValue",
                f"The deprecation time {at:%Y-%m-%dT%H:%M:%SZ} is too far ahead: the upper limit is {what} "
                f"({limit:%Y-%m-%dT%H:%M:%SZ}).",
            )
        ami._amirotator_deprecate_at = at
        return ActionResult({"Return": True})


def _disable_image_deprecation(self: EC2Response) -> ActionResult:
    ami_id = self._get_param("ImageId")
    self.error_on_dryrun()
    with STATE.lock:
        ami = _owned_ami(self.ec2_backend, ami_id)
        ami._amirotator_deprecate_at = None
        return ActionResult({"Return": True})
