"""Patch 14: eventually consistent DescribeImages and DescribeSnapshots (knob consistencyLag)."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidSnapshotIdError

from .state import STATE


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
