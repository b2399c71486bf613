"""The Temporal worker that runs transfers: one per process, any number per deployment."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.worker import Worker

from workflows.activities import TransferActivities
from workflows.transfer import TransferWorkflow


def transfer_worker(client: Client, task_queue: str, activities: TransferActivities) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[TransferWorkflow],
        activities=[
            activities.check,
            activities.reserve,
            activities.release_reservation,
            activities.lock_source,
            activities.unlock_source,
            activities.credit_destination,
            activities.uncredit_destination,
            activities.finalise_source,
            activities.settle,
            activities.mark_rejected,
            activities.mark_compensated,
            activities.mark_needs_intervention,
        ],
    )
