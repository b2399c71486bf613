"""Pledges as rows: units a lender holds as collateral stay locked until the pledge ends.

A pledge ends one of three ways, each recorded on its row (`state`, `released_at`
as the end time): the lender releases it, the one transfer it consented to settles
(TRANSFERRED), or its enforcement settles into the lender's account (ENFORCED).
Only unended pledges are facts for DC-STATUS, and a pledge never blocks the one
transfer its lender consented to. A pledge and a reservation never share serials
unless that transfer is the consented one: each refuses the other in the
transaction that writes it, under the serial space's hold lock
(`serial_index.serialise_holds`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance_rules.facts import Pledge
from domain.errors import AlreadyExists, DoubleCountingConflict, NotFound, PreconditionFailed
from domain.finance import Collateral, PledgeState, enforcement_transfer_id
from domain.serials import SerialBlock
from domain.transfers import AccountRef, TransferState
from ledger import serial_index, serial_spans
from ledger.models import PledgeRow, ReservationRow, TransferRow

# The transfer states in which a consented transfer can no longer move the units.
_UNDONE = (TransferState.REJECTED.value, TransferState.COMPENSATED.value)


def record(session: Session, collateral: Collateral) -> tuple[Collateral, bool]:
    """Store the pledge once; a retry (even after it ended) answers with the stored one.

    A new pledge is refused while a transfer in flight reserves any of its serials.
    """
    serial_index.serialise_holds(session, collateral.block.serial_space)
    row = session.get(PledgeRow, collateral.pledge_id)
    if row is not None:
        stored = collateral_from_row(row)
        if _terms(stored) != _terms(collateral):
            raise AlreadyExists(
                f"pledge {collateral.pledge_id} is already recorded with other content", field="pledge_id"
            )
        return stored, False
    _refuse_reserved(session, collateral)
    session.add(_row(collateral))
    session.flush()
    serial_spans.widen(session, PledgeRow, collateral.block)
    return collateral, True


def consent(
    session: Session, pledge_id: str, lender: str | None, transfer_id: str
) -> tuple[Collateral, bool]:
    """Let exactly `transfer_id` move the pledged units; True when the consent is new.

    A consent may be replaced only while its transfer has not begun to move the
    units: it is unknown to the ledger, or ended without moving them.
    """
    row = _locked(session, pledge_id, lender)
    if row.state != PledgeState.ACTIVE.value:
        raise PreconditionFailed(f"pledge {pledge_id} is {row.state}; only an active pledge takes a consent")
    if row.consented_transfer_id == transfer_id:
        return collateral_from_row(row), False
    if row.consented_transfer_id is not None:
        earlier = session.get(TransferRow, row.consented_transfer_id)
        if earlier is not None and earlier.state not in _UNDONE:
            raise PreconditionFailed(
                f"pledge {pledge_id} already lets transfer {row.consented_transfer_id} move its units, "
                f"which is {earlier.state}; a pledge consents to one transfer at a time"
            )
    row.consented_transfer_id = transfer_id
    session.flush()
    return collateral_from_row(row), True


def release(session: Session, pledge_id: str, lender: str | None, at: datetime) -> tuple[Collateral, bool]:
    """Unlock the pledged units; False when the pledge was already released."""
    row = _locked(session, pledge_id, lender)
    if row.state == PledgeState.RELEASED.value:
        return collateral_from_row(row), False
    if row.state != PledgeState.ACTIVE.value:
        raise PreconditionFailed(
            f"pledge {pledge_id} is {row.state}: its units have moved; nothing to release"
        )
    row.state = PledgeState.RELEASED.value
    row.released_at = at
    session.flush()
    return collateral_from_row(row), True


def end_consented(session: Session, transfer_id: str, at: datetime) -> list[Collateral]:
    """End the active pledges consented to this (settling) transfer: ENFORCED for the pledge's own
    enforcement, TRANSFERRED otherwise. Part of the settlement's transaction."""
    query = select(PledgeRow).where(
        PledgeRow.consented_transfer_id == transfer_id, PledgeRow.state == PledgeState.ACTIVE.value
    )
    ended = []
    for row in session.scalars(query.with_for_update()):
        own = transfer_id == enforcement_transfer_id(row.pledge_id)
        row.state = (PledgeState.ENFORCED if own else PledgeState.TRANSFERRED).value
        row.released_at = at
        ended.append(collateral_from_row(row))
    session.flush()
    return ended


def get(session: Session, pledge_id: str, lender: str | None) -> Collateral:
    """The pledge as its lender sees it (`lender` None: anyone who sees everything); NotFound otherwise."""
    row = session.get(PledgeRow, pledge_id)
    if row is None or (lender is not None and row.lender != lender):
        raise NotFound(f"pledge {pledge_id} is not in the ledger", field="pledge_id")
    return collateral_from_row(row)


def listed(session: Session, lender: str | None) -> list[Collateral]:
    """Pledges oldest first: one lender's, or everyone's (`lender` None)."""
    query = select(PledgeRow)
    if lender is not None:
        query = query.where(PledgeRow.lender == lender)
    rows = session.scalars(query.order_by(PledgeRow.pledged_at, PledgeRow.pledge_id))
    return [collateral_from_row(row) for row in rows]


def refuse_pledged(session: Session, block: SerialBlock, transfer_id: str | None = None) -> None:
    """DC-STATUS when an active pledge covers any of these serials, unless it consented to `transfer_id`
    (the caller holds the hold lock)."""
    for pledge in pledges_overlapping(session, block):
        if transfer_id is not None and pledge.consented_transfer_id == transfer_id:
            continue
        shared = serial_index.describe(
            block.serial_space, max(block.start, pledge.block.start), min(block.end, pledge.block.end)
        )
        raise DoubleCountingConflict(
            f"{shared} are pledged to {pledge.lender} under pledge {pledge.pledge_id} "
            f"by registry {pledge.holder.registry_id} account {pledge.holder.account_id}",
            code="DC-STATUS",
        )


def pledges_overlapping(session: Session, block: SerialBlock) -> list[Pledge]:
    query = select(PledgeRow).where(
        serial_spans.overlapping(PledgeRow, block), PledgeRow.released_at.is_(None)
    )
    return [pledge_from_row(row) for row in session.scalars(query.order_by(PledgeRow.start))]


def _locked(session: Session, pledge_id: str, lender: str | None) -> PledgeRow:
    row = session.scalars(
        select(PledgeRow).where(PledgeRow.pledge_id == pledge_id).with_for_update()
    ).one_or_none()
    if row is None or (lender is not None and row.lender != lender):
        raise NotFound(f"pledge {pledge_id} is not in the ledger", field="pledge_id")
    return row


def _refuse_reserved(session: Session, collateral: Collateral) -> None:
    for row in serial_index.overlapping(session, ReservationRow, collateral.block):
        shared = serial_index.describe(
            collateral.block.serial_space,
            max(row.start, collateral.block.start),
            min(row.end, collateral.block.end),
        )
        raise PreconditionFailed(
            f"pledge {collateral.pledge_id}: {shared} are reserved by transfer {row.transfer_id}, "
            "which is in flight; pledge them once it has settled or been released"
        )


def _terms(collateral: Collateral) -> tuple[object, ...]:
    """What a retry must repeat: who pledged what for which loan (not where the pledge stands)."""
    return (collateral.lender, collateral.holder, collateral.block, collateral.serial, collateral.loan_id)


def _row(collateral: Collateral) -> PledgeRow:
    return PledgeRow(
        pledge_id=collateral.pledge_id,
        lender=collateral.lender,
        holder_registry_id=collateral.holder.registry_id,
        holder_account_id=collateral.holder.account_id,
        pledged_at=collateral.pledged_at,
        released_at=None,
        state=PledgeState.ACTIVE.value,
        loan_id=collateral.loan_id,
        serial=collateral.serial,
        consented_transfer_id=None,
        serial_space=collateral.block.serial_space,
        start=collateral.block.start,
        end=collateral.block.end,
        block=collateral.block.model_dump(mode="json"),
    )


def collateral_from_row(row: PledgeRow) -> Collateral:
    block = SerialBlock.model_validate(row.block)
    return Collateral(
        pledge_id=row.pledge_id,
        lender=row.lender,
        holder=AccountRef(registry_id=row.holder_registry_id, account_id=row.holder_account_id),
        block=block,
        serial=row.serial or "",
        loan_id=row.loan_id,
        state=PledgeState(row.state),
        consented_transfer_id=row.consented_transfer_id,
        pledged_at=row.pledged_at,
        ended_at=row.released_at,
    )


def pledge_from_row(row: PledgeRow) -> Pledge:
    return Pledge(
        pledge_id=row.pledge_id,
        lender=row.lender,
        block=SerialBlock.model_validate(row.block),
        holder=AccountRef(registry_id=row.holder_registry_id, account_id=row.holder_account_id),
        consented_transfer_id=row.consented_transfer_id,
    )
