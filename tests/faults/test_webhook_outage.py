"""A bank's webhook receiver is down for an hour of simulated time, then comes back.

Temporal's time-skipping test server runs the real `DeliveryWorkflow` with its real activities
against a real ledger (SQLite) and a real HTTP receiver on 127.0.0.1: for the first half hour
nothing listens on its port (connection refused), for the second it answers 503, after the hour
it acknowledges. Events are appended before and during the outage and after it. Every event is
delivered exactly once, in offset order, none is lost or FAILED, the pauses between attempts stay
within the policy's backoff, and the backlog drains within one backoff of the receiver's return.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.outbound_tls import OutboundTls
from domain.deliveries import DeliveryState
from domain.finance import EventKind, FinanceEvent
from ledger import Ledger
from tests.faults.harness import free_port
from tests.faults.invariants import traced_records
from workflows.delivery import DeliveryPlan, DeliveryWorkflow
from workflows.delivery_activities import DeliveryActivities, DeliveryPolicy, delivery_workflow_id

ORG = "bank-faults"
OUTAGE = timedelta(hours=1)
# The gateway's defaults (gateway/settings.py), but for the idle poll: a look every 30 s of
# simulated time instead of 2 s keeps the workflow's real work small while time flies.
POLICY = DeliveryPolicy(
    poll_s=30.0,
    initial_backoff_s=1.0,
    max_backoff_s=600.0,
    retry_window_s=3 * 24 * 3600.0,
    attempt_timeout_s=10.0,
)
_n = itertools.count(1)


def _test_server() -> str:
    beside = Path(sys.executable).parent / "temporal-test-server"
    found = shutil.which("temporal-test-server") or (str(beside) if beside.exists() else None)
    if found is None:
        pytest.fail("temporal-test-server is missing: install the project's dev extras")
    return found


@dataclass
class Receiver:
    """The bank's endpoint: down (nothing listens) until `listen()`, then 503 until `up_at` (simulated
    time, asked of the test server), then 204 to every delivery whose signature verifies."""

    env: WorkflowEnvironment
    up_at: datetime
    port: int = field(default_factory=free_port)
    secret: str = ""
    refused: list[tuple[datetime, str]] = field(default_factory=list)  # (simulated time, delivery id)
    accepted: list[tuple[datetime, str, bytes]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/carbon"

    async def listen(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/carbon", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = await self.env.get_current_time()
        delivery = request.headers["Carbon-Gateway-Delivery"]
        if now < self.up_at:
            self.refused.append((now, delivery))
            return web.Response(status=503)
        signed = f"{request.headers['Carbon-Gateway-Timestamp']}.{delivery}.".encode() + body
        expected = "v1=" + hmac.new(bytes.fromhex(self.secret), signed, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, request.headers["Carbon-Gateway-Signature"]):
            return web.Response(status=401)
        self.accepted.append((now, delivery, body))
        return web.Response(status=204)


def _event(subject: str) -> FinanceEvent:
    return FinanceEvent(
        event_id=f"faults-webhook:{uuid.uuid4().hex[:8]}:{next(_n)}",
        org=ORG,
        kind=EventKind.LOAN_RECORDED,
        subject=subject,
        data={"subject": subject},
        occurred_at=datetime.now(UTC),
    )


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    started = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=_test_server()
    )
    yield started
    await started.shutdown()


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as opened:
        yield opened


@pytest.mark.timeout(90)
async def test_a_receiver_down_for_an_hour_gets_every_event_once_in_order_then_the_backlog_drains(
    env: WorkflowEnvironment, ledger: Ledger, logs: pytest.LogCaptureFixture
) -> None:
    start = await env.get_current_time()
    receiver = Receiver(env, up_at=start + OUTAGE)
    subscription, _ = await asyncio.to_thread(
        ledger.deliveries.subscribe, ORG, receiver.url, (), 0, datetime.now(UTC)
    )
    receiver.secret = subscription.secret
    appended: list[FinanceEvent] = []

    async def append(*subjects: str) -> None:
        events = [_event(s) for s in subjects]
        for one in events:  # one transaction each, as facts happen
            await asyncio.to_thread(ledger.finance.append_events, [one])
        appended.extend(events)

    await append("before-1", "before-2", "before-3")
    deliveries = DeliveryActivities(ledger, OutboundTls(verify=True))
    async with Worker(
        env.client,
        task_queue="faults-deliveries",
        workflows=[DeliveryWorkflow],
        activities=[deliveries.deliver, deliveries.give_up],
    ):
        handle: WorkflowHandle = await env.client.start_workflow(
            DeliveryWorkflow.run,
            DeliveryPlan(subscription_id=subscription.subscription_id, policy=POLICY),
            id=delivery_workflow_id(subscription.subscription_id),
            task_queue="faults-deliveries",
        )
        try:
            await env.sleep(timedelta(minutes=20))
            await append("down-1", "down-2")  # more backlog while nothing listens
            await env.sleep(timedelta(minutes=10))
            await receiver.listen()  # listening, but answering 503 until the hour is up
            await env.sleep(timedelta(minutes=20))
            await append("refusing-1")
            await env.sleep(OUTAGE - timedelta(minutes=50))
            assert receiver.accepted == [], "nothing is acknowledged while the receiver is down"
            for _ in range(12):  # at most one backoff (600 s) past the hour, a minute at a time
                if len(receiver.accepted) == len(appended):
                    break
                await env.sleep(timedelta(minutes=1))
            await append("after-1")
            for _ in range(10):  # the next look (poll_s) takes it
                if len(receiver.accepted) == len(appended):
                    break
                await env.sleep(timedelta(seconds=POLICY.poll_s))
        finally:
            await handle.terminate("test over")
            await receiver.stop()

    stored = await asyncio.to_thread(ledger.finance.events, ORG, 0, (), 100)
    offsets = {e.event_id: int(e.offset or 0) for e in stored}
    wanted = [f"{subscription.subscription_id}-{offsets[e.event_id]}" for e in appended]
    got = [delivery for _, delivery, _ in receiver.accepted]
    assert got == wanted, "every event exactly once, in offset order"
    assert [offsets[e.event_id] for e in appended] == sorted(offsets[e.event_id] for e in appended)
    # The receiver was retried through the whole outage, never more than a backoff apart.
    refused_at = [at for at, _ in receiver.refused]
    assert refused_at and all(at < start + OUTAGE for at in refused_at)
    first_accepted = receiver.accepted[0][0]
    assert first_accepted - (start + OUTAGE) <= timedelta(seconds=POLICY.max_backoff_s + POLICY.poll_s)
    # The ledger agrees: every delivery DELIVERED, none FAILED, the position at the last event.
    shown = await asyncio.to_thread(ledger.deliveries.deliveries, subscription.subscription_id, None, 100)
    assert {d.state for d in shown} == {DeliveryState.DELIVERED} and len(shown) == len(appended)
    stands = await asyncio.to_thread(ledger.deliveries.subscription, subscription.subscription_id)
    assert stands is not None and stands.acked_offset == max(offsets.values())
    assert sum(d.attempts for d in shown) > len(appended), "the outage was met and retried"
    assert traced_records(logs.records) == []
