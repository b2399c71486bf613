"""Subscriptions and deliveries: what each bank's endpoint acknowledged, and every attempt's answer.

A subscription's `acked_seq` is the position its deliveries continue from: the next
delivery is always its first matching event after it, so events go out one at a
time in the log's order and a later event never overtakes an earlier one. Each
attempt is recorded with the position it started from, and only advances the
subscription when nothing (a replay) moved it meanwhile, in one transaction.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain.deliveries import Delivery, DeliveryState, Subscription, subscription_id_for
from domain.finance import FinanceEvent
from ledger.book import Book
from ledger.models import DeliveryRow, FinanceEventRow, SubscriptionRow

_SECRET_BYTES = 32
_MAX_ERROR = 500  # characters of an attempt's answer kept (ListDeliveries shows it)


class DeliveryBook(Book):
    """The ledger's part for event deliveries (subscriptions, deliveries tables)."""

    # Subscriptions

    def subscribe(
        self, owner: str, endpoint_url: str, kinds: Sequence[str], after: int, at: datetime
    ) -> tuple[Subscription, bool]:
        """Store the subscription and its new secret (True); the same request again gets the stored one.

        The id comes from what was asked (`subscription_id_for`), so a retried create,
        even a concurrent one, finds the first instead of adding a second endpoint
        that would receive every event twice.
        """
        wanted = tuple(sorted(set(kinds)))
        subscription_id = subscription_id_for(owner, endpoint_url, wanted, after)

        def change(session: Session) -> tuple[Subscription, bool]:
            stored = session.get(SubscriptionRow, subscription_id)
            if stored is not None:
                return _subscription(stored), False
            row = SubscriptionRow(
                subscription_id=subscription_id,
                owner_org=owner,
                endpoint_url=endpoint_url,
                kinds=list(wanted),
                secret=secrets.token_hex(_SECRET_BYTES),
                acked_seq=after,
                created_at=at,
            )
            session.add(row)
            session.flush()
            return _subscription(row), True

        return self._write(change)

    def subscription(self, subscription_id: str) -> Subscription | None:
        def query(session: Session) -> Subscription | None:
            row = session.get(SubscriptionRow, subscription_id)
            return None if row is None else _subscription(row)

        return self._read(query)

    def subscriptions(self, owner: str | None) -> builtins.list[Subscription]:
        """One organisation's subscriptions (everyone's when None), oldest first."""

        def query(session: Session) -> builtins.list[Subscription]:
            wanted = select(SubscriptionRow)
            if owner is not None:
                wanted = wanted.where(SubscriptionRow.owner_org == owner)
            rows = session.scalars(
                wanted.order_by(SubscriptionRow.created_at, SubscriptionRow.subscription_id)
            )
            return [_subscription(row) for row in rows]

        return self._read(query)

    # Deliveries

    def pending(self, subscription: Subscription, limit: int) -> builtins.list[FinanceEvent]:
        """The next events to deliver, in order: the owner's, of the subscribed kinds, after its position."""
        return self.events(subscription.owner, subscription.acked_offset, subscription.kinds, limit)

    def record_attempt(
        self, subscription_id: str, event: FinanceEvent, previous: int, error: str | None, at: datetime
    ) -> bool:
        """Record one attempt at `event` (`error` None: acknowledged); True when the subscription advanced.

        `previous` is the position the attempt was made from. An acknowledgement
        advances the subscription only when it still stands there; after a replay
        moved it back, the event stays pending and is sent again in its turn.
        """
        offset = _stored_offset(event)

        def change(session: Session) -> bool:
            subscription = _locked(session, subscription_id)
            row = session.get(DeliveryRow, (subscription_id, offset))
            if row is None:
                row = DeliveryRow(
                    subscription_id=subscription_id,
                    seq=offset,
                    event_id=event.event_id,
                    kind=event.kind.value,
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    last_error="",
                )
                session.add(row)
            row.attempts += 1
            row.last_attempt_at = at
            if error is not None:
                row.last_error = error[:_MAX_ERROR]
                row.state = DeliveryState.PENDING.value
                return False
            if subscription.acked_seq != previous:
                row.state = DeliveryState.PENDING.value
                return False
            row.state = DeliveryState.DELIVERED.value
            row.delivered_at = at
            subscription.acked_seq = offset
            return True

        return self._write(change)

    def give_up(self, subscription_id: str, offset: int) -> bool:
        """The event was not acknowledged within the retry window: FAILED, until a replay (True if changed)."""

        def change(session: Session) -> bool:
            subscription = _locked(session, subscription_id)
            row = session.get(DeliveryRow, (subscription_id, offset))
            if row is None or row.state != DeliveryState.PENDING.value or subscription.acked_seq >= offset:
                return False
            row.state = DeliveryState.FAILED.value
            return True

        return self._write(change)

    def replay(self, subscription_id: str, after: int) -> int:
        """Send the events after `after` again, and every one not acknowledged yet; how many will go.

        The position only ever moves back here, so a replay never skips an event:
        from `after`, or from where deliveries stand when that is earlier.
        """

        def change(session: Session) -> int:
            subscription = _locked(session, subscription_id)
            position = min(subscription.acked_seq, after)
            subscription.acked_seq = position
            session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.subscription_id == subscription_id,
                    DeliveryRow.seq > position,
                    DeliveryRow.state != DeliveryState.PENDING.value,
                )
                .values(state=DeliveryState.PENDING.value)
            )
            counted = (
                select(func.count())
                .select_from(FinanceEventRow)
                .where(FinanceEventRow.org == subscription.owner_org, FinanceEventRow.seq > position)
            )
            if subscription.kinds:
                counted = counted.where(FinanceEventRow.kind.in_(list(subscription.kinds)))
            return int(session.scalar(counted) or 0)

        return self._write(change)

    def deliveries(
        self, subscription_id: str, state: DeliveryState | None, limit: int, before: int | None = None
    ) -> builtins.list[Delivery]:
        """A subscription's deliveries, newest first (those at offsets below `before`, when given)."""

        def query(session: Session) -> builtins.list[Delivery]:
            wanted = select(DeliveryRow).where(DeliveryRow.subscription_id == subscription_id)
            if state is not None:
                wanted = wanted.where(DeliveryRow.state == state.value)
            if before is not None:
                wanted = wanted.where(DeliveryRow.seq < before)
            rows = session.scalars(wanted.order_by(DeliveryRow.seq.desc()).limit(limit))
            return [_delivery(row) for row in rows]

        return self._read(query)


def _stored_offset(event: FinanceEvent) -> int:
    if event.offset is None:
        raise ValueError(f"event {event.event_id} has no offset: only stored events are delivered")
    return event.offset


def _locked(session: Session, subscription_id: str) -> SubscriptionRow:
    """The subscription's row, locked until the transaction ends (one position change at a time)."""
    query = select(SubscriptionRow).where(SubscriptionRow.subscription_id == subscription_id)
    return session.scalars(query.with_for_update()).one()


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(
        subscription_id=row.subscription_id,
        owner=row.owner_org,
        endpoint_url=row.endpoint_url,
        kinds=tuple(row.kinds),
        secret=row.secret,
        acked_offset=row.acked_seq,
        created_at=row.created_at,
    )


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(
        subscription_id=row.subscription_id,
        offset=row.seq,
        event_id=row.event_id,
        kind=row.kind,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        last_attempt_at=row.last_attempt_at,
        delivered_at=row.delivered_at,
    )
