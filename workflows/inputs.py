"""Types that cross the workflow/activity boundary, shared by both sides.

Kept apart from the activities so the workflow module imports nothing heavy.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from domain.transfers import Reason, Transfer, TransferState

REJECTED_ERROR = "TransferRejected"  # ApplicationError type for business refusals


class StepPolicy(BaseModel):
    """How Temporal retries one registry or ledger step before the saga gives up on it."""

    attempts: int = Field(default=6, ge=1)
    initial_interval_s: float = 0.2
    max_interval_s: float = 5.0
    timeout_s: float = 30.0


class TransferInput(BaseModel):
    transfer: Transfer
    policy: StepPolicy = StepPolicy()


class StepInput(BaseModel):
    """One saga step of one transfer; `reasons` carry why a compensating step runs."""

    transfer: Transfer
    reasons: list[Reason] = Field(default_factory=list)


class TransferOutcome(BaseModel):
    transfer_id: str
    state: TransferState
    reasons: list[Reason] = Field(default_factory=list)
