"""The append-only settlement log and the anchored tree heads, as rows.

The log's leaves are opaque bytes here: `ledger_anchor` defines their encoding and
hashes them; the ledger's job is to number them densely in settlement order, in
the same transaction that settles the transfer, and never to change them.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from domain.transfers import TransferState
from ledger import transfer_rows
from ledger.models import AnchorRow, SettlementLogRow, TransferRow

# Any constant works: it names the one lock PostgreSQL appenders queue on.
_APPEND_LOCK = 0x5E771E


class LogEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    leaf_index: int
    transfer_id: str
    leaf: bytes


class AnchorEntry(BaseModel):
    """A tree head sent to the chain; `final` once it has enough confirmations."""

    model_config = ConfigDict(frozen=True)

    tree_size: int
    root: str
    chain_id: int
    contract_address: str
    tx_hash: str
    block_number: int | None = None
    final: bool = False
    sent_at: datetime
    final_at: datetime | None = None


def append(session: Session, transfer_id: str, leaf: bytes, at: datetime) -> int:
    """Give the transfer the next leaf index (once: a retry finds its own leaf)."""
    existing = session.scalar(
        select(SettlementLogRow.leaf_index).where(SettlementLogRow.transfer_id == transfer_id)
    )
    if existing is not None:
        return existing
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    size = session.scalar(select(func.count()).select_from(SettlementLogRow)) or 0
    session.add(SettlementLogRow(leaf_index=size, transfer_id=transfer_id, leaf=leaf, appended_at=at))
    return size


def size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(SettlementLogRow)) or 0


def leaves(session: Session, upto: int | None) -> list[bytes]:
    query = select(SettlementLogRow.leaf).order_by(SettlementLogRow.leaf_index)
    if upto is not None:
        query = query.where(SettlementLogRow.leaf_index < upto)
    return list(session.scalars(query))


def entry_of(session: Session, transfer_id: str) -> LogEntry | None:
    row = session.scalars(
        select(SettlementLogRow).where(SettlementLogRow.transfer_id == transfer_id)
    ).one_or_none()
    if row is None:
        return None
    return LogEntry(leaf_index=row.leaf_index, transfer_id=row.transfer_id, leaf=row.leaf)


def record_anchor(session: Session, anchor: AnchorEntry) -> AnchorEntry:
    """Store a sent tree head once; a retry gets the stored one back."""
    row = session.get(AnchorRow, anchor.tree_size)
    if row is None:
        row = AnchorRow(**anchor.model_dump())
        session.add(row)
    return _anchor(row)


def finalise_anchor(session: Session, tree_size: int, block_number: int, at: datetime) -> list[str]:
    """Mark a head final and move every settled transfer it covers to ANCHORED; returns their ids."""
    row = session.get(AnchorRow, tree_size)
    if row is None:
        raise LookupError(f"no anchor of tree size {tree_size}")
    row.final, row.block_number, row.final_at = True, block_number, row.final_at or at
    covered = select(SettlementLogRow.transfer_id).where(SettlementLogRow.leaf_index < tree_size)
    rows = session.scalars(
        select(TransferRow)
        .where(TransferRow.transfer_id.in_(covered), TransferRow.state == TransferState.SETTLED.value)
        .with_for_update()
    ).all()
    for transfer in rows:
        transfer_rows.move(session, transfer, TransferState.ANCHORED, at, ())
    return [t.transfer_id for t in rows]


def anchors(session: Session) -> list[AnchorEntry]:
    return [_anchor(r) for r in session.scalars(select(AnchorRow).order_by(AnchorRow.tree_size))]


def latest_final(session: Session) -> AnchorEntry | None:
    row = session.scalars(
        select(AnchorRow).where(AnchorRow.final.is_(True)).order_by(AnchorRow.tree_size.desc()).limit(1)
    ).one_or_none()
    return None if row is None else _anchor(row)


def _anchor(row: AnchorRow) -> AnchorEntry:
    return AnchorEntry(
        tree_size=row.tree_size,
        root=row.root,
        chain_id=row.chain_id,
        contract_address=row.contract_address,
        tx_hash=row.tx_hash,
        block_number=row.block_number,
        final=row.final,
        sent_at=row.sent_at,
        final_at=row.final_at,
    )
