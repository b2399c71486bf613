"""Reading and writing transfers: the mapping between `Transfer` and its rows, and the lifecycle.

State changes happen on a locked row and append one `transfer_events` row each,
so the history of a transfer can be replayed from its events alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from domain import paging
from domain.errors import InvalidInput, NotFound
from domain.serials import SerialBlock
from domain.transfers import (
    AccountRef,
    Purpose,
    Reason,
    Transfer,
    TransferRequest,
    TransferState,
    check_transition,
)
from ledger.models import TransferEventRow, TransferRow
from ledger.transfer_changes import note_changed


class TransferEvent(NamedTuple):
    """One entry of a transfer's history: the state it reached, when, and the reasons added then."""

    seq: int
    state: TransferState
    at: datetime
    reasons: tuple[Reason, ...]


def to_row(transfer: Transfer) -> TransferRow:
    request, block = transfer.request, transfer.block
    return TransferRow(
        transfer_id=request.transfer_id,
        source_registry_id=request.source.registry_id,
        source_account_id=request.source.account_id,
        destination_registry_id=request.destination.registry_id,
        destination_account_id=request.destination.account_id,
        serial=request.serial,
        quantity=request.quantity,
        purpose=request.purpose.value,
        compliance_year=request.compliance_year,
        submitted_by=transfer.submitted_by,
        block=block.model_dump(mode="json"),
        serial_space=block.serial_space,
        start=block.start,
        end=block.end,
        state=transfer.state.value,
        reasons=_reasons_json(transfer.reasons),
        created_at=transfer.created_at,
        updated_at=transfer.updated_at,
        settled_at=transfer.settled_at,
    )


def stored_purpose(text: str) -> Purpose:
    """The purpose a stored row holds.

    Rows written before the purpose became an enum hold the client's free text.
    They must still load, and as what the checks judged them when they ran:
    the old reader matched a purpose's value ignoring case and surrounding
    whitespace, and took anything else (look-alikes such as "NDC" with a
    zero-width space, "N.D.C.", or prose) for no declared purpose.
    """
    try:
        return Purpose(text)
    except ValueError:
        by_value = {p.value.lower(): p for p in Purpose}
        return by_value.get(text.strip().lower(), Purpose.UNSPECIFIED)


def from_row(row: TransferRow) -> Transfer:
    # Built without validation: a stored request was judged by the rules of its day, and ids
    # refused today (a look-alike account, a trailing newline) must not make its row unreadable.
    request = TransferRequest.model_construct(
        transfer_id=row.transfer_id,
        source=AccountRef.model_construct(
            registry_id=row.source_registry_id, account_id=row.source_account_id
        ),
        destination=AccountRef.model_construct(
            registry_id=row.destination_registry_id, account_id=row.destination_account_id
        ),
        serial=row.serial,
        quantity=row.quantity,
        purpose=stored_purpose(row.purpose),
        compliance_year=row.compliance_year,
    )
    return Transfer(
        request=request,
        block=SerialBlock.model_validate(row.block),
        state=TransferState(row.state),
        reasons=tuple(Reason.model_validate(reason) for reason in row.reasons),
        created_at=row.created_at,
        updated_at=row.updated_at,
        settled_at=row.settled_at,
        submitted_by=row.submitted_by,
    )


def _reasons_json(reasons: Iterable[Reason]) -> list[dict[str, str]]:
    return [reason.model_dump(mode="json") for reason in reasons]


def insert(session: Session, transfer: Transfer) -> None:
    session.add(to_row(transfer))
    session.flush()  # the transfer row must exist before its first event refers to it
    append_event(session, transfer.transfer_id, transfer.state, transfer.created_at, transfer.reasons)


def locked(session: Session, transfer_id: str) -> TransferRow:
    """The transfer's row, locked until the transaction ends (SQLite: the whole database already is)."""
    row = session.scalars(
        select(TransferRow).where(TransferRow.transfer_id == transfer_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"transfer {transfer_id} is not in the ledger")
    return row


def move(
    session: Session, row: TransferRow, new: TransferState, at: datetime, reasons: tuple[Reason, ...]
) -> bool:
    """Move a locked transfer to `new`; False when it already stands there (a retry).

    A flagged transfer is the exception: each new reason it stays NEEDS_INTERVENTION for
    (an operator's retry, the retry failing again) is an event of its own, so the audit
    trail shows every decision; the same reasons again are a retry and change nothing.
    """
    current = TransferState(row.state)
    if new is current:
        if new is not TransferState.NEEDS_INTERVENTION or not reasons:
            return False
        if _last_event_reasons(session, row.transfer_id) == _reasons_json(reasons):
            return False
    else:
        check_transition(current, new)
    row.state = new.value
    row.updated_at = at
    row.reasons = [*row.reasons, *_reasons_json(reasons)]
    if new is TransferState.SETTLED:
        row.settled_at = at
    append_event(session, row.transfer_id, new, at, reasons)
    return True


def _last_event_reasons(session: Session, transfer_id: str) -> list[dict[str, str]] | None:
    return session.scalars(
        select(TransferEventRow.reasons)
        .where(TransferEventRow.transfer_id == transfer_id)
        .order_by(TransferEventRow.seq.desc())
        .limit(1)
    ).one_or_none()


def append_event(
    session: Session, transfer_id: str, state: TransferState, at: datetime, reasons: tuple[Reason, ...]
) -> None:
    last = session.scalar(
        select(func.max(TransferEventRow.seq)).where(TransferEventRow.transfer_id == transfer_id)
    )
    note_changed(session, transfer_id)
    session.add(
        TransferEventRow(
            transfer_id=transfer_id,
            seq=(last or 0) + 1,
            state=state.value,
            at=at,
            reasons=_reasons_json(reasons),
        )
    )


def history(session: Session, transfer_id: str) -> list[TransferEvent]:
    rows = session.scalars(
        select(TransferEventRow)
        .where(TransferEventRow.transfer_id == transfer_id)
        .order_by(TransferEventRow.seq)
    )
    return [
        TransferEvent(
            seq=row.seq,
            state=TransferState(row.state),
            at=row.at,
            reasons=tuple(Reason.model_validate(reason) for reason in row.reasons),
        )
        for row in rows
    ]


_SCOPE = "transfers"


def page(
    session: Session,
    *,
    states: set[TransferState] | None,
    registry_id: str | None,
    account_id: str | None,
    page_size: int,
    page_token_in: str | None,
    submitted_by: str | None = None,
) -> tuple[list[Transfer], str | None]:
    """One page of transfers in (created_at, transfer_id) order, and the token of the next page.

    The token (domain.paging) is bound to this filter: shown with another one it is refused.
    """
    query = select(TransferRow).order_by(TransferRow.created_at, TransferRow.transfer_id)
    listing = _listing(states, registry_id, account_id)
    if submitted_by is not None:  # one organisation's view: its token is no good for another's
        listing["submitted_by"] = f"={submitted_by}"
        query = query.where(TransferRow.submitted_by == submitted_by)
    if states is not None:
        query = query.where(TransferRow.state.in_([state.value for state in states]))
    if registry_id is not None or account_id is not None:
        query = query.where(
            or_(
                _side_is(registry_id, account_id, source=True),
                _side_is(registry_id, account_id, source=False),
            )
        )
    if page_token_in is not None:
        created_at, transfer_id = _position(page_token_in, listing)
        query = query.where(
            or_(
                TransferRow.created_at > created_at,
                and_(TransferRow.created_at == created_at, TransferRow.transfer_id > transfer_id),
            )
        )
    rows = session.scalars(query.limit(page_size + 1)).all()
    transfers = [from_row(row) for row in rows[:page_size]]
    if len(rows) <= page_size:
        return transfers, None
    last = transfers[-1]
    return transfers, paging.issue(_SCOPE, listing, (last.created_at.isoformat(), last.transfer_id))


def _listing(
    states: set[TransferState] | None, registry_id: str | None, account_id: str | None
) -> dict[str, str]:
    """The filter a page token is bound to, in a canonical form (None and empty differ)."""
    return {
        "states": "*" if states is None else ",".join(sorted(state.value for state in states)),
        "registry_id": "*" if registry_id is None else f"={registry_id}",
        "account_id": "*" if account_id is None else f"={account_id}",
    }


def _position(token: str, listing: dict[str, str]) -> tuple[datetime, str]:
    """Where the token's page starts: after this (created_at, transfer_id)."""
    after = paging.position(token, _SCOPE, listing)
    try:
        created_text, transfer_id = after
        created_at = datetime.fromisoformat(str(created_text))
    except ValueError as bad:
        raise InvalidInput("page_token is not a token this gateway issued", field="page_token") from bad
    if created_at.tzinfo is None or not isinstance(transfer_id, str):
        raise InvalidInput("page_token is not a token this gateway issued", field="page_token")
    return created_at, transfer_id


def _side_is(registry_id: str | None, account_id: str | None, *, source: bool) -> ColumnElement[bool]:
    """A transfer involves an account when its source or its destination is that account."""
    registry = TransferRow.source_registry_id if source else TransferRow.destination_registry_id
    account = TransferRow.source_account_id if source else TransferRow.destination_account_id
    conditions = []
    if registry_id is not None:
        conditions.append(registry == registry_id)
    if account_id is not None:
        conditions.append(account == account_id)
    return and_(*conditions)
