"""The project crosswalk as rows: regulators' statements that two registrations are one project.

A link is stored once, keyed by the unordered pair of registrations and its
period, exactly as `CrosswalkEntry.key` identifies it; the same link stated by
another source is refused, as the CSV import refuses it, because two
regulators' statements should not be merged silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance_rules.facts import CrosswalkEntry
from compliance_rules.periods import Period
from domain.errors import AlreadyExists
from ledger.models import CrosswalkRow


def link_of(entry: CrosswalkEntry) -> str:
    """The entry's key as text: JSON, so no programme or project id can be mistaken for a separator."""
    a, b, period = entry.key
    days = [period.start.isoformat(), period.end.isoformat()] if period else None
    return json.dumps([a, b, days], separators=(",", ":"))


def load(session: Session, entries: Iterable[CrosswalkEntry]) -> int:
    """Store every entry not stored yet; how many were new. All or nothing: the caller's transaction."""
    added = 0
    for entry in entries:
        row = session.get(CrosswalkRow, link_of(entry))
        if row is None:
            session.add(to_row(entry))
            session.flush()  # the same link later in `entries` must find this one
            added += 1
        elif (row.source_reference, row.loaded_by) != (entry.source_reference, entry.loaded_by):
            raise AlreadyExists(
                f"crosswalk {entry.programme_a} {entry.project_a} ↔ {entry.programme_b} {entry.project_b} "
                f"is already loaded from {row.source_reference} by {row.loaded_by}",
                field="source_reference",
            )
    return added


def every_entry(session: Session) -> list[CrosswalkEntry]:
    return [from_row(row) for row in session.scalars(select(CrosswalkRow).order_by(CrosswalkRow.link))]


def naming(session: Session, programme: str, project_id: str) -> list[CrosswalkEntry]:
    """Entries with (programme, project_id) on either side: one seek per side's index."""
    side_a = select(CrosswalkRow).where(
        CrosswalkRow.programme_a == programme, CrosswalkRow.project_a == project_id
    )
    side_b = select(CrosswalkRow).where(
        CrosswalkRow.programme_b == programme, CrosswalkRow.project_b == project_id
    )
    rows = [*session.scalars(side_a), *session.scalars(side_b)]
    return [from_row(row) for row in sorted(rows, key=lambda row: row.link)]


def to_row(entry: CrosswalkEntry) -> CrosswalkRow:
    return CrosswalkRow(
        link=link_of(entry),
        programme_a=entry.programme_a,
        project_a=entry.project_a,
        programme_b=entry.programme_b,
        project_b=entry.project_b,
        period_start=entry.period.start if entry.period else None,
        period_end=entry.period.end if entry.period else None,
        source_reference=entry.source_reference,
        loaded_by=entry.loaded_by,
    )


def from_row(row: CrosswalkRow) -> CrosswalkEntry:
    period = None
    if row.period_start is not None and row.period_end is not None:
        period = Period(start=row.period_start, end=row.period_end)
    return CrosswalkEntry(
        programme_a=row.programme_a,
        project_a=row.project_a,
        programme_b=row.programme_b,
        project_b=row.project_b,
        period=period,
        source_reference=row.source_reference,
        loaded_by=row.loaded_by,
    )
