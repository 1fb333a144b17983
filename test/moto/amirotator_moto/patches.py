"""install_patches(): puts every patch into moto, once; and moto's reset also clears our state."""

from __future__ import annotations

from typing import Any

from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot
from moto.ec2.responses import EC2Response
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.responses.instances import InstanceResponse
from moto.moto_api._internal.models import MotoAPIBackend

from .consistency import _describe_snapshots
from .copy_image import _copy_image
from .deprecation import _deprecation_time, _disable_image_deprecation, _enable_image_deprecation
from .images import _create_image, _describe_images, _register_image
from .launch import _run_instances
from .mappings import _block_device_mappings
from .protection import (
    _deregistration_protection,
    _disable_image_deregistration_protection,
    _enable_image_deregistration_protection,
)
from .recycle_bin import _list_images_in_recycle_bin, _restore_image_from_recycle_bin
from .references import _describe_image_references
from .snapshot_lock import (
    _describe_locked_snapshots,
    _get_status,
    _lock_snapshot,
    _set_status,
    _unlock_snapshot,
)
from .snapshots import _delete_snapshot, _deregister_image
from .state import STATE


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
    Ami.deprecation_time = property(_deprecation_time)  # type: ignore[attr-defined]
    EC2Response.enable_image_deprecation = _enable_image_deprecation  # type: ignore[attr-defined]
    EC2Response.disable_image_deprecation = _disable_image_deprecation  # type: ignore[attr-defined]
    Snapshot.status = property(_get_status, _set_status)  # type: ignore[assignment]
    EC2Response.lock_snapshot = _lock_snapshot  # type: ignore[attr-defined]
    EC2Response.unlock_snapshot = _unlock_snapshot  # type: ignore[attr-defined]
    EC2Response.describe_locked_snapshots = _describe_locked_snapshots  # type: ignore[attr-defined]
    InstanceResponse.run_instances = _run_instances  # type: ignore[method-assign]
    MotoAPIBackend.reset = _moto_reset  # type: ignore[method-assign]
    _PATCHED = True
