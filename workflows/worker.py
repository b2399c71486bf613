"""The Temporal worker that runs transfers and anchoring: one per process, any number per deployment.

Every worker of one deployment shares the ledger; a worker of another gateway (another
ledger) on the same task queue would run this gateway's transfers and anchors against
its own ledger, so each worker names its ledger in its identity and start-up refuses a
task queue that another ledger's worker polls.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.activities import TransferActivities
from workflows.anchor import AnchorWorkflow
from workflows.anchor_activities import AnchorActivities
from workflows.finance_workflows import FINANCE_WORKFLOWS
from workflows.reconciliation import ReconciliationWorkflow
from workflows.transfer import TransferWorkflow
from workflows.waits import LogWaits

_LEDGER_MARK = "/ledger-"
# A poller seen longer ago than a long poll lasts has stopped.
_POLLER_FRESH = timedelta(seconds=90)


class ForeignWorker(RuntimeError):
    """Another gateway's worker (another ledger) polls this task queue."""


def ledger_fingerprint(ledger_url: str) -> str:
    """A short stable name for a ledger, without the URL's secrets (host, path, password)."""
    return hashlib.sha256(ledger_url.encode()).hexdigest()[:12]


def worker_identity(fingerprint: str) -> str:
    return f"{os.getpid()}@{socket.gethostname()}{_LEDGER_MARK}{fingerprint}"


async def refuse_foreign_workers(client: Client, task_queue: str, fingerprint: str) -> None:
    """Raise ForeignWorker when a recent poller of `task_queue` works for another ledger."""
    described = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    now = datetime.now(UTC)
    for poller in described.pollers:
        seen = poller.last_access_time.ToDatetime(tzinfo=UTC)
        _, _, theirs = poller.identity.partition(_LEDGER_MARK)
        if now - seen < _POLLER_FRESH and theirs != fingerprint:
            raise ForeignWorker(
                f"task queue {task_queue!r} is served by another gateway's worker ({poller.identity}); "
                "use another task_queue or stop that gateway"
            )


# Temporal's sandbox imports a workflow's module afresh for every workflow it starts; for thousands of
# transfers that re-import (reading and executing the module's code) is most of the worker's time.
# Our workflow modules keep no state and call nothing nondeterministic (they use workflow.now(), sleep
# and uuid4), so they are passed through: imported once. The replay tests run them in the full sandbox.
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
)


# Steps a worker runs at once. They mostly wait on registries over HTTP, so the SDK's default of 100
# filled up under load (200 transfers in flight) and the server then queued the rest through its matching
# instead of handing each step straight to the worker that scheduled it: about 11 ms of the server's CPU per
# transfer in bench/transfers.py. Threads for the synchronous (anchoring) steps start only when needed.
ACTIVITY_SLOTS = 1_000

# Every workflow a gateway worker runs; tests/unit/test_workflow_replay.py replays a history of each.
WORKFLOWS: list[type] = [TransferWorkflow, AnchorWorkflow, *FINANCE_WORKFLOWS, ReconciliationWorkflow]


def transfer_activities(transfers: TransferActivities) -> list[Callable[..., Any]]:
    """Every step a TransferWorkflow runs."""
    return [
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
        transfers.resume_at,
    ]


def gateway_worker(
    client: Client,
    task_queue: str,
    transfers: TransferActivities,
    anchoring: AnchorActivities,
    fingerprint: str,
    finance: list[Callable[..., Any]],
    reconciliation: list[Callable[..., object]],
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    """The worker; `interceptors` run around `LogWaits` (so what they make current for logging, the
    step's transfer id, reaches its lines too) and inside any the client carries (Temporal
    prepends those, e.g. tracing)."""
    return Worker(
        client,
        task_queue=task_queue,
        identity=worker_identity(fingerprint),
        workflows=WORKFLOWS,
        activities=[
            *transfer_activities(transfers),
            anchoring.next_head,
            anchoring.send,
            anchoring.confirm,
            *finance,
            *reconciliation,
        ],
        # The anchoring activities are synchronous (web3, SQLAlchemy): they run on these threads.
        activity_executor=ThreadPoolExecutor(max_workers=ACTIVITY_SLOTS),
        interceptors=[*interceptors, LogWaits()],
        workflow_runner=WORKFLOW_RUNNER,
        max_concurrent_activities=ACTIVITY_SLOTS,
    )
