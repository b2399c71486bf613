"""The corresponding adjustment a host Party owes for each first transfer of authorised units.

Under Article 6.2 the host adds the transferred outcomes back to its emissions
balance (the corresponding adjustment) so that only the acquiring Party counts
them. The gateway cannot apply it, only track it: the host or the regulator
moves it forward, never back, because an adjustment once reported cannot be
un-reported without a new report.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import IllegalTransition


class AdjustmentState(StrEnum):
    NOT_STARTED = "not_started"
    PENDING = "pending"  # the host has announced it in its reporting, not yet applied
    APPLIED = "applied"


# One step at a time: an adjustment reported as applied must first have been pending.
_NEXT: dict[AdjustmentState, AdjustmentState | None] = {
    AdjustmentState.NOT_STARTED: AdjustmentState.PENDING,
    AdjustmentState.PENDING: AdjustmentState.APPLIED,
    AdjustmentState.APPLIED: None,
}


def advance_adjustment(current: AdjustmentState, new: AdjustmentState) -> AdjustmentState:
    """`new` when it is the next state; the same state again is a no-op so a retried RPC is harmless."""
    if new is current or new is _NEXT[current]:
        return new
    raise IllegalTransition(
        f"a corresponding adjustment cannot move from {current.value} to {new.value}; "
        "it moves only forward: not_started, pending, applied",
        field="adjustment",
    )
