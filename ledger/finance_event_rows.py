"""The banks' event log: one row per (event, organisation), numbered in commit order.

Events are appended in the transaction that records their fact (a settlement, a
pledge's release), so an event exists exactly when its fact does. An event id is
stored once per organisation: a retried activity appends nothing new. Numbers come
from a locked counter row, so they commit in order and a reader resuming after
offset N never misses an event numbered below one it has already seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.finance import EventKind, FinanceEvent
from ledger.models import FinanceEventCounterRow, FinanceEventRow


def append(session: Session, events: Iterable[FinanceEvent]) -> int:
    """Store the events not stored yet (by event id and organisation); how many were new."""
    fresh = [e for e in events if not _stored(session, e)]
    if not fresh:
        return 0
    counter = session.scalars(
        select(FinanceEventCounterRow).where(FinanceEventCounterRow.singleton == 1).with_for_update()
    ).one()
    for event in fresh:
        session.add(
            FinanceEventRow(
                seq=counter.next_seq,
                event_id=event.event_id,
                org=event.org,
                kind=event.kind.value,
                subject=event.subject,
                data=event.data,
                occurred_at=event.occurred_at,
            )
        )
        counter.next_seq += 1
    session.flush()
    return len(fresh)


def _stored(session: Session, event: FinanceEvent) -> bool:
    query = select(FinanceEventRow.seq).where(
        FinanceEventRow.event_id == event.event_id, FinanceEventRow.org == event.org
    )
    return session.scalars(query).first() is not None


def read(
    session: Session,
    org: str | None,
    after: int,
    kinds: Sequence[str] = (),
    limit: int = 100,
) -> list[FinanceEvent]:
    """Events after offset `after`, oldest first: one organisation's, or everyone's (`org` None)."""
    query = select(FinanceEventRow).where(FinanceEventRow.seq > after)
    if org is not None:
        query = query.where(FinanceEventRow.org == org)
    if kinds:
        query = query.where(FinanceEventRow.kind.in_(list(kinds)))
    rows = session.scalars(query.order_by(FinanceEventRow.seq).limit(limit))
    return [from_row(row) for row in rows]


def from_row(row: FinanceEventRow) -> FinanceEvent:
    return FinanceEvent(
        event_id=row.event_id,
        org=row.org,
        kind=EventKind(row.kind),
        subject=row.subject,
        data=row.data,
        occurred_at=row.occurred_at,
        offset=row.seq,
    )
