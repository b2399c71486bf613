"""What an operator watches in the ledger: transfers by state, anchoring lag, the delivery backlog.

Read when metrics are scraped (`gateway.metrics`), so each is one short read
transaction of counts over indexed columns, never a walk over every row, and the
same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from domain.deliveries import DeliveryState
from domain.transfers import TransferState
from ledger import settlement_log
from ledger.book import Book
from ledger.models import (
    AnchorRow,
    DeliveryRow,
    FinanceEventRow,
    SettlementLogRow,
    SubscriptionRow,
    TransferRow,
)

# Deliveries that still need an endpoint's answer; DELIVERED rows only grow and are no backlog.
BACKLOG_STATES = (DeliveryState.PENDING, DeliveryState.FAILED)


@dataclass(frozen=True)
class AnchorLag:
    """How far the anchored, final tree head trails the settlement log."""

    log_size: int  # leaves in the settlement log
    anchored_size: int  # leaves the newest final anchor covers
    oldest_unanchored_at: datetime | None  # when the first uncovered leaf was appended (None: none)

    @property
    def leaves(self) -> int:
        return self.log_size - self.anchored_size

    def seconds(self, now: datetime) -> float:
        """How long the oldest settlement has waited for a final anchor (0 when none waits)."""
        if self.oldest_unanchored_at is None:
            return 0.0
        return max(0.0, (now - self.oldest_unanchored_at).total_seconds())


@dataclass(frozen=True)
class DeliveryBacklog:
    """Banks' event deliveries not acknowledged yet."""

    by_state: dict[DeliveryState, int]  # attempted deliveries: PENDING (being retried) and FAILED
    events_waiting: int  # events after each subscription's acknowledged position, of its kinds


class GaugeBook(Book):
    """The ledger's part for what an operator watches (`Ledger.gauges`); reads only."""

    def transfers_by_state(self) -> dict[TransferState, int]:
        """How many transfers stand in each state; every state is present (0 when none)."""
        query = select(TransferRow.state, func.count()).group_by(TransferRow.state)
        # Each gauge is one short read transaction.
        with self._reading.begin() as session:
            counted = {state: int(n) for state, n in session.execute(query)}
        return {state: counted.get(state.value, 0) for state in TransferState}

    def anchor_lag(self) -> AnchorLag:
        """The settlement log's size against the newest final anchor, and when the oldest uncovered leaf came."""
        with self._reading.begin() as session:
            size = settlement_log.size(session)
            anchored = int(
                session.scalar(select(func.max(AnchorRow.tree_size)).where(AnchorRow.final.is_(True))) or 0
            )
            # Leaves are numbered densely in settlement order: the first uncovered one is the oldest.
            oldest = session.scalar(
                select(SettlementLogRow.appended_at).where(SettlementLogRow.leaf_index == anchored)
            )
        return AnchorLag(log_size=size, anchored_size=anchored, oldest_unanchored_at=oldest)

    def delivery_backlog(self) -> DeliveryBacklog:
        """Attempted deliveries by state, and the events each subscription has still to receive."""
        by_state = (
            select(DeliveryRow.state, func.count())
            .where(DeliveryRow.state.in_([s.value for s in BACKLOG_STATES]))
            .group_by(DeliveryRow.state)
        )
        # Events after each subscription's position, per kind; its kinds (JSON) are matched here, since
        # PostgreSQL cannot group by a JSON column.
        after_position = (
            select(SubscriptionRow.subscription_id, FinanceEventRow.kind, func.count())
            .join(
                FinanceEventRow,
                and_(
                    FinanceEventRow.org == SubscriptionRow.owner_org,
                    FinanceEventRow.seq > SubscriptionRow.acked_seq,
                ),
            )
            .group_by(SubscriptionRow.subscription_id, FinanceEventRow.kind)
        )
        with self._reading.begin() as session:
            states = {state: int(n) for state, n in session.execute(by_state)}
            kinds = {
                subscription_id: wanted
                for subscription_id, wanted in session.execute(
                    select(SubscriptionRow.subscription_id, SubscriptionRow.kinds)
                )
            }
            waiting: Counter[str] = Counter()
            for subscription_id, kind, n in session.execute(after_position):
                wanted = kinds.get(subscription_id) or []
                if not wanted or kind in wanted:  # no kinds: every kind
                    waiting[subscription_id] += int(n)
        return DeliveryBacklog(
            by_state={state: states.get(state.value, 0) for state in BACKLOG_STATES},
            events_waiting=sum(waiting.values()),
        )
