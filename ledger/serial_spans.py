"""Overlap lookups over tables whose rows of one serial space may overlap each other.

Reservations and locations never overlap, so `serial_index` finds their overlaps
with two seeks. Transfers, issuances, authorisations, first transfers and pledges
can overlap (the same block moved twice; a block authorised for NDC and OIMP
use), so there a row sharing serials with `start..end` is one that starts in
`start - longest .. end`, `longest` being the widest row that table has ever held
in that serial space (`serial_spans`). That keeps each lookup a seek on the
(serial_space, start, end) index bounded on both sides, never a scan of the space.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from domain.serials import SerialBlock
from ledger.models import (
    AuthorisationRow,
    CreditedGenerationRow,
    FirstTransferRow,
    IssuanceRow,
    PledgeRow,
    SerialSpanRow,
    TransferRow,
)

Spanned = TypeVar(
    "Spanned", TransferRow, IssuanceRow, CreditedGenerationRow, AuthorisationRow, FirstTransferRow, PledgeRow
)


def widen(session: Session, table: type[Spanned], block: SerialBlock) -> None:
    """Record that `table` now holds `block`, in the same transaction that inserts its row."""
    span = block.end - block.start
    recorded = _longest(session, table, block.serial_space)
    if recorded is not None and span <= recorded:
        # Spans only grow, so a wide enough span read now stays wide enough; skipping the
        # upsert keeps one hot row per serial space from serialising every writer on PostgreSQL.
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SerialSpanRow).values(
        kind=table.__tablename__, serial_space=block.serial_space, longest=span
    )
    # An upsert, so two writers widening one space at once both end up counted.
    wider = case(
        (statement.excluded.longest > SerialSpanRow.longest, statement.excluded.longest),
        else_=SerialSpanRow.longest,
    )
    session.execute(
        statement.on_conflict_do_update(index_elements=["kind", "serial_space"], set_={"longest": wider})
    )


def _longest(session: Session, table: type[Spanned], serial_space: str) -> int | None:
    return session.scalar(
        select(SerialSpanRow.longest).where(
            SerialSpanRow.kind == table.__tablename__, SerialSpanRow.serial_space == serial_space
        )
    )


def overlapping(table: type[Spanned], block: SerialBlock) -> ColumnElement[bool]:
    """The condition "this row of `table` shares serials with `block`", as a bounded index seek.

    The bound is read in the same statement, so it is never older than the rows it bounds.
    Without a span row (a table filled before spans existed) the seek falls back to
    every start up to `block.end`: slower, never wrong.
    """
    longest = (
        select(SerialSpanRow.longest)
        .where(
            SerialSpanRow.kind == table.__tablename__,
            SerialSpanRow.serial_space == block.serial_space,
        )
        .scalar_subquery()
    )
    return and_(
        table.serial_space == block.serial_space,
        table.start >= block.start - func.coalesce(longest, block.start),
        table.start <= block.end,
        table.end >= block.start,
    )
