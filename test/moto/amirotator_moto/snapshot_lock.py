"""Patch 16: EBS snapshot lock (LockSnapshot, DescribeLockedSnapshots, UnlockSnapshot; locked snapshots can't be
deleted)."""

from __future__ import annotations

import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.responses import EC2Response

from .deprecation import _parse_timestamp
from .state import STATE


# --------------------------------------------------------------------------
# Patch 16: snapshot lock (moto: LockSnapshot, DescribeLockedSnapshots and
# UnlockSnapshot are HTTP 500, and nothing stops DeleteSnapshot)
# [API_LockSnapshot] "Locks an Amazon EBS snapshot in either governance or compliance
# mode to protect it against accidental or malicious deletions for a specific
# duration. A locked snapshot can't be deleted." Modifying a lock: "If the snapshot is
# locked in governance mode, you can modify the lock mode and the lock duration or
# lock expiration date. / If the snapshot is locked in compliance mode and it is in the
# cooling-off period, you can modify the lock mode and the lock duration or lock
# expiration date. / If the snapshot is locked in compliance mode and the cooling-off
# period has lapsed, you can only increase the lock duration or extend the lock
# expiration date." LockMode governance: "If you lock a snapshot in governance mode,
# omit CoolOffPeriod."; CoolOffPeriod: "To lock the snapshot in compliance mode
# immediately without a cooling-off period, omit this parameter. / If you are
# extending the lock duration for a snapshot that is locked in compliance mode after
# the cooling-off period has expired, omit this parameter. If you specify a
# cooling-period in a such a request, the request fails. / Allowed values: Min 1, max
# 72." LockDuration: "You must specify either this parameter or ExpirationDate, but not
# both. / Allowed values: Min: 1, max 36500". Response: snapshotId, lockState,
# lockDuration, coolOffPeriod, coolOffPeriodExpiresOn, lockCreatedOn, lockExpiresOn,
# lockDurationStartTime [API_LockSnapshot; the AWS CLI lock-snapshot example].
# [API_LockedSnapshotsInfo] lockState: compliance-cooloff / governance / compliance /
# expired ("The snapshot was locked in compliance or governance mode but the lock
# duration has expired. The snapshot is not locked and can be deleted.");
# lockDurationStartTime: "If you lock a snapshot that is in the pending state, the lock
# duration starts only once the snapshot enters the completed state."
# [ebs/latest/userguide/snapshot-lock-considerations] "You can lock a snapshot only if
# it is in the pending or completed state. / If you lock a snapshot while it is in the
# pending state, and you lock it for a specific duration, the lock duration starts only
# when the snapshot reaches the completed state. The snapshot can't be deleted while it
# is in the pending state. / If you lock a snapshot while it is in the pending state and
# the snapshot creation fails for any reason, the lock is canceled." [ebs-snapshot-lock]
# "While a snapshot is locked, it can't be deleted by any user, regardless of their IAM
# permissions." [snapshot-lock-concepts] governance: "there is no cooling-off period";
# compliance: "a cooling-off period that starts immediately after you lock the
# snapshot". [API_UnlockSnapshot] "Unlocks a snapshot that is locked in governance mode
# or that is locked in compliance mode but still in the cooling-off period. You can't
# unlock a snapshot that is locked in compliance mode after the cooling-off period has
# expired." [API_DescribeLockedSnapshots] Filter lock-state (compliance-cooloff |
# governance | compliance | expired); MaxResults 5..1000 (botocore's model).
# The lock state is computed from this server's clock at every call.
# Error codes (none is documented on these pages; all guesses from [errors-overview]):
# DeleteSnapshot of a locked snapshot, UnlockSnapshot in state compliance, and the
# modifications a compliance lock refuses -> OperationNotPermitted ("The specified
# operation is not allowed", the code EC2 uses for termination protection; patch 13
# chose it for deregistration protection); a snapshot that is neither pending nor
# completed -> IncorrectState; LockDuration and ExpirationDate both, or CoolOffPeriod
# with governance or after the cooling-off period -> InvalidParameterCombination;
# neither of them -> MissingParameter; out of range or an ExpirationDate in the past ->
# InvalidParameterValue; unknown snapshot -> InvalidSnapshot.NotFound (moto's).
# DeregisterImage with DeleteAssociatedSnapshots keeps a locked snapshot and reports it
# "client-error" (patch 4): [API_DeleteSnapshotReturnCode] lists no code for it;
# "skipped" means "associated with other AMIs", "client-error" is "not deleted due to a
# client configuration error ... check the DeleteSnapshot event in the CloudTrail", i.e.
# EC2's own DeleteSnapshot failed with a client error, which is what happens here.
# Chosen, undocumented: modifying an active lock keeps LockCreatedOn and
# LockDurationStartTime (a new LockDuration counts from that start); a new
# CoolOffPeriod during the cooling-off period counts from when compliance mode was set;
# an expired lock is replaced as if new; LockDuration is reported only for a lock given
# as a duration; ExpirationDate is at most 36500 days ahead; UnlockSnapshot of a
# snapshot that is not locked (or whose lock expired) answers its id and removes the
# lock; DescribeLockedSnapshots leaves out snapshots that were never locked (also when
# asked by id) and lists expired locks, oldest lock first.
# --------------------------------------------------------------------------
_MODES = ("governance", "compliance")


class SnapshotLockedError(EC2ClientError):
    def __init__(self, snapshot_id: str, state: str) -> None:
        super().__init__(
            "OperationNotPermitted",
            f"The snapshot '{snapshot_id}' is locked ({state}) and can't be deleted until its lock expires"
            + (" or it is unlocked." if state != "compliance" else "."),
        )


class SnapshotLock:
    def __init__(self, mode: str, created: datetime.datetime) -> None:
        self.mode = mode
        self.created = created
        self.duration_days: int | None = None
        self.expiration: datetime.datetime | None = None  # ExpirationDate as given
        self.duration_start: datetime.datetime | None = None
        self.cool_off_hours: int | None = None
        self.cool_off_start: datetime.datetime | None = None

    @property
    def cool_off_expires(self) -> datetime.datetime | None:
        if self.cool_off_hours is None or self.cool_off_start is None:
            return None
        return self.cool_off_start + datetime.timedelta(hours=self.cool_off_hours)

    @property
    def expires(self) -> datetime.datetime | None:
        if self.expiration is not None:
            return self.expiration
        if self.duration_start is None or self.duration_days is None:
            return None  # pending: the duration has not started
        return self.duration_start + datetime.timedelta(days=self.duration_days)

    def state(self, now: datetime.datetime) -> str:
        expires = self.expires
        if expires is not None and now >= expires:
            return "expired"
        if self.mode == "governance":
            return "governance"
        cool_off_expires = self.cool_off_expires
        return "compliance-cooloff" if cool_off_expires is not None and now < cool_off_expires else "compliance"


def _now() -> datetime.datetime:
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # MillisecondDateTime


# Snapshot.status becomes a property, so that completion starts a pending lock's duration and a failure cancels it.
def _get_status(self: Snapshot) -> Any:
    return self.__dict__.get("_amirotator_status")


def _set_status(self: Snapshot, value: Any) -> None:
    previous = self.__dict__.get("_amirotator_status")
    self.__dict__["_amirotator_status"] = value
    lock = self.__dict__.get("_amirotator_lock")
    if lock is None:
        return
    if value == "error":
        self.__dict__["_amirotator_lock"] = None  # "the snapshot creation fails ... the lock is canceled"
    elif value == "completed" and previous != "completed" and lock.duration_start is None:
        lock.duration_start = _now()


def lock_of(snapshot: Any) -> SnapshotLock | None:
    return getattr(snapshot, "_amirotator_lock", None)


def refuse_if_locked(snapshot: Any) -> None:
    """DeleteSnapshot's check: a lock that has not expired keeps the snapshot."""
    lock = lock_of(snapshot)
    if lock is None:
        return
    state = lock.state(utcnow())
    if state != "expired":
        raise SnapshotLockedError(snapshot.id, state)


def _describe(snapshot: Any, lock: SnapshotLock, now: datetime.datetime, owner: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"SnapshotId": snapshot.id, "LockState": lock.state(now), "LockCreatedOn": lock.created}
    if owner:
        item = {"OwnerId": snapshot.owner_id, **item}
    if lock.duration_days is not None:
        item["LockDuration"] = lock.duration_days
    if lock.cool_off_hours is not None:
        item["CoolOffPeriod"] = lock.cool_off_hours
        item["CoolOffPeriodExpiresOn"] = lock.cool_off_expires
    if lock.duration_start is not None:
        item["LockDurationStartTime"] = lock.duration_start
    if lock.expires is not None:
        item["LockExpiresOn"] = lock.expires
    return item


def _int_param(self: EC2Response, name: str, low: int, high: int) -> int | None:
    value = self._get_param(name)
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EC2ClientError("InvalidParameterValue", f"Invalid value '{value}' for {name}.") from None
    if not low <= number <= high:
        raise EC2ClientError("InvalidParameterValue", f"Invalid value '{number}' for {name}: allowed values are {low} to {high}.")
    return number


def _lock_snapshot(self: EC2Response) -> ActionResult:
    snapshot_id = self._get_param("SnapshotId")
    mode = self._get_param("LockMode")
    cool_off = _int_param(self, "CoolOffPeriod", 1, 72)
    days = _int_param(self, "LockDuration", 1, 36500)
    raw_expiration = self._get_param("ExpirationDate")
    self.error_on_dryrun()
    if mode not in _MODES:
        raise EC2ClientError("InvalidParameterValue", f"Invalid value '{mode}' for LockMode: governance or compliance.")
    if days is not None and raw_expiration is not None:
        raise EC2ClientError("InvalidParameterCombination", "You must specify either LockDuration or ExpirationDate, but not both.")
    if days is None and raw_expiration is None:
        raise EC2ClientError("MissingParameter", "You must specify either LockDuration or ExpirationDate.")
    if mode == "governance" and cool_off is not None:
        raise EC2ClientError("InvalidParameterCombination", "CoolOffPeriod applies only to compliance mode.")
    now = _now()
    expiration = _parse_timestamp(raw_expiration) if raw_expiration is not None else None
    if expiration is not None and not now < expiration <= now + datetime.timedelta(days=36500):
        raise EC2ClientError(
            "InvalidParameterValue",
            f"Invalid ExpirationDate {expiration:%Y-%m-%dT%H:%M:%S.%f}: it must be in the future and at most 36500 days ahead.",
        )
    with STATE.lock:
        snapshot = self.ec2_backend.get_snapshot(snapshot_id)  # InvalidSnapshot.NotFound
        if snapshot.status not in ("pending", "completed"):
            raise EC2ClientError(
                "IncorrectState",
                f"The snapshot '{snapshot_id}' is in state {snapshot.status}: you can lock a snapshot only if it is "
                "pending or completed.",
            )
        old = lock_of(snapshot)
        old_state = old.state(now) if old is not None else None
        if old is None or old_state == "expired":
            old = None
        elif old_state == "compliance":
            _check_compliance_extension(snapshot_id, old, mode, cool_off, days, expiration)
        lock = SnapshotLock(mode, old.created if old is not None else now)
        lock.duration_start = old.duration_start if old is not None else (now if snapshot.status == "completed" else None)
        lock.duration_days, lock.expiration = days, expiration
        if mode == "compliance" and old_state != "compliance" and cool_off is not None:
            lock.cool_off_hours = cool_off
            lock.cool_off_start = old.cool_off_start if old_state == "compliance-cooloff" and old.cool_off_start else now
        elif old_state == "compliance":
            lock.cool_off_hours, lock.cool_off_start = old.cool_off_hours, old.cool_off_start
        snapshot._amirotator_lock = lock
        return ActionResult(_describe(snapshot, lock, now))


def _check_compliance_extension(
    snapshot_id: str, old: SnapshotLock, mode: str, cool_off: int | None, days: int | None,
    expiration: datetime.datetime | None,
) -> None:
    """After the cooling-off period a compliance lock can only be extended."""
    if mode != "compliance":
        raise EC2ClientError(
            "OperationNotPermitted",
            f"The snapshot '{snapshot_id}' is locked in compliance mode after its cooling-off period: the lock mode "
            "can't be changed.",
        )
    if cool_off is not None:
        raise EC2ClientError(
            "InvalidParameterCombination",
            "Omit CoolOffPeriod when extending a compliance mode lock after its cooling-off period.",
        )
    if days is not None and old.duration_start is not None:
        new_expires: datetime.datetime | None = old.duration_start + datetime.timedelta(days=days)
    else:
        new_expires = expiration
    shorter = (
        (new_expires is not None and old.expires is not None and new_expires < old.expires)
        or (days is not None and old.duration_days is not None and old.duration_start is None and days < old.duration_days)
    )
    if shorter:
        raise EC2ClientError(
            "OperationNotPermitted",
            f"The snapshot '{snapshot_id}' is locked in compliance mode after its cooling-off period: the lock can "
            "only be extended, not shortened.",
        )


def _unlock_snapshot(self: EC2Response) -> ActionResult:
    snapshot_id = self._get_param("SnapshotId")
    self.error_on_dryrun()
    with STATE.lock:
        snapshot = self.ec2_backend.get_snapshot(snapshot_id)  # InvalidSnapshot.NotFound
        lock = lock_of(snapshot)
        if lock is not None and lock.state(utcnow()) == "compliance":
            raise EC2ClientError(
                "OperationNotPermitted",
                f"The snapshot '{snapshot_id}' is locked in compliance mode and its cooling-off period has expired: "
                "it can't be unlocked.",
            )
        snapshot._amirotator_lock = None
        return ActionResult({"SnapshotId": snapshot_id})


def _describe_locked_snapshots(self: EC2Response) -> ActionResult:
    snapshot_ids = self._get_param("SnapshotIds", []) or []
    filters = self._filters_from_querystring()
    max_results = _int_param(self, "MaxResults", 5, 1000)
    next_token = self._get_param("NextToken")
    self.error_on_dryrun()
    unknown = [name for name in filters if name != "lock-state"]
    if unknown:
        raise EC2ClientError("InvalidParameterValue", f"The filter '{unknown[0]}' is invalid")
    if next_token is not None and not str(next_token).isdigit():
        raise EC2ClientError("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
    backend = self.ec2_backend
    with STATE.lock:
        now = _now()
        if snapshot_ids:
            snapshots = [backend.get_snapshot(sid) for sid in snapshot_ids]  # InvalidSnapshot.NotFound
        else:
            snapshots = [s for s in list(backend.snapshots.values()) if s.owner_id == backend.account_id]
        locked = [(s, lock) for s in snapshots if (lock := lock_of(s)) is not None]
        wanted = filters.get("lock-state")
        if wanted:
            locked = [(s, lock) for s, lock in locked if lock.state(now) in wanted]
        locked.sort(key=lambda pair: (pair[1].created, pair[0].id))
        start = int(next_token or 0)
        size = max_results or 1000
        result: dict[str, Any] = {"Snapshots": [_describe(s, lock, now, owner=True) for s, lock in locked[start:start + size]]}
        if start + size < len(locked):
            result["NextToken"] = str(start + size)
        return ActionResult(result)
