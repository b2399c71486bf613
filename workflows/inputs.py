"""Types that cross the workflow/activity boundary, shared by both sides.

Kept apart from the activities so the workflow module imports nothing heavy.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from compliance_rules.offset_claims import OffsetClaim
from domain.transfers import Reason, Transfer, TransferState

REJECTED_ERROR = "TransferRejected"  # ApplicationError type for business refusals
NOT_WAITING_ERROR = "NotWaitingForOperator"  # an operator's decision sent when none is asked for

TRANSFER_WORKFLOW_PREFIX = "transfer/"  # transfer ids never contain "/", so no internal id collides


def transfer_workflow_id(transfer_id: str) -> str:
    """The workflow id of a transfer's saga: namespaced, so a transfer id can't take an internal id."""
    return TRANSFER_WORKFLOW_PREFIX + transfer_id


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
    # After the deadline the reservation is released, but the holder may still act: looking on for
    # this long (every `late_poll_s`) flags immobilised units that no transfer will credit.
    late_watch_s: float = Field(default=0.0, ge=0)
    late_poll_s: float = Field(default=600.0, gt=0)
    # Looks per workflow run before it continues as new, so no wait outgrows the history limit.
    looks_per_run: int = Field(default=500, ge=1)


class WaitPhase(StrEnum):
    EVIDENCE = "evidence"  # the reservation is held while the holder acts
    LATE_EVIDENCE = "late_evidence"  # compensated at the deadline; watching for a late immobilisation


class EvidenceResume(BaseModel):
    """Where a continued-as-new evidence wait picks up: which phase, until when (absolute)."""

    phase: WaitPhase
    until: datetime


class StepInput(BaseModel):
    """One saga step of one transfer; `reasons` carry why it runs, `state` where a resumed transfer stands."""

    transfer: Transfer
    reasons: list[Reason] = Field(default_factory=list)
    state: TransferState | None = None
    offset_claim: OffsetClaim | None = None  # for `reserve`: the headroom `check` found the transfer needs
    # For `reserve`: answer False while a reconciliation reviews the serials, so the saga waits and asks
    # again (sagas from before reconciliation leave it False and are answered with a retryable error).
    wait_for_review: bool = False


class Resolution(StrEnum):
    RETRY = "retry"  # run the step that stopped the transfer again
    RECORD_SETTLED = "record_settled"  # finished by hand: the units are at the destination only
    RECORD_COMPENSATED = "record_compensated"  # undone by hand: the units are back with the holder only


class OperatorDecision(BaseModel):
    """An operator's answer to a transfer that needs intervention; kept in the transfer's history."""

    resolution: Resolution
    reason: str = Field(min_length=1, max_length=1000)
    operator: str = Field(min_length=1, max_length=128)

    def as_reason(self) -> Reason:
        code = "OPERATOR-" + self.resolution.value.upper().replace("_", "-")
        return Reason(code=code, message=f"{self.operator}: {self.reason}")


class TransferInput(BaseModel):
    transfer: Transfer
    policy: StepPolicy = StepPolicy()
    evidence: EvidenceWait | None = None  # set when the source is evidence-based
    resume: EvidenceResume | None = None  # set when an evidence wait continued as new
    # Set when an operator records how a flagged transfer whose saga had ended was resolved by hand.
    decision: OperatorDecision | None = None


class TransferOutcome(BaseModel):
    transfer_id: str
    state: TransferState
    reasons: list[Reason] = Field(default_factory=list)
