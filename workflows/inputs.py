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
    # How long compensations keep retrying (refusals included) before a person must step in.
    compensation_deadline_s: float = Field(default=24 * 3600.0, gt=0)


class EvidenceWait(BaseModel):
    """For a source registry without a write API: how long, and how often, to look for the holder's evidence."""

    deadline_s: float = Field(gt=0)
    poll_s: float = Field(gt=0)


class TransferInput(BaseModel):
    transfer: Transfer
    policy: StepPolicy = StepPolicy()
    evidence: EvidenceWait | None = None  # set when the source is evidence-based


class StepInput(BaseModel):
    """One saga step of one transfer; `reasons` carry why a compensating step runs."""

    transfer: Transfer
    reasons: list[Reason] = Field(default_factory=list)


class TransferOutcome(BaseModel):
    transfer_id: str
    state: TransferState
    reasons: list[Reason] = Field(default_factory=list)
