"""Article 6 as rows: host Parties' authorisations, first transfers, and their corresponding adjustments.

A first transfer's adjustment only moves forward (compliance_rules.corresponding_adjustment);
each state it reaches is appended to `corresponding_adjustment_events`, so the
Article 6 report can say when the host announced and applied it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.facts import Authorisation, AuthorisedUse, FirstTransfer
from domain.errors import NotFound
from domain.serials import SerialBlock
from ledger import serial_spans
from ledger.models import AdjustmentEventRow, AuthorisationRow, FirstTransferRow
from ledger.record_once import record_once


class AdjustmentStep(NamedTuple):
    """One state a corresponding adjustment reached, and when."""

    state: AdjustmentState
    at: datetime


def record_authorisation(session: Session, authorisation: Authorisation) -> bool:
    row = session.get(AuthorisationRow, authorisation.authorisation_id)
    stored = None if row is None else authorisation_from_row(row)
    what = f"authorisation {authorisation.authorisation_id}"
    added = record_once(session, stored, authorisation, _authorisation_row, what)
    if added and authorisation.block is not None:
        serial_spans.widen(session, AuthorisationRow, authorisation.block)
    return added


def authorisations_covering(session: Session, block: SerialBlock) -> list[Authorisation]:
    """Authorisations of serials shared with `block`, or of its programme, project and vintage.

    Two queries rather than one OR, so each is a seek on its own index.
    """
    of_block = select(AuthorisationRow).where(serial_spans.overlapping(AuthorisationRow, block))
    of_project = select(AuthorisationRow).where(
        AuthorisationRow.programme == block.programme,
        AuthorisationRow.project_id == block.project_id,
        AuthorisationRow.vintage == block.vintage,
    )
    rows = [*session.scalars(of_block), *session.scalars(of_project)]
    found = [authorisation_from_row(row) for row in sorted(rows, key=_issued_order)]
    return [a for a in found if a.covering(block) is not None]


def _issued_order(row: AuthorisationRow) -> tuple[date, str]:
    return row.authorised_on, row.authorisation_id


def record_first_transfer(session: Session, first: FirstTransfer) -> FirstTransfer:
    """Store the record once per transfer; a retry gets the stored one, adjustment as it now stands."""
    row = session.get(FirstTransferRow, first.transfer_id)
    stored = None if row is None else first_transfer_from_row(row)
    # The adjustment may have moved since the first call; the rest of the record may not.
    as_sent = None if stored is None else stored.model_copy(update={"adjustment": first.adjustment})
    if record_once(session, as_sent, first, _first_transfer_row, f"first transfer {first.transfer_id}"):
        serial_spans.widen(session, FirstTransferRow, first.block)
        _append_step(session, first.transfer_id, first.adjustment, first.transferred_at)
        return first
    assert stored is not None
    return stored


def advance_adjustment(
    session: Session, transfer_id: str, new: AdjustmentState, at: datetime
) -> FirstTransfer:
    """Move the adjustment forward one step; the same state again changes nothing."""
    row = session.scalars(
        select(FirstTransferRow).where(FirstTransferRow.transfer_id == transfer_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"transfer {transfer_id} has no first-transfer record")
    current = first_transfer_from_row(row)
    moved = current.with_adjustment(new)  # IllegalTransition for a step back or a skipped step
    if moved.adjustment is not current.adjustment:
        row.adjustment = moved.adjustment.value
        _append_step(session, transfer_id, moved.adjustment, at)
    return moved


def adjustment_history(session: Session, transfer_id: str) -> list[AdjustmentStep]:
    rows = session.scalars(
        select(AdjustmentEventRow)
        .where(AdjustmentEventRow.transfer_id == transfer_id)
        .order_by(AdjustmentEventRow.seq)
    )
    return [AdjustmentStep(AdjustmentState(row.state), row.at) for row in rows]


def first_transfers_overlapping(session: Session, block: SerialBlock) -> list[FirstTransfer]:
    query = select(FirstTransferRow).where(serial_spans.overlapping(FirstTransferRow, block))
    return [first_transfer_from_row(row) for row in session.scalars(query.order_by(FirstTransferRow.start))]


def every_first_transfer(session: Session) -> list[FirstTransfer]:
    query = select(FirstTransferRow).order_by(FirstTransferRow.transferred_at, FirstTransferRow.transfer_id)
    return [first_transfer_from_row(row) for row in session.scalars(query)]


def _append_step(session: Session, transfer_id: str, state: AdjustmentState, at: datetime) -> None:
    last = session.scalar(
        select(func.max(AdjustmentEventRow.seq)).where(AdjustmentEventRow.transfer_id == transfer_id)
    )
    session.add(AdjustmentEventRow(transfer_id=transfer_id, seq=(last or 0) + 1, state=state.value, at=at))


def _authorisation_row(authorisation: Authorisation) -> AuthorisationRow:
    block = authorisation.block
    return AuthorisationRow(
        authorisation_id=authorisation.authorisation_id,
        host_party=authorisation.host_party,
        authorised_use=authorisation.authorised_use.value,
        cooperative_approach_id=authorisation.cooperative_approach_id,
        authorised_on=authorisation.authorised_on,
        mitigation_type=authorisation.mitigation_type,
        serial_space=block.serial_space if block else None,
        start=block.start if block else None,
        end=block.end if block else None,
        block=block.model_dump(mode="json") if block else None,
        programme=authorisation.programme,
        project_id=authorisation.project_id,
        vintage=authorisation.vintage,
    )


def authorisation_from_row(row: AuthorisationRow) -> Authorisation:
    return Authorisation(
        authorisation_id=row.authorisation_id,
        host_party=row.host_party,
        authorised_use=AuthorisedUse(row.authorised_use),
        cooperative_approach_id=row.cooperative_approach_id,
        authorised_on=row.authorised_on,
        mitigation_type=row.mitigation_type,
        block=None if row.block is None else SerialBlock.model_validate(row.block),
        programme=row.programme,
        project_id=row.project_id,
        vintage=row.vintage,
    )


def _first_transfer_row(first: FirstTransfer) -> FirstTransferRow:
    return FirstTransferRow(
        transfer_id=first.transfer_id,
        authorisation_id=first.authorisation_id,
        host_party=first.host_party,
        acquiring_party=first.acquiring_party,
        transferred_at=first.transferred_at,
        adjustment=first.adjustment.value,
        serial_space=first.block.serial_space,
        start=first.block.start,
        end=first.block.end,
        block=first.block.model_dump(mode="json"),
    )


def first_transfer_from_row(row: FirstTransferRow) -> FirstTransfer:
    return FirstTransfer(
        transfer_id=row.transfer_id,
        authorisation_id=row.authorisation_id,
        block=SerialBlock.model_validate(row.block),
        host_party=row.host_party,
        acquiring_party=row.acquiring_party,
        transferred_at=row.transferred_at,
        adjustment=AdjustmentState(row.adjustment),
    )
