"""FinanceService: banks' event subscriptions, their deliveries, and the event stream.

A subscription belongs to the calling bank's organisation and hears only that
organisation's events; each has one DeliveryWorkflow (workflows.delivery) that
POSTs them in order, signed with the subscription's secret (domain.deliveries).
The stream reads the same event log, so an event has the same offset and id
whichever way it reaches the bank, and a bank can move between the two by offset.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc
from temporalio.common import WorkflowIDConflictPolicy

from domain import paging
from domain.deliveries import (
    Delivery,
    DeliveryState,
    Subscription,
    data_json,
    require_endpoint_url,
    require_event_kind,
)
from domain.errors import GatewayError, InvalidInput, NotFound, quoted
from domain.finance import FinanceEvent
from gateway import request_bounds
from gateway.finance_base import FinanceRpcs
from gateway.roles import current_caller
from gateway.servicers import mapped, mapped_on
from gateway.settings import Settings
from gateway.status_codes import abort_with
from protos.carbon.gateway.v1 import finance_pb2 as pb
from workflows.delivery import REPLAY_SIGNAL, DeliveryPlan, DeliveryWorkflow
from workflows.delivery_activities import DeliveryPolicy, delivery_workflow_id

ON_SUBSCRIPTION = ("subscription", "subscription_id")
_SCOPE = "deliveries"
_DEFAULT_PAGE_SIZE = 100  # the contract's "0 means 100"
_STREAM_BATCH = 100
_STREAM_MAX_PAUSE_S = 2.0  # an idle stream looks less often, up to this
_STATES = {
    pb.DELIVERY_STATE_PENDING: DeliveryState.PENDING,
    pb.DELIVERY_STATE_DELIVERED: DeliveryState.DELIVERED,
    pb.DELIVERY_STATE_FAILED: DeliveryState.FAILED,
}
_STATE_NUMBERS = {state: number for number, state in _STATES.items()}


def _kinds(kinds: list[str] | tuple[str, ...], field: str) -> list[str]:
    """Every kind asked for, each checked; every unknown one named in one refusal."""
    refusals: list[InvalidInput] = []
    known: list[str] = []
    for index, kind in enumerate(kinds):
        try:
            known.append(require_event_kind(kind, f"{field}[{index}]").value)
        except InvalidInput as refused:
            refusals.append(refused)
    if refusals:
        raise InvalidInput.joined(refusals)
    return known


def subscription_to_proto(subscription: Subscription) -> pb.Subscription:
    msg = pb.Subscription(
        subscription_id=subscription.subscription_id,
        endpoint_url=subscription.endpoint_url,
        kinds=list(subscription.kinds),
        owner=subscription.owner,
        acknowledged_offset=subscription.acked_offset,
    )
    msg.create_time.FromDatetime(subscription.created_at)
    return msg


def delivery_to_proto(delivery: Delivery) -> pb.Delivery:
    msg = pb.Delivery(
        delivery_id=delivery.delivery_id,
        offset=delivery.offset,
        kind=delivery.kind,
        state=_STATE_NUMBERS[delivery.state],
        attempts=delivery.attempts,
        last_error=delivery.last_error,
    )
    if delivery.last_attempt_at is not None:
        msg.last_attempt_time.FromDatetime(delivery.last_attempt_at)
    return msg


def event_to_proto(event: FinanceEvent) -> pb.FinanceEvent:
    msg = pb.FinanceEvent(
        offset=event.offset or 0,
        event_id=event.event_id,
        kind=event.kind.value,
        subject=event.subject,
        data_json=data_json(event.data),
    )
    msg.occur_time.FromDatetime(event.occurred_at)
    return msg


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """How a subscription's deliveries are paced, from the settings (workflows/ may not import them)."""
    return DeliveryPolicy(
        poll_s=settings.delivery_poll_s,
        initial_backoff_s=settings.delivery_initial_backoff_s,
        max_backoff_s=settings.delivery_max_backoff_s,
        retry_window_s=settings.delivery_retry_window_s,
        attempt_timeout_s=settings.delivery_timeout_s,
    )


def _page_position(token: str, query: dict[str, str]) -> int | None:
    if not token:
        return None
    after = paging.position(token, _SCOPE, query)
    if len(after) != 1 or not isinstance(after[0], int):
        raise InvalidInput("page_token is not a token this gateway issued", field="page_token")
    return after[0]


class DeliveryRpcs(FinanceRpcs):
    """CreateSubscription, ListSubscriptions, ListDeliveries, ReplayDeliveries and WatchFinanceEvents."""

    def _delivery_plan(self, subscription_id: str) -> DeliveryPlan:
        return DeliveryPlan(subscription_id=subscription_id, policy=delivery_policy(self._settings))

    async def _visible_subscription(self, subscription_id: str) -> Subscription:
        """The subscription, when the caller may see it; another bank's is NOT_FOUND, like a missing one."""
        found = await asyncio.to_thread(self._ledger.deliveries.subscription, subscription_id)
        visible = current_caller().visible_org
        if found is None or (visible is not None and found.owner != visible):
            raise NotFound(f"no subscription {quoted(subscription_id)}")
        return found

    @mapped
    async def CreateSubscription(
        self, request: pb.CreateSubscriptionRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateSubscriptionResponse:
        asked = request.subscription
        endpoint = require_endpoint_url(asked.endpoint_url, "subscription.endpoint_url")
        kinds = _kinds(list(asked.kinds), "subscription.kinds")
        owner = current_caller().org
        subscription, _ = await asyncio.to_thread(
            self._ledger.deliveries.subscribe, owner, endpoint, kinds, request.after_offset, datetime.now(UTC)
        )
        # A retried create starts nothing new: the workflow id is the subscription's.
        await self._temporal.start_workflow(
            DeliveryWorkflow.run,
            self._delivery_plan(subscription.subscription_id),
            id=delivery_workflow_id(subscription.subscription_id),
            task_queue=self._settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return pb.CreateSubscriptionResponse(
            subscription=subscription_to_proto(subscription), secret=subscription.secret
        )

    @mapped
    async def ListSubscriptions(
        self, request: pb.ListSubscriptionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSubscriptionsResponse:
        found = await asyncio.to_thread(self._ledger.deliveries.subscriptions, current_caller().visible_org)
        return pb.ListSubscriptionsResponse(subscriptions=[subscription_to_proto(s) for s in found])

    @mapped_on(ON_SUBSCRIPTION)
    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListDeliveriesResponse:
        subscription = await self._visible_subscription(request.subscription_id)
        state = _STATES.get(request.state)
        size = paging.page_size(request.page_size or _DEFAULT_PAGE_SIZE)
        query = {"subscription_id": subscription.subscription_id, "state": state.value if state else "*"}
        before = _page_position(request.page_token, query)
        found = await asyncio.to_thread(
            self._ledger.deliveries.deliveries, subscription.subscription_id, state, size + 1, before
        )
        shown = found[:size]
        token = paging.issue(_SCOPE, query, (shown[-1].offset,)) if len(found) > size else ""
        return pb.ListDeliveriesResponse(
            deliveries=[delivery_to_proto(d) for d in shown], next_page_token=token
        )

    @mapped_on(ON_SUBSCRIPTION)
    async def ReplayDeliveries(
        self, request: pb.ReplayDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReplayDeliveriesResponse:
        subscription = await self._visible_subscription(request.subscription_id)
        queued = await asyncio.to_thread(
            self._ledger.deliveries.replay, subscription.subscription_id, request.after_offset
        )
        # Signal-with-start: wakes the running workflow (a FAILED one waits for exactly this), or
        # starts it again should it have ended.
        await self._temporal.start_workflow(
            DeliveryWorkflow.run,
            self._delivery_plan(subscription.subscription_id),
            id=delivery_workflow_id(subscription.subscription_id),
            task_queue=self._settings.task_queue,
            start_signal=REPLAY_SIGNAL,
        )
        return pb.ReplayDeliveriesResponse(queued=queued)

    async def WatchFinanceEvents(
        self, request: pb.WatchFinanceEventsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchFinanceEventsResponse]:
        """The caller's events after `after_offset`, in the log's order, then each new one as it is stored.

        The log numbers events in commit order (ledger.finance_event_rows), so reading
        on from the last offset sent never skips one, however the looks fall.
        """
        try:
            request_bounds.check(request)
            kinds = _kinds(list(request.kinds), "kinds")
        except GatewayError as error:
            await abort_with(context, error)
            return
        org = current_caller().visible_org
        after, pause = request.after_offset, self._watch_poll_s
        while True:
            events = await asyncio.to_thread(self._ledger.deliveries.events, org, after, kinds, _STREAM_BATCH)
            for event in events:
                yield pb.WatchFinanceEventsResponse(event=event_to_proto(event))
                after = event.offset or after
            if len(events) == _STREAM_BATCH:
                continue  # a backlog: read on at once
            # Look often while events come, less often while none do.
            pause = self._watch_poll_s if events else min(pause * 2, _STREAM_MAX_PAUSE_S)
            await asyncio.sleep(pause)
