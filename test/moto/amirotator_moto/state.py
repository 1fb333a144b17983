"""Our extra, in-memory state (call log, CopyImage client tokens, the Recycle Bin, Describe call counts) and the
knobs set through /_amirotator/config; the new-image knobs are applied here."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.ec2.models.amis import Ami

    from .recycle_bin import BinEntry


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


def _apply_new_image_state(ami: Ami, copy: bool = False) -> None:
    """Knobs newImageState (CreateImage) and newCopyState (CopyImage, default: newImageState). [API_CreateImage]
    and [API_CopyImage] return while the new image is still pending; with two knobs a test can hold copies pending
    while creates complete at once."""
    state = (STATE.new_copy_state or STATE.new_image_state) if copy else STATE.new_image_state
    if state == "pending":
        ami.state = "pending"
        ami.ebs_snapshot.status = "pending"
