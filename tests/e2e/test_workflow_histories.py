"""One ordinary run of each of the worker's other workflows leaves a history that replays.

Transfers and reconciliations are recorded by their own tests (docs/histories.md lists
them); this drives anchoring, event deliveries, a pledge's release, a repo and a bought
retirement the way the gateway starts them. `RECORD_HISTORIES=1` writes each history
under tests/histories, where tests/unit/test_workflow_replay.py replays them on every run.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from domain.finance import EventKind, RepoState, RetirementState
from gateway.finance_deliveries import delivery_policy
from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import finance_pb2 as pb
from protos.carbon.gateway.v1 import finance_pb2_grpc, transfer_pb2
from tests.e2e.client import SETTLED, final_state
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial
from tests.e2e.test_anchoring import anchored, settle
from tests.e2e.test_finance_deliveries import (
    ORG,
    Receiver,
    append,
    delivery_of,
    event,
    eventually,
    head,
)
from tests.e2e.test_finance_retirement import ended, open_account, retire
from workflows.anchor import AnchorOutcome, AnchorStatus, AnchorWorkflow
from workflows.collateral import (
    ReleaseCollateralWorkflow,
    Released,
    RepoWorkflow,
    release_workflow_id,
    repo_workflow_id,
)
from workflows.delivery import DeliveryPlan, DeliveryWorkflow
from workflows.delivery_activities import delivery_workflow_id
from workflows.inputs import transfer_workflow_id
from workflows.retirement import RetirementOutcome, RetirementWorkflow

# Each run here takes a few seconds; a stuck one fails instead of holding up the suite.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
HISTORIES = Path(__file__).resolve().parents[1] / "histories"
_n = itertools.count(1)


async def replay_and_keep(history: WorkflowHistory, name: str, workflow_class: type) -> None:
    """The history replays on the current code; RECORD_HISTORIES=1 keeps it for the replay test."""
    await Replayer(workflows=[workflow_class], data_converter=pydantic_data_converter).replay_workflow(
        history
    )
    if os.environ.get("RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / f"{name}.json").write_text(history.to_json())


def event_types(history: WorkflowHistory) -> list[EventType.ValueType]:
    return [e.event_type for e in history.events]


@pytest.fixture
def finance(channel: grpc.aio.Channel) -> finance_pb2_grpc.FinanceServiceStub:
    return finance_pb2_grpc.FinanceServiceStub(channel)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A bank's endpoint on 127.0.0.1 that acknowledges every delivery after refusing its first attempt."""
    started = await Receiver(fail_first=1, status=503).start()
    yield started
    await started.stop()


def ccer(account_id: str, registry_id: str = "cn-ccer") -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id=registry_id, account_id=account_id)


async def test_an_anchor_run_that_anchored_a_settlement_replays(
    gateway: EmbeddedGateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    """The schedule starts the runs; the one that made our settlement ANCHORED is the one kept."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    transfer_id = f"history-anchor-{account}"
    await settle(transfers, sandbox, account, ccer_serial(1, 20), transfer_id)
    await anchored(transfers, transfer_id, within_s=20)
    client = gateway.client
    assert client is not None
    query = (
        'WorkflowType = "AnchorWorkflow" AND ExecutionStatus = "Completed" '
        f'AND StartTime >= "{since.isoformat().replace("+00:00", "Z")}"'
    )

    async def the_run() -> tuple[str, str, AnchorOutcome] | None:
        async for run in client.list_workflows(query):
            outcome = await client.get_workflow_handle_for(
                AnchorWorkflow.run, run.id, run_id=run.run_id
            ).result()
            if transfer_id in outcome.anchored_transfers:
                return run.id, run.run_id, outcome
        return None

    workflow_id, run_id, outcome = await eventually(the_run)
    assert outcome.status is AnchorStatus.FINAL and outcome.tx_hash
    assert outcome.head is not None and outcome.head.size >= 1
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    await replay_and_keep(history, "anchor_final", AnchorWorkflow)


async def test_a_subscription_s_delivery_run_replays_while_it_runs(
    gateway: EmbeddedGateway, finance, receiver: Receiver
):
    """A subscription's workflow never ends on its own: its history is taken while it waits, after a
    refused attempt, its retry, and a replay signalled by ReplayDeliveries."""
    client = gateway.client
    assert client is not None
    after = await head(gateway)
    created = await finance.CreateSubscription(
        pb.CreateSubscriptionRequest(
            subscription=pb.Subscription(endpoint_url=receiver.url, kinds=["pledge.released"]),
            after_offset=after,
        )
    )
    receiver.secret = created.secret
    subscription_id = created.subscription.subscription_id
    handle = client.get_workflow_handle(delivery_workflow_id(subscription_id))
    try:
        (stored,) = await append(
            gateway, event(EventKind.PLEDGE_RELEASED, f"history-{next(_n)}", quantity=10), after=after
        )
        delivery = delivery_of(subscription_id, stored)
        await eventually(lambda: receiver.of(delivery, accepted=True))
        replayed = await finance.ReplayDeliveries(
            pb.ReplayDeliveriesRequest(subscription_id=subscription_id, after_offset=after)
        )
        assert replayed.queued >= 1  # ours; the log is shared with the session's other tests
        await eventually(lambda: len(receiver.of(delivery, accepted=True)) == 2)

        async def waiting_again() -> WorkflowHistory | None:
            """The history once the delivery after the signal has completed and the run waits again."""
            seen = await handle.fetch_history()
            kinds = event_types(seen)
            if EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED not in kinds:
                return None
            after_signal = kinds[kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) :]
            done = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in after_signal
            return seen if done and kinds[-1] == EventType.EVENT_TYPE_TIMER_STARTED else None

        history = await eventually(waiting_again)
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    finally:
        await handle.terminate("history recorded")
    # What the replayer gets: an open run (no close event), waiting on a timer after the replay signal.
    kinds = event_types(history)
    assert kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) >= 3
    assert not {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    } & set(kinds)
    first, again = receiver.of(delivery, accepted=True)
    assert first.body == again.body and first.event_id == stored.event_id
    await replay_and_keep(history, "delivery_subscription", DeliveryWorkflow)


async def test_a_delivery_run_that_continued_as_new_replays(gateway: EmbeddedGateway, receiver: Receiver):
    """The gateway's subscriptions look 500 times a run; two looks here, so the run's end is seen."""
    client = gateway.client
    assert client is not None
    book = gateway.ledger.deliveries
    after = await head(gateway)
    subscription, _ = await asyncio.to_thread(book.subscribe, ORG, receiver.url, (), after, datetime.now(UTC))
    receiver.secret = subscription.secret
    s = gateway.settings
    policy = delivery_policy(s).model_copy(update={"looks_per_run": 2})
    # The event is waiting before the run starts, so the run's two looks deliver it (refused, then sent).
    (stored,) = await append(gateway, event(EventKind.LOAN_RECORDED, f"history-{next(_n)}"), after=after)
    workflow_id = delivery_workflow_id(subscription.subscription_id)
    first = await client.start_workflow(
        DeliveryWorkflow.run,
        DeliveryPlan(subscription_id=subscription.subscription_id, policy=policy),
        id=workflow_id,
        task_queue=s.task_queue,
    )
    try:
        run = client.get_workflow_handle(workflow_id, run_id=first.first_execution_run_id)
        await eventually(
            lambda: receiver.of(delivery_of(subscription.subscription_id, stored), accepted=True)
        )

        async def continued() -> bool:
            return (await run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW

        await eventually(continued)
        history = await run.fetch_history()
    finally:
        await client.get_workflow_handle(workflow_id).terminate("history recorded")
    assert event_types(history)[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    await replay_and_keep(history, "delivery_continued_as_new", DeliveryWorkflow)


async def test_a_pledge_release_run_replays(
    gateway: EmbeddedGateway, finance, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    serial = ccer_serial(1, 30)
    await sandbox.seed("cn-ccer", account, serial)
    pledge_id = f"history-pledge-{account}"
    await finance.Pledge(pb.PledgeRequest(pledge_id=pledge_id, holder=ccer(account), serial=serial))
    released = await finance.ReleaseCollateral(pb.ReleaseCollateralRequest(pledge_id=pledge_id))
    assert released.released and released.pledge.state == pb.PLEDGE_STATE_RELEASED
    assert gateway.client is not None
    handle = gateway.client.get_workflow_handle_for(
        ReleaseCollateralWorkflow.run, release_workflow_id(pledge_id)
    )
    done: Released = await handle.result()
    assert done.released and done.pledge.pledge_id == pledge_id
    await replay_and_keep(await handle.fetch_history(), "pledge_release", ReleaseCollateralWorkflow)


async def test_a_repo_run_from_sale_to_repurchase_replays(
    gateway: EmbeddedGateway, finance, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    """OpenRepo sells, the buyer's ConfirmRepurchase signals the workflow, the repurchase completes it."""
    serial = ccer_serial(1, 50)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-bank")
    repo_id = f"history-repo-{account}"
    opened = await finance.OpenRepo(
        pb.OpenRepoRequest(
            repo_id=repo_id,
            seller_account=ccer(account),
            buyer_account=ccer(f"{account}-bank", "cn-sz-ets"),
            buyer="plaintext",
            serial=serial,
            quantity=50,
            repurchase_quantity=40,
            repurchase_date=datetime.now(UTC).date().isoformat(),
        )
    )
    assert (await final_state(transfers, opened.repo.sale_transfer_id, timeout_s=20)).state in SETTLED

    async def sold() -> bool:
        return (await finance.GetRepo(pb.GetRepoRequest(repo_id=repo_id))).state == pb.REPO_STATE_SOLD

    await eventually(sold)
    confirmed = await finance.ConfirmRepurchase(pb.ConfirmRepurchaseRequest(repo_id=repo_id))
    assert confirmed.repo.state == pb.REPO_STATE_REPURCHASING
    assert gateway.client is not None
    handle = gateway.client.get_workflow_handle_for(RepoWorkflow.run, repo_workflow_id(repo_id))
    assert await handle.result() is RepoState.COMPLETED
    repurchase = await final_state(transfers, confirmed.repo.repurchase_transfer_id, timeout_s=20)
    assert repurchase.state in SETTLED and repurchase.quantity == 40
    history = await handle.fetch_history()
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED in event_types(history)
    await replay_and_keep(history, "repo_completed", RepoWorkflow)


async def test_a_bought_retirement_run_replays(
    gateway: EmbeddedGateway, finance, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    """The fuller of the two paths: the purchase is looked at between timers, then the units retired."""
    seller, holding, pb_id, rid = f"{account}-seller", f"{account}-pb", f"pb-{account}", f"hr-{account}"
    await sandbox.seed("cn-ccer", seller, ccer_serial(1, 30))
    await sandbox.open_account("cn-sz-ets", holding)
    await open_account(finance, pb_id, holding, "Acme", registry_id="cn-sz-ets")
    started = await finance.RetireForBeneficiary(
        retire(rid, pb_id, ccer_serial(1, 30), seller=ccer(seller), quantity=20)
    )
    assert started.state == pb.RETIREMENT_STATE_BUYING
    done = await ended(finance, rid)
    assert done.state == pb.RETIREMENT_STATE_RETIRED, done.reasons
    assert gateway.client is not None
    handle = gateway.client.get_workflow_handle_for(
        RetirementWorkflow.run, transfer_workflow_id(f"retire-{rid}")
    )
    outcome: RetirementOutcome = await handle.result()
    assert (outcome.retirement_id, outcome.state) == (rid, RetirementState.RETIRED)
    await replay_and_keep(await handle.fetch_history(), "retirement_bought", RetirementWorkflow)
