"""AnchorWorkflow: commit the settlement log's tree head to the chain, on a Temporal schedule.

Each run anchors at most one head: an unfinished earlier head first (a crash, or
an earlier run that ran out of time, left it signed but not final), else up to
`batch_size` new settlements. The head counts once a transaction for it has the
configured confirmations; then the transfers it covers move to ANCHORED.

A run is bounded, so the schedule's next run is never skipped for good: it
sends, then looks for confirmations `confirm_checks` times; a transaction that
was dropped, reverted or stuck is signed again by the next `send`; after
`rounds` rounds the run ends PENDING and the next scheduled run resumes the same
head.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.anchor_activities import (
        CONFLICT,
        NEEDS_RESEND,
        NOT_YET_FINAL,
        AnchorActivities,
        AnchorTarget,
        TreeHead,
    )

ANCHOR_SCHEDULE_ID = "anchor-settlement-log"
# The id of the runs the schedule starts; transfer ids never contain "/", so no transfer can take it.
ANCHOR_WORKFLOW_ID = "gateway/anchor-settlement-log"

# A send or a confirmation is a few JSON-RPC calls; a worker silent this long has died.
_STEP_SILENCE = timedelta(seconds=20)
_READ_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10), maximum_attempts=5)
_SEND_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=5)


class AnchorStatus(StrEnum):
    NOTHING_TO_ANCHOR = "nothing-to-anchor"
    FINAL = "final"  # the head has its confirmations; its transfers are ANCHORED
    PENDING = "pending"  # not final within this run; the next run resumes this head


class AnchorOutcome(BaseModel):
    status: AnchorStatus = AnchorStatus.NOTHING_TO_ANCHOR
    head: TreeHead | None = None
    tx_hash: str | None = None
    anchored_transfers: list[str] = []
    detail: str = ""


def _failure_type(error: ActivityError) -> str | None:
    cause = error.cause
    return cause.type if isinstance(cause, ApplicationError) else None


@workflow.defn
class AnchorWorkflow:
    @workflow.run
    async def run(self, target: AnchorTarget) -> AnchorOutcome:
        head = await workflow.execute_activity_method(
            AnchorActivities.next_head,
            target,
            # A catch-up over millions of leaves takes minutes, heartbeating per chunk; a worker
            # that dies mid-step is noticed by its silence, not after the whole allowance.
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=_STEP_SILENCE,
            retry_policy=_READ_RETRY,
        )
        if head is None:
            return AnchorOutcome()
        tx_hash: str | None = None
        detail = ""
        for _ in range(target.recovery.rounds):
            try:
                tx_hash = await self._send(head, target)
            except ActivityError as error:
                if _failure_type(error) == CONFLICT:
                    raise ApplicationError(f"cannot anchor tree size {head.size}: {error.cause}") from error
                detail = f"sending failed: {error.cause}"
                workflow.logger.warning("anchor of size %d: %s", head.size, detail)
                break
            try:
                anchored = await self._confirm(head, target)
            except ActivityError as error:
                detail = str(error.cause)
                if _failure_type(error) in (NOT_YET_FINAL, NEEDS_RESEND):
                    continue
                workflow.logger.warning("anchor of size %d: confirming failed: %s", head.size, detail)
                break
            return AnchorOutcome(
                status=AnchorStatus.FINAL, head=head, tx_hash=tx_hash, anchored_transfers=anchored
            )
        workflow.logger.info(
            "anchor of size %d is still pending (%s); the next run resumes it", head.size, detail
        )
        return AnchorOutcome(status=AnchorStatus.PENDING, head=head, tx_hash=tx_hash, detail=detail)

    async def _send(self, head: TreeHead, target: AnchorTarget) -> str:
        return await workflow.execute_activity_method(
            AnchorActivities.send,
            args=[head, target.recovery],
            start_to_close_timeout=_STEP_SILENCE,
            retry_policy=_SEND_RETRY,
        )

    async def _confirm(self, head: TreeHead, target: AnchorTarget) -> list[str]:
        return await workflow.execute_activity_method(
            AnchorActivities.confirm,
            args=[head, target.confirmations],
            start_to_close_timeout=_STEP_SILENCE,
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=500),
                backoff_coefficient=1.5,
                maximum_interval=timedelta(seconds=15),
                maximum_attempts=target.recovery.confirm_checks,
            ),
        )
