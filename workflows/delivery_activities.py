"""DeliveryActivities: the I/O of event deliveries (the ledger, and one HTTP POST per event).

An attempt is recorded after its POST, so a crash between the two sends the same
delivery again (same id, same body): deliveries are at least once, and a receiver
recognises a repeat by its `Carbon-Gateway-Delivery` header or the event's id. The
endpoint's answer is never an activity failure: it comes back as the outcome, and
the workflow decides when to try again and when the delivery has FAILED.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.outbound_tls import OutboundTls, certificate_problem
from domain.deliveries import Subscription, delivery_body, delivery_headers, delivery_id
from domain.finance import FinanceEvent
from ledger import Ledger

DELIVERY_WORKFLOW_PREFIX = "subscription-"
NO_SUBSCRIPTION_ERROR = "NoSuchSubscription"


def delivery_workflow_id(subscription_id: str) -> str:
    """The one workflow delivering a subscription's events."""
    return DELIVERY_WORKFLOW_PREFIX + subscription_id


class DeliveryPolicy(BaseModel):
    """How a subscription's deliveries are paced (from the settings when the workflow started)."""

    poll_s: float = Field(gt=0)  # how often an idle subscription looks for new events
    initial_backoff_s: float = Field(gt=0)  # the first pause after a failed attempt; doubled each time
    max_backoff_s: float = Field(gt=0)
    retry_window_s: float = Field(gt=0)  # how long one event is retried before it is FAILED
    attempt_timeout_s: float = Field(gt=0)  # one POST's answer
    batch_size: int = Field(default=20, ge=1)  # events one activity delivers at most
    looks_per_run: int = Field(default=500, ge=1)  # before the workflow continues as new


class DeliveryStep(BaseModel):
    subscription_id: str
    attempt_timeout_s: float
    batch_size: int


class DeliveryOutcome(BaseModel):
    """What one run of `deliver` did: how many were acknowledged, and the one that was not, if any."""

    delivered: int = 0
    more: bool = False  # more may be waiting now (a full batch, or a replay moved the position)
    failed_offset: int | None = None
    error: str = ""


class FailedDelivery(BaseModel):
    subscription_id: str
    offset: int


def _offset(event: FinanceEvent) -> int:
    if event.offset is None:  # pragma: no cover - the ledger reads back stored events only
        raise ValueError(f"event {event.event_id} has no offset")
    return event.offset


def _unreachable(error: httpx.HTTPError, timeout_s: float) -> str:
    """An attempt's failure in a few words for ListDeliveries: no exception names, no stack."""
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s"
    problem = certificate_problem(error)
    if problem is not None:
        return f"TLS certificate refused: {problem}"
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "host name not found"
        seen = seen.__cause__ or seen.__context__
    if isinstance(error, httpx.ConnectError):
        return "could not connect"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the endpoint closed the connection without a valid HTTP answer"
    return "the request failed before an answer came"


class DeliveryActivities:
    """Holds the ledger and the outbound TLS rule every POST follows."""

    def __init__(self, ledger: Ledger, tls: OutboundTls) -> None:
        self._ledger = ledger
        self._tls = tls

    @activity.defn(name="DeliverFinanceEvents")
    async def deliver(self, step: DeliveryStep) -> DeliveryOutcome:
        """POST the subscription's next events one at a time, in order, until one is not acknowledged."""
        book = self._ledger.deliveries
        subscription = await asyncio.to_thread(book.subscription, step.subscription_id)
        if subscription is None:
            raise ApplicationError(
                f"subscription {step.subscription_id} does not exist",
                type=NO_SUBSCRIPTION_ERROR,
                non_retryable=True,
            )
        events = await asyncio.to_thread(book.pending, subscription, step.batch_size)
        if not events:
            return DeliveryOutcome()
        position, delivered = subscription.acked_offset, 0
        timeout = httpx.Timeout(step.attempt_timeout_s)
        # Redirects are not followed: only the registered endpoint's own 2xx acknowledges.
        async with httpx.AsyncClient(timeout=timeout, verify=self._tls.httpx_verify()) as http:
            for event in events:
                error = await self._post(http, subscription, event, step.attempt_timeout_s)
                activity.heartbeat(event.offset)
                at = datetime.now(UTC)
                advanced = await asyncio.to_thread(
                    book.record_attempt, subscription.subscription_id, event, position, error, at
                )
                if error is not None:
                    return DeliveryOutcome(delivered=delivered, failed_offset=event.offset, error=error)
                if not advanced:  # a replay moved the position meanwhile: start again from it
                    return DeliveryOutcome(delivered=delivered, more=True)
                position, delivered = _offset(event), delivered + 1
        return DeliveryOutcome(delivered=delivered, more=len(events) == step.batch_size)

    async def _post(
        self, http: httpx.AsyncClient, subscription: Subscription, event: FinanceEvent, timeout_s: float
    ) -> str | None:
        """One signed attempt; None when the endpoint answered 2xx, else its answer in a few words."""
        body = delivery_body(subscription.subscription_id, event)
        delivery = delivery_id(subscription.subscription_id, _offset(event))
        headers = delivery_headers(subscription.secret, int(time.time()), delivery, body)
        try:
            # Streamed and never read: an endpoint's answer body, however large, is not ours to hold.
            async with http.stream(
                "POST", subscription.endpoint_url, content=body, headers=headers
            ) as answer:
                status = answer.status_code
        except httpx.HTTPError as error:
            return _unreachable(error, timeout_s)
        return None if 200 <= status < 300 else f"HTTP {status}"

    @activity.defn(name="GiveUpFinanceDelivery")
    async def give_up(self, failed: FailedDelivery) -> bool:
        """Mark the delivery FAILED: visible in ListDeliveries until a replay sends it again."""
        return await asyncio.to_thread(self._ledger.deliveries.give_up, failed.subscription_id, failed.offset)
