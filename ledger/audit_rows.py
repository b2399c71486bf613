"""The audit log as rows: appended under the head row's lock, read a page at a time, verified whole.

`audit_head` holds the log's size and last hash. An appender locks it first
(`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's writers already hold the one
write lock), so every event is numbered and chained from the head the previous
appender left: the chain never forks and seq stays dense. Rows are never updated
or deleted; on PostgreSQL a trigger refuses both (migration 0006).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.audit import AuditEvent, AuditRecord, ChainBreak, chained, first_break
from ledger.models import AuditEventRow, AuditHeadRow

_HEAD_ROW = 1
_VERIFY_BATCH = 1000
_TEXT_FIELDS = ("role", "org", "caller", "method", "target", "outcome", "reason")


def append(session: Session, record: AuditRecord) -> AuditEvent:
    """Chain `record` onto the log as the next event; every call is one more event (no deduplication)."""
    head = session.scalars(
        select(AuditHeadRow).where(AuditHeadRow.singleton == _HEAD_ROW).with_for_update()
    ).one()
    event = chained(_storable(record), head.size, head.hash)
    session.add(_row(event))
    head.size, head.hash = event.seq + 1, event.hash
    return event


def head(session: Session) -> tuple[int, bytes]:
    """(how many events the log holds, the last one's hash; empty while the log is empty)."""
    row = session.get(AuditHeadRow, _HEAD_ROW)
    return (0, b"") if row is None else (int(row.size), bytes(row.hash))


def page(
    session: Session,
    *,
    after_seq: int,
    limit: int,
    method: str | None = None,
    org: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Up to `limit` events after `after_seq`, in seq order, matching every filter given.

    `since` is inclusive and `until` exclusive, so consecutive windows never share an event.
    """
    query = select(AuditEventRow).where(AuditEventRow.seq > after_seq)
    if method is not None:
        query = query.where(AuditEventRow.method == method)
    if org is not None:
        query = query.where(AuditEventRow.org == org)
    if outcome is not None:
        query = query.where(AuditEventRow.outcome == outcome)
    if since is not None:
        query = query.where(AuditEventRow.at >= since)
    if until is not None:
        query = query.where(AuditEventRow.at < until)
    rows = session.scalars(query.order_by(AuditEventRow.seq).limit(limit))
    return [_event(row) for row in rows]


def verify(session: Session) -> ChainBreak | None:
    """Recompute every hash up to the head; the first broken event, or None when the chain is whole.

    Events appended while this runs are past the head it read and are left for the next run.
    The chain must also end exactly at the head's hash, so a dropped tail is a break too.
    """
    size, last = head(session)
    prev, checked = b"", 0
    for batch in _batches(session, size):
        found = first_break(batch, prev, checked)
        if found is not None:
            return found
        checked, prev = checked + len(batch), batch[-1].hash
    if checked < size:
        return ChainBreak(checked, f"the head says {size} events, the log holds {checked}")
    if prev != last:
        return ChainBreak(size - 1, "the last event's hash is not the head's hash")
    return None


def _batches(session: Session, size: int) -> Iterator[list[AuditEvent]]:
    after = -1
    while True:
        rows = session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.seq > after, AuditEventRow.seq < size)
            .order_by(AuditEventRow.seq)
            .limit(_VERIFY_BATCH)
        ).all()
        if not rows:
            return
        yield [_event(row) for row in rows]
        after = rows[-1].seq


def _storable(record: AuditRecord) -> AuditRecord:
    """PostgreSQL text cannot hold NUL: it is stored (and hashed) as U+FFFD on both backends alike."""
    changed = {name: getattr(record, name).replace("\x00", "\ufffd") for name in _TEXT_FIELDS}
    return record.model_copy(update=changed)


def _row(event: AuditEvent) -> AuditEventRow:
    return AuditEventRow(
        seq=event.seq,
        at=event.at,
        role=event.role,
        org=event.org,
        caller=event.caller,
        method=event.method,
        target=event.target,
        outcome=event.outcome,
        reason=event.reason,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


def _event(row: AuditEventRow) -> AuditEvent:
    """The row as stored, unvalidated beyond its types: verification must see exactly what is there."""
    return AuditEvent.model_construct(
        seq=row.seq,
        at=row.at,
        role=row.role,
        org=row.org,
        caller=row.caller,
        method=row.method,
        target=row.target,
        outcome=row.outcome,
        reason=row.reason,
        prev_hash=bytes(row.prev_hash),
        hash=bytes(row.hash),
    )
