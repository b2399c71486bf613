"""Event deliveries and the event stream over gRPC, to a real HTTP endpoint the test runs.

The endpoint verifies every delivery with the few lines docs/finance-events.md gives a
bank. Events are appended to the ledger's event log directly (as the settlement,
pledge and repo paths do in their own transactions), and tests look only at their own:
other tests' events may be in the log too. The plaintext caller is organisation
`plaintext`, so that is whose events a subscription hears of.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from aiohttp import web
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from temporalio.client import WorkflowExecutionStatus

from domain.deliveries import data_json
from domain.finance import EventKind, FinanceEvent
from gateway.roles import PLAINTEXT_CALLER
from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import finance_pb2 as pb
from protos.carbon.gateway.v1 import finance_pb2_grpc
from workflows.delivery import DeliveryPlan, DeliveryWorkflow
from workflows.delivery_activities import DeliveryPolicy, delivery_workflow_id

pytestmark = pytest.mark.e2e
ORG = PLAINTEXT_CALLER.org
_n = itertools.count(1)
_RUN = uuid.uuid4().hex[:8]


def verified(secret_hex: str, headers: Any, body: bytes, tolerance_s: int = 300) -> bool:
    """docs/finance-events.md, "Verifying a delivery", as a bank would copy it."""
    timestamp = headers["Carbon-Gateway-Timestamp"]
    signed = f"{timestamp}.{headers['Carbon-Gateway-Delivery']}.".encode() + body
    expected = "v1=" + hmac.new(bytes.fromhex(secret_hex), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance_s
    return fresh and hmac.compare_digest(expected, headers["Carbon-Gateway-Signature"])


@dataclass(frozen=True)
class Received:
    delivery_id: str
    body: bytes
    verified: bool

    @property
    def event_id(self) -> str:
        return str(json.loads(self.body)["event_id"])


@dataclass
class Receiver:
    """A bank's endpoint on 127.0.0.1: refuses what does not verify, and answers `status` to the first
    `fail_first` attempts at each delivery, 204 after that."""

    fail_first: float = 0
    status: int = 503
    secret: str | None = None
    requests: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    url: str = ""
    _attempts: Counter[str] = field(default_factory=Counter)
    _runner: web.AppRunner | None = None

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hooks/carbon", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks/carbon"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.secret is None:  # the subscription's answer is not back yet
            return web.Response(status=503)
        received = Received(
            request.headers["Carbon-Gateway-Delivery"], body, verified(self.secret, request.headers, body)
        )
        self.requests.append(received)
        if not received.verified:
            return web.Response(status=401)
        self._attempts[received.delivery_id] += 1
        if self._attempts[received.delivery_id] <= self.fail_first:
            return web.Response(status=self.status)
        self.accepted.append(received)
        return web.Response(status=204)

    def of(self, delivery_id: str, accepted: bool = False) -> list[Received]:
        return [r for r in (self.accepted if accepted else self.requests) if r.delivery_id == delivery_id]


@dataclass
class Bank:
    """The FinanceService stub, and the subscriptions a test made (their workflows end with the test)."""

    stub: finance_pb2_grpc.FinanceServiceStub
    made: list[str] = field(default_factory=list)

    async def subscribe(
        self, url: str, after: int, kinds: tuple[str, ...] = ()
    ) -> pb.CreateSubscriptionResponse:
        asked = pb.CreateSubscriptionRequest(
            subscription=pb.Subscription(endpoint_url=url, kinds=list(kinds)), after_offset=after
        )
        created = await self.stub.CreateSubscription(asked)
        self.made.append(created.subscription.subscription_id)
        return created

    async def deliveries(self, subscription_id: str, state: int = 0, page_size: int = 0) -> list[pb.Delivery]:
        listed = await self.stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id=subscription_id, state=state, page_size=page_size)
        )
        return list(listed.deliveries)


@pytest.fixture
async def bank(gateway: EmbeddedGateway, channel: grpc.aio.Channel, sandbox) -> AsyncIterator[Bank]:
    made = Bank(finance_pb2_grpc.FinanceServiceStub(channel))
    yield made
    # Subscriptions live until their bank goes; these end with the test, so none polls on after it.
    for subscription_id in set(made.made):
        await gateway.client.get_workflow_handle(delivery_workflow_id(subscription_id)).terminate("test over")


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Any]]:
    started: list[Receiver] = []

    async def start(**how: Any) -> Receiver:
        started.append(await Receiver(**how).start())
        return started[-1]

    yield start
    for receiver in started:
        await receiver.stop()


def event(kind: EventKind, subject: str, org: str = ORG, **data: Any) -> FinanceEvent:
    return FinanceEvent(
        event_id=f"test-deliveries:{_RUN}:{next(_n)}",
        org=org,
        kind=kind,
        subject=subject,
        data={"subject": subject, **data},
        occurred_at=datetime.now(UTC),
    )


async def append(gateway: EmbeddedGateway, *events: FinanceEvent, after: int = 0) -> list[FinanceEvent]:
    """Append each event in its own transaction, as facts happen; the events as stored (with offsets,
    found among those after `after`)."""
    stored = []
    for one in events:
        await asyncio.to_thread(gateway.ledger.finance.append_events, [one])
        found = await asyncio.to_thread(
            gateway.ledger.finance.events, one.org, after, (one.kind.value,), 10_000
        )
        stored.append(next(e for e in found if e.event_id == one.event_id))
    return stored


async def head(gateway: EmbeddedGateway) -> int:
    """An offset every event appended from now on is after (that of a probe only this test's org has)."""
    (probe,) = await append(gateway, event(EventKind.LOAN_RECORDED, "probe", org=f"probe-{uuid.uuid4().hex}"))
    assert probe.offset is not None
    return probe.offset


async def eventually(check: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """`check()`'s first truthy answer (awaited when a coroutine), looking every 50 ms."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = check()
        if asyncio.iscoroutine(answer):
            answer = await answer
        if answer:
            return answer
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


def delivery_of(subscription_id: str, stored: FinanceEvent) -> str:
    return f"{subscription_id}-{stored.offset}"


async def test_a_delivery_is_signed_retried_until_acknowledged_and_recognisable_when_sent_again(
    gateway, bank, receivers
):
    receiver = await receivers(fail_first=3, status=503)
    after = await head(gateway)
    created = await bank.subscribe(receiver.url, after)
    receiver.secret = created.secret
    subscription = created.subscription
    assert (subscription.owner, subscription.acknowledged_offset) == (ORG, after)
    assert len(created.secret) == 64 and subscription.subscription_id.startswith("sub-")

    (stored,) = await append(
        gateway, event(EventKind.PLEDGE_RELEASED, f"p-{_RUN}", quantity=100, 名称="深圳"), after=after
    )
    delivery = delivery_of(subscription.subscription_id, stored)
    await eventually(lambda: receiver.of(delivery, accepted=True))

    attempts = receiver.of(delivery)
    assert len(attempts) == 4 and all(a.verified for a in attempts)  # three 503s, then 204
    body = json.loads(attempts[-1].body)
    assert body["delivery_id"] == delivery and body["subscription_id"] == subscription.subscription_id
    assert (body["offset"], body["event_id"], body["kind"], body["subject"]) == (
        stored.offset,
        stored.event_id,
        "pledge.released",
        stored.subject,
    )
    assert body["data"] == stored.data
    assert len({a.body for a in attempts}) == 1, "every attempt carries the same body"

    async def delivered() -> pb.Delivery | None:
        found = [d for d in await bank.deliveries(subscription.subscription_id) if d.delivery_id == delivery]
        return found[0] if found and found[0].state == pb.DELIVERY_STATE_DELIVERED else None

    shown = await eventually(delivered)
    assert (shown.offset, shown.kind, shown.attempts, shown.last_error) == (
        stored.offset,
        "pledge.released",
        4,
        "HTTP 503",
    )
    assert shown.HasField("last_attempt_time")
    listed = await bank.stub.ListSubscriptions(pb.ListSubscriptionsRequest())
    (mine,) = [s for s in listed.subscriptions if s.subscription_id == subscription.subscription_id]
    assert mine.acknowledged_offset >= stored.offset and mine.endpoint_url == receiver.url

    # A retried create is the same subscription with the same secret, and starts nothing new.
    again = await bank.subscribe(receiver.url, after)
    assert (again.subscription.subscription_id, again.secret) == (
        subscription.subscription_id,
        created.secret,
    )

    # Sent again, it is recognisably the same delivery: same id, same body.
    replayed = await bank.stub.ReplayDeliveries(
        pb.ReplayDeliveriesRequest(subscription_id=subscription.subscription_id, after_offset=after)
    )
    assert replayed.queued >= 1
    first, second = await eventually(
        lambda: len(receiver.of(delivery, accepted=True)) == 2 and receiver.of(delivery, accepted=True)
    )
    assert (second.delivery_id, second.event_id, second.body) == (
        first.delivery_id,
        first.event_id,
        first.body,
    )


async def test_a_delivery_unacknowledged_past_the_window_fails_visibly_holds_the_rest_and_replays(
    gateway, bank, receivers
):
    receiver = await receivers(fail_first=math.inf, status=500)
    after = await head(gateway)
    kinds = ("pledge.created", "pledge.released")
    created = await bank.subscribe(receiver.url, after, kinds)
    receiver.secret = created.secret
    subscription_id = created.subscription.subscription_id
    subject = f"p-{_RUN}-held"
    pledged, sold, released = await append(
        gateway,
        event(EventKind.PLEDGE_CREATED, subject),
        event(EventKind.REPO_SOLD, f"r-{_RUN}"),  # not a kind it asked for
        event(EventKind.PLEDGE_RELEASED, subject),
        after=after,
    )
    first, then = delivery_of(subscription_id, pledged), delivery_of(subscription_id, released)

    failed = await eventually(lambda: bank.deliveries(subscription_id, pb.DELIVERY_STATE_FAILED))
    assert [d.delivery_id for d in failed] == [first]
    assert failed[0].attempts >= 3 and failed[0].last_error == "HTTP 500"
    assert len(receiver.of(first)) == failed[0].attempts
    # FAILED waits for a replay: no attempt in longer than the pauses between attempts were.
    await asyncio.sleep(1.5)
    assert len(receiver.of(first)) == failed[0].attempts
    # The release waits behind the failed creation: never attempted, so nothing overtakes it.
    assert [d.delivery_id for d in await bank.deliveries(subscription_id)] == [first]
    assert not receiver.of(then)
    listed = await bank.stub.ListSubscriptions(pb.ListSubscriptionsRequest())
    (stands,) = [s for s in listed.subscriptions if s.subscription_id == subscription_id]
    assert stands.acknowledged_offset == after

    receiver.fail_first = 0  # the endpoint is back
    replay = pb.ReplayDeliveriesRequest(
        subscription_id=subscription_id, after_offset=stands.acknowledged_offset
    )
    assert (await bank.stub.ReplayDeliveries(replay)).queued >= 2
    await eventually(lambda: receiver.of(then, accepted=True))
    order = [r.delivery_id for r in receiver.accepted]
    assert order.index(first) < order.index(then)
    assert all(r.event_id != sold.event_id for r in receiver.requests)

    async def both_delivered() -> list[pb.Delivery] | None:
        shown = await bank.deliveries(subscription_id, pb.DELIVERY_STATE_DELIVERED)
        return shown if [d.delivery_id for d in shown] == [then, first] else None  # newest first

    await eventually(both_delivered)
    page = await bank.stub.ListDeliveries(
        pb.ListDeliveriesRequest(subscription_id=subscription_id, page_size=1)
    )
    assert [d.delivery_id for d in page.deliveries] == [then] and page.next_page_token
    rest = await bank.stub.ListDeliveries(
        pb.ListDeliveriesRequest(
            subscription_id=subscription_id, page_size=1, page_token=page.next_page_token
        )
    )
    assert [d.delivery_id for d in rest.deliveries] == [first] and not rest.next_page_token


async def _watch(
    bank: Bank, after: int, until: set[str], kinds: tuple[str, ...] = ()
) -> list[pb.FinanceEvent]:
    """The stream from `after` until every event id in `until` came; then the stream is closed."""
    call = bank.stub.WatchFinanceEvents(
        pb.WatchFinanceEventsRequest(after_offset=after, kinds=list(kinds)), timeout=15
    )
    seen: list[pb.FinanceEvent] = []
    async for sent in call:
        seen.append(sent.event)
        if until <= {e.event_id for e in seen}:
            break
    call.cancel()
    return seen


async def test_the_event_stream_resumes_from_an_offset_without_gaps_while_events_arrive(gateway, bank):
    after = await head(gateway)
    early = await append(
        gateway,
        event(EventKind.PLEDGE_CREATED, f"p-{_RUN}-s", quantity=5),
        event(EventKind.REPO_SOLD, f"r-{_RUN}-s"),
        event(EventKind.PLEDGE_RELEASED, f"p-{_RUN}-s"),
        after=after,
    )
    seen = await _watch(bank, after, {e.event_id for e in early})
    shown = {e.event_id: e for e in seen}[early[0].event_id]
    assert (shown.offset, shown.kind, shown.subject) == (early[0].offset, "pledge.created", early[0].subject)
    assert shown.data_json == data_json(early[0].data) and json.loads(shown.data_json) == early[0].data
    assert shown.occur_time.ToDatetime(tzinfo=UTC) == early[0].occurred_at

    # Resume after the second event while two writers keep appending, one transaction each.
    resume_at = early[1].offset
    assert resume_at is not None
    late = [event(EventKind.PLEDGE_CONSENTED, f"p-{_RUN}-w{i}") for i in range(12)]
    writers = [asyncio.create_task(append(gateway, *late[i::2], after=after)) for i in range(2)]
    resumed = await _watch(bank, resume_at, {e.event_id for e in late} | {early[2].event_id})
    await asyncio.gather(*writers)
    offsets = [e.offset for e in resumed]
    assert offsets == sorted(set(offsets)) and offsets[0] > resume_at
    # Exactly the log's events after the offset, up to the last one sent: none skipped, none twice.
    logged = await asyncio.to_thread(gateway.ledger.finance.events, None, resume_at, (), 10_000)
    assert offsets == [e.offset for e in logged if e.offset is not None and e.offset <= offsets[-1]]
    assert [e.event_id for e in resumed if e.event_id in {x.event_id for x in early}] == [early[2].event_id]

    only_repos = await _watch(bank, after, {early[1].event_id}, kinds=("repo.sold",))
    assert {e.kind for e in only_repos} == {"repo.sold"}


def _violations(error: grpc.aio.AioRpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        found = error_details_pb2.BadRequest()
        if detail.Unpack(found):
            return [v.field for v in found.field_violations]
    return []


async def test_endpoints_kinds_and_subscriptions_are_refused_as_the_contract_says(bank):
    bad = pb.CreateSubscriptionRequest(
        subscription=pb.Subscription(
            endpoint_url="http://bank.example/hooks", kinds=["pledge.released", "pledge.boom"]
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await bank.stub.CreateSubscription(bad)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(refused.value) == ["subscription.endpoint_url", "subscription.kinds[1]"]
    assert "use https://" in (refused.value.details() or "")

    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await bank.stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id="sub-000000000000000000000000")
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await bank.stub.ReplayDeliveries(
            pb.ReplayDeliveriesRequest(subscription_id="sub-000000000000000000000000")
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    call = bank.stub.WatchFinanceEvents(
        pb.WatchFinanceEventsRequest(kinds=["transfer.teleported"]), timeout=5
    )
    with pytest.raises(grpc.aio.AioRpcError) as stream_refused:
        async for _ in call:
            pass
    assert stream_refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(stream_refused.value) == ["kinds[0]"]


async def test_an_acknowledgement_made_before_a_replay_does_not_skip_the_replayed_events(gateway):
    """The ledger's side of a replay racing an attempt in flight: the position only moves back."""
    book = gateway.ledger.deliveries
    org = f"bank-{uuid.uuid4().hex[:12]}"
    after = await head(gateway)
    subscription, created = await asyncio.to_thread(
        book.subscribe, org, "https://bank.example/hooks", (), after, datetime.now(UTC)
    )
    assert created
    one, two = await append(
        gateway,
        event(EventKind.LOAN_RECORDED, "l-1", org=org),
        event(EventKind.LOAN_RECORDED, "l-1", org=org),
    )
    now = datetime.now(UTC)
    assert await asyncio.to_thread(book.record_attempt, subscription.subscription_id, one, after, None, now)
    assert await asyncio.to_thread(book.replay, subscription.subscription_id, after) == 2
    # The attempt at `two` started from `one`'s position, which the replay moved back: not an advance.
    assert not await asyncio.to_thread(
        book.record_attempt, subscription.subscription_id, two, one.offset, None, now
    )
    stands = await asyncio.to_thread(book.subscription, subscription.subscription_id)
    assert stands is not None and stands.acked_offset == after
    assert [e.event_id for e in await asyncio.to_thread(book.pending, stands, 10)] == [
        one.event_id,
        two.event_id,
    ]
    shown = await asyncio.to_thread(book.deliveries, subscription.subscription_id, None, 10)
    assert [(d.offset, d.state.value, d.attempts) for d in shown] == [
        (two.offset, "pending", 1),
        (one.offset, "pending", 1),
    ]


async def test_a_delivery_workflow_continues_as_new_where_it_stood(gateway, receivers):
    """Two looks a run and one event a look: the third event is delivered by a later run, in order."""
    book = gateway.ledger.deliveries
    receiver = await receivers()
    org = f"bank-{uuid.uuid4().hex[:12]}"
    after = await head(gateway)
    subscription, _ = await asyncio.to_thread(book.subscribe, org, receiver.url, (), after, datetime.now(UTC))
    receiver.secret = subscription.secret
    events = await append(
        gateway, *(event(EventKind.LOAN_RECORDED, f"l-{i}", org=org) for i in range(3)), after=after
    )
    policy = DeliveryPolicy(
        poll_s=0.1,
        initial_backoff_s=0.1,
        max_backoff_s=0.1,
        retry_window_s=60,
        attempt_timeout_s=2,
        batch_size=1,
        looks_per_run=2,
    )
    workflow_id = delivery_workflow_id(subscription.subscription_id)
    first = await gateway.client.start_workflow(
        DeliveryWorkflow.run,
        DeliveryPlan(subscription_id=subscription.subscription_id, policy=policy),
        id=workflow_id,
        task_queue=gateway.settings.task_queue,
    )
    try:
        wanted = [delivery_of(subscription.subscription_id, e) for e in events]
        await eventually(lambda: [r.delivery_id for r in receiver.accepted] == wanted)

        async def acked() -> bool:
            # The run records the receiver's ack a moment after the receiver answered.
            stands = await asyncio.to_thread(book.subscription, subscription.subscription_id)
            return stands is not None and stands.acked_offset == events[-1].offset

        await eventually(acked)
        first_run = gateway.client.get_workflow_handle(workflow_id, run_id=first.first_execution_run_id)
        assert (await first_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    finally:
        await gateway.client.get_workflow_handle(workflow_id).terminate("test over")
    assert [r.delivery_id for r in receiver.accepted] == wanted  # nothing delivered twice
