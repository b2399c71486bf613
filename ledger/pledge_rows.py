"""Pledges as rows: units pledged to a lender stay locked until the lender releases them.

A released pledge keeps its row (with `released_at`) as the record of the loan;
only unreleased ones are facts for DC-STATUS. A pledge and a reservation never
share serials: each refuses the other in the transaction that writes it, under
the serial space's hold lock (`serial_index.serialise_holds`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance_rules.facts import Pledge
from domain.errors import DoubleCountingConflict, NotFound, PreconditionFailed
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger import serial_index, serial_spans
from ledger.models import PledgeRow, ReservationRow
from ledger.record_once import record_once


def record_pledge(session: Session, pledge: Pledge, at: datetime) -> bool:
    """Store the pledge once; a retry (even after its release) changes nothing.

    A new pledge is refused while a transfer in flight reserves any of its serials.
    """
    serial_index.serialise_holds(session, pledge.block.serial_space)
    row = session.get(PledgeRow, pledge.pledge_id)
    stored = None if row is None else pledge_from_row(row)
    if stored is None:
        _refuse_reserved(session, pledge)
    added = record_once(session, stored, pledge, lambda p: _pledge_row(p, at), f"pledge {pledge.pledge_id}")
    if added:
        serial_spans.widen(session, PledgeRow, pledge.block)
    return added


def release_pledge(session: Session, pledge_id: str, at: datetime) -> bool:
    """Unlock the pledged units; False when the pledge was already released."""
    row = session.scalars(
        select(PledgeRow).where(PledgeRow.pledge_id == pledge_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound(f"pledge {pledge_id} is not in the ledger")
    if row.released_at is not None:
        return False
    row.released_at = at
    return True


def refuse_pledged(session: Session, block: SerialBlock) -> None:
    """DC-STATUS when an unreleased pledge covers any of these serials (the caller holds the hold lock)."""
    for pledge in pledges_overlapping(session, block):
        shared = serial_index.describe(
            block.serial_space, max(block.start, pledge.block.start), min(block.end, pledge.block.end)
        )
        raise DoubleCountingConflict(
            f"{shared} are pledged to {pledge.lender} under pledge {pledge.pledge_id} "
            f"by registry {pledge.holder.registry_id} account {pledge.holder.account_id}",
            code="DC-STATUS",
        )


def _refuse_reserved(session: Session, pledge: Pledge) -> None:
    for row in serial_index.overlapping(session, ReservationRow, pledge.block):
        shared = serial_index.describe(
            pledge.block.serial_space, max(row.start, pledge.block.start), min(row.end, pledge.block.end)
        )
        raise PreconditionFailed(
            f"pledge {pledge.pledge_id}: {shared} are reserved by transfer {row.transfer_id}, "
            "which is in flight; pledge them once it has settled or been released"
        )


def pledges_overlapping(session: Session, block: SerialBlock) -> list[Pledge]:
    query = select(PledgeRow).where(
        serial_spans.overlapping(PledgeRow, block), PledgeRow.released_at.is_(None)
    )
    return [pledge_from_row(row) for row in session.scalars(query.order_by(PledgeRow.start))]


def _pledge_row(pledge: Pledge, at: datetime) -> PledgeRow:
    return PledgeRow(
        pledge_id=pledge.pledge_id,
        lender=pledge.lender,
        holder_registry_id=pledge.holder.registry_id,
        holder_account_id=pledge.holder.account_id,
        pledged_at=at,
        released_at=None,
        serial_space=pledge.block.serial_space,
        start=pledge.block.start,
        end=pledge.block.end,
        block=pledge.block.model_dump(mode="json"),
    )


def pledge_from_row(row: PledgeRow) -> Pledge:
    return Pledge(
        pledge_id=row.pledge_id,
        lender=row.lender,
        block=SerialBlock.model_validate(row.block),
        holder=AccountRef(registry_id=row.holder_registry_id, account_id=row.holder_account_id),
    )
