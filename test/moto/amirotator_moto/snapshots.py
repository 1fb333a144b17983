"""Patch 4 (DeregisterImage with DeleteAssociatedSnapshots) and patch 5 (DeleteSnapshot of an AMI's root snapshot);
DeleteSnapshot also refuses a locked snapshot (patch 16)."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidSnapshotIdError, InvalidSnapshotInUse
from moto.ec2.responses.amis import AmisResponse

from .mappings import _images_using_snapshot, _snapshot_ids
from .protection import _refuse_if_protected
from .recycle_bin import _move_to_recycle_bin
from .snapshot_lock import SnapshotLockedError, refuse_if_locked
from .state import STATE


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
            except SnapshotLockedError:
                code = "client-error"  # locked (patch 16): kept, as its own DeleteSnapshot fails
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
# Then a locked snapshot (patch 16, lock not expired) is refused: OperationNotPermitted.
# --------------------------------------------------------------------------
def _delete_snapshot(self: Any, snapshot_id: str) -> Any:
    with STATE.lock:
        if snapshot_id not in self.snapshots:
            raise InvalidSnapshotIdError()
        for ami in list(self.amis.values()):
            if ami.ebs_snapshot.id == snapshot_id:
                raise InvalidSnapshotInUse(snapshot_id, ami.id)
        refuse_if_locked(self.snapshots[snapshot_id])  # patch 16
        return self.snapshots.pop(snapshot_id)
