"""The climate investment and financing project library, its links to registry projects, and green loans.

An entry's owner describes it (name, sector, place, expected reductions, funding
need) and may correct that description; the library decides its status. A loan is
recorded once by its lender and never changes; recording it, and each issuance on
a project it finances, tells the lender in the same transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from compliance_rules.facts import IssuanceRecord
from domain import paging
from domain.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied, PreconditionFailed
from domain.finance import (
    EventKind,
    FinanceEvent,
    GreenLoan,
    LibraryEntry,
    LibraryStatus,
    Money,
    ProjectRef,
    Sector,
)
from ledger import finance_event_rows, loan_rows
from ledger.book import Book
from ledger.models import GreenLoanRow, LibraryEntryRow, LibraryLinkRow

# Where the library may move an entry from each status (the same status again only updates the note).
_MOVES = {
    LibraryStatus.PROPOSED: {LibraryStatus.ADMITTED, LibraryStatus.WITHDRAWN},
    LibraryStatus.ADMITTED: {LibraryStatus.FUNDED, LibraryStatus.CLOSED, LibraryStatus.WITHDRAWN},
    LibraryStatus.FUNDED: {LibraryStatus.CLOSED},
}
_ENTRIES, _LOANS = "library_entries", "green_loans"


class LibraryBook(Book):
    """The ledger's part for library entries, their project links and green loans."""

    # Entries

    def record_entry(
        self, entry: LibraryEntry, editor: str | None, at: datetime
    ) -> tuple[LibraryEntry, bool]:
        """Add the entry (PROPOSED; True), or update its description; `editor` None may update any
        entry, an organisation only those it recorded."""

        def change(session: Session) -> tuple[LibraryEntry, bool]:
            row = session.get(LibraryEntryRow, entry.entry_id)
            if row is None:
                session.add(_entry_row(entry, at))
                session.flush()
                return _entry(session, entry.entry_id), True
            if entry_from_row(row, ()).describing() != entry.describing():
                _require_editor(row, editor, "entry.entry_id")
                _describe(row, entry)
                row.updated_at = at
                session.flush()
            return _entry(session, entry.entry_id), False

        return self._write(change)

    def set_status(self, entry_id: str, status: LibraryStatus, note: str, at: datetime) -> LibraryEntry:
        """The library's decision; FAILED_PRECONDITION for a move the library's statuses do not allow."""

        def change(session: Session) -> LibraryEntry:
            row = _entry_row_of(session, entry_id, lock=True)
            current = LibraryStatus(row.status)
            if status is not current and status not in _MOVES.get(current, set()):
                raise PreconditionFailed(
                    f"library entry {entry_id} is {current.value}; it cannot become {status.value}",
                    code="LIBRARY-STATUS",
                    field="status",
                )
            if (status.value, note) != (row.status, row.status_note):
                row.status, row.status_note, row.updated_at = status.value, note, at
                session.flush()
            return _entry(session, entry_id)

        return self._write(change)

    def link_project(
        self, entry_id: str, project: ProjectRef, editor: str | None, at: datetime
    ) -> tuple[LibraryEntry, bool]:
        """Link the entry to a registry project (True); False when it already was."""

        def change(session: Session) -> tuple[LibraryEntry, bool]:
            row = _entry_row_of(session, entry_id, lock=True)
            key = (entry_id, project.programme, project.project_id)
            if session.get(LibraryLinkRow, key) is not None:
                return _entry(session, entry_id), False
            _require_editor(row, editor, "entry_id")
            session.add(
                LibraryLinkRow(entry_id=entry_id, programme=project.programme, project_id=project.project_id)
            )
            row.updated_at = at
            session.flush()
            return _entry(session, entry_id), True

        return self._write(change)

    def entry(self, entry_id: str) -> LibraryEntry:
        return self._read(lambda s: _entry(s, entry_id))

    def entries(
        self, status: LibraryStatus | None, page_size: int, page_token: str
    ) -> tuple[builtins.list[LibraryEntry], str]:
        """A page of entries, oldest first, and the next page's token ("" on the last page)."""
        listing = {"status": "*" if status is None else f"={status.value}"}

        def page(session: Session) -> tuple[builtins.list[LibraryEntry], str]:
            query = select(LibraryEntryRow).order_by(LibraryEntryRow.created_at, LibraryEntryRow.entry_id)
            if status is not None:
                query = query.where(LibraryEntryRow.status == status.value)
            if page_token:
                at, entry_id = _position(page_token, _ENTRIES, listing)
                query = query.where(
                    _after(LibraryEntryRow.created_at, LibraryEntryRow.entry_id, at, entry_id)
                )
            rows = session.scalars(query.limit(page_size + 1)).all()
            links = _links_of(session, [row.entry_id for row in rows[:page_size]])
            shown = [entry_from_row(row, links.get(row.entry_id, ())) for row in rows[:page_size]]
            last = rows[page_size - 1] if len(rows) > page_size else None
            return shown, "" if last is None else _token(_ENTRIES, listing, last.created_at, last.entry_id)

        return self._read(page)

    # Green loans

    def record_loan(self, loan: GreenLoan, at: datetime) -> tuple[GreenLoan, bool]:
        """Store the loan once (True) and tell its lender; the same loan again answers with the stored one."""

        def change(session: Session) -> tuple[GreenLoan, bool]:
            row = session.get(GreenLoanRow, loan.loan_id)
            if row is not None:
                stored = loan_rows.from_row(session, row)
                if stored.model_copy(update={"created_at": None}) != loan.model_copy(
                    update={"created_at": None}
                ):
                    raise AlreadyExists(
                        f"green loan {loan.loan_id} is already recorded with other content",
                        field="loan.loan_id",
                        resource_type="green loan",
                        resource_name=loan.loan_id,
                    )
                return stored, False
            for index, entry_id in enumerate(loan.library_entry_ids):
                if session.get(LibraryEntryRow, entry_id) is None:
                    raise NotFound(
                        f"no library entry {entry_id}",
                        field=f"loan.library_entry_ids[{index}]",
                        resource_type="library entry",
                        resource_name=entry_id,
                    )
            loan_rows.insert(session, loan, at)
            stored = loan_rows.from_row(session, session.get_one(GreenLoanRow, loan.loan_id))
            finance_event_rows.append(session, [_loan_recorded(stored, at)])
            return stored, True

        return self._write(change)

    def loan(self, loan_id: str, lender: str | None) -> GreenLoan:
        """The loan; NotFound when there is none or, with `lender`, another bank made it."""

        def read(session: Session) -> GreenLoan:
            row = session.get(GreenLoanRow, loan_id)
            if row is None or (lender is not None and row.lender != lender):
                raise NotFound(f"no green loan {loan_id}", field="loan_id")
            return loan_rows.from_row(session, row)

        return self._read(read)

    def loans(
        self, lender: str | None, page_size: int, page_token: str
    ) -> tuple[builtins.list[GreenLoan], str]:
        """A page of loans (one lender's, or all when None), oldest first, and the next page's token."""
        listing = {"lender": "*" if lender is None else f"={lender}"}

        def page(session: Session) -> tuple[builtins.list[GreenLoan], str]:
            query = select(GreenLoanRow).order_by(GreenLoanRow.created_at, GreenLoanRow.loan_id)
            if lender is not None:
                query = query.where(GreenLoanRow.lender == lender)
            if page_token:
                at, loan_id = _position(page_token, _LOANS, listing)
                query = query.where(_after(GreenLoanRow.created_at, GreenLoanRow.loan_id, at, loan_id))
            rows = session.scalars(query.limit(page_size + 1)).all()
            shown = loan_rows.from_rows(session, rows[:page_size])
            last = rows[page_size - 1] if len(rows) > page_size else None
            return shown, "" if last is None else _token(_LOANS, listing, last.created_at, last.loan_id)

        return self._read(page)

    # What other facts tell the lenders, inside the transaction recording the fact

    @staticmethod
    def tell_lenders_of_issuance(session: Session, record: IssuanceRecord, at: datetime) -> None:
        """`issuance.recorded` to each lender financing the issuing project (Ledger.record_issuance)."""
        finance_event_rows.append(session, loan_rows.issuance_events(session, record, at))


def _require_editor(row: LibraryEntryRow, editor: str | None, field: str) -> None:
    if editor is not None and row.recorded_by != editor:
        raise PermissionDenied(
            f"library entry {row.entry_id} was recorded by another organisation; only it or the library "
            "may change it",
            code="ENTRY-NOT-OWNED",
            field=field,
        )


def _entry_row_of(session: Session, entry_id: str, *, lock: bool = False) -> LibraryEntryRow:
    query = select(LibraryEntryRow).where(LibraryEntryRow.entry_id == entry_id)
    row = session.scalars(query.with_for_update(key_share=True) if lock else query).one_or_none()
    if row is None:
        raise NotFound(f"no library entry {entry_id}", field="entry_id")
    return row


def _links_of(session: Session, entry_ids: Sequence[str]) -> dict[str, tuple[ProjectRef, ...]]:
    """Each entry's linked projects, in (programme, project) order."""
    rows = session.scalars(
        select(LibraryLinkRow)
        .where(LibraryLinkRow.entry_id.in_(list(entry_ids)))
        .order_by(LibraryLinkRow.programme, LibraryLinkRow.project_id)
    )
    found: dict[str, tuple[ProjectRef, ...]] = {}
    for r in rows:
        found[r.entry_id] = (
            *found.get(r.entry_id, ()),
            ProjectRef(programme=r.programme, project_id=r.project_id),
        )
    return found


def _entry(session: Session, entry_id: str) -> LibraryEntry:
    row = _entry_row_of(session, entry_id)
    return entry_from_row(row, _links_of(session, [entry_id]).get(entry_id, ()))


def _describe(row: LibraryEntryRow, entry: LibraryEntry) -> None:
    row.name, row.owner_entity, row.sector = entry.name, entry.owner_entity, entry.sector.value
    row.location, row.expected_reductions_t = entry.location, entry.expected_reductions_t
    row.funding_currency, row.funding_amount = entry.funding_need.currency, entry.funding_need.amount


def _entry_row(entry: LibraryEntry, at: datetime) -> LibraryEntryRow:
    row = LibraryEntryRow(
        entry_id=entry.entry_id,
        status=LibraryStatus.PROPOSED.value,
        status_note="",
        recorded_by=entry.recorded_by,
        created_at=at,
        updated_at=at,
    )
    _describe(row, entry)
    return row


def entry_from_row(row: LibraryEntryRow, projects: tuple[ProjectRef, ...]) -> LibraryEntry:
    return LibraryEntry(
        entry_id=row.entry_id,
        name=row.name,
        owner_entity=row.owner_entity,
        sector=Sector(row.sector),
        location=row.location,
        expected_reductions_t=row.expected_reductions_t,
        funding_need=Money(currency=row.funding_currency, amount=row.funding_amount),
        status=LibraryStatus(row.status),
        status_note=row.status_note,
        projects=projects,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _loan_recorded(loan: GreenLoan, at: datetime) -> FinanceEvent:
    return FinanceEvent(
        event_id=f"loan:{loan.loan_id}:recorded",
        org=loan.lender,
        kind=EventKind.LOAN_RECORDED,
        subject=loan.loan_id,
        data=loan.model_dump(mode="json", exclude={"created_at"}),
        occurred_at=at,
    )


def _position(token: str, scope: str, listing: dict[str, str]) -> tuple[datetime, str]:
    """Where a page starts: after this (created_at, id)."""
    after = paging.position(token, scope, listing)
    try:
        created_text, record_id = after
        at = datetime.fromisoformat(str(created_text))
    except ValueError as bad:
        raise InvalidInput("page_token is not a token this gateway issued", field="page_token") from bad
    if at.tzinfo is None or not isinstance(record_id, str):
        raise InvalidInput("page_token is not a token this gateway issued", field="page_token")
    return at, record_id


def _after(
    created: InstrumentedAttribute[datetime], key: InstrumentedAttribute[str], at: datetime, record_id: str
) -> ColumnElement[bool]:
    return or_(created > at, and_(created == at, key > record_id))


def _token(scope: str, listing: dict[str, str], created_at: datetime, record_id: str) -> str:
    """The next page's token: it starts after this (created_at, id)."""
    return paging.issue(scope, listing, (created_at.isoformat(), record_id))
