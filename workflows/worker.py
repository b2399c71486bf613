"""The Temporal worker that runs transfers and anchoring: one per process, any number per deployment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from workflows.activities import TransferActivities
from workflows.anchor import AnchorWorkflow
from workflows.anchor_activities import AnchorActivities
from workflows.transfer import TransferWorkflow


def gateway_worker(
    client: Client, task_queue: str, transfers: TransferActivities, anchoring: AnchorActivities
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TransferWorkflow, AnchorWorkflow],
        activities=[
            transfers.check,
            transfers.reserve,
            transfers.release_reservation,
            transfers.lock_source,
            transfers.find_evidence,
            transfers.unlock_source,
            transfers.credit_destination,
            transfers.uncredit_destination,
            transfers.finalise_source,
            transfers.settle,
            transfers.mark_rejected,
            transfers.mark_compensated,
            transfers.mark_needs_intervention,
            anchoring.next_head,
            anchoring.send,
            anchoring.confirm,
        ],
        # The anchoring activities are synchronous (web3, SQLAlchemy): they run on these threads.
        activity_executor=ThreadPoolExecutor(max_workers=4),
    )
