"""AnchorWorkflow: commit the settlement log's tree head to the chain, on a Temporal schedule.

Each run anchors at most one head: an unfinished earlier head first (a crash left
it sent but not final), else up to `batch_size` new settlements. The head counts
once its transaction has the configured confirmations; then the transfers it
covers move to ANCHORED.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.anchor_activities import AnchorActivities, AnchorTarget, TreeHead

ANCHOR_SCHEDULE_ID = "anchor-settlement-log"


class AnchorOutcome(BaseModel):
    head: TreeHead | None = None
    tx_hash: str | None = None
    anchored_transfers: list[str] = []


@workflow.defn
class AnchorWorkflow:
    @workflow.run
    async def run(self, target: AnchorTarget) -> AnchorOutcome:
        head = await workflow.execute_activity_method(
            AnchorActivities.next_head, target, start_to_close_timeout=timedelta(minutes=2)
        )
        if head is None:
            return AnchorOutcome()
        tx_hash = await workflow.execute_activity_method(
            AnchorActivities.send,
            head,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        anchored = await workflow.execute_activity_method(
            AnchorActivities.confirm,
            args=[head, target.confirmations],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=500),
                backoff_coefficient=1.5,
                maximum_interval=timedelta(seconds=15),
                non_retryable_error_types=[],
            ),
        )
        return AnchorOutcome(head=head, tx_hash=tx_hash, anchored_transfers=anchored)
