"""The append-only settlement log, the anchored tree heads, and the journal of anchor transactions, as rows.

The log's leaves are opaque bytes here: `ledger_anchor` defines their encoding and
hashes them; the ledger's job is to number them densely in settlement order, in
the same transaction that settles the transfer, and never to change them. The
next number comes from a one-row counter, so appending never counts the log.

The journal holds every signed anchor transaction before it is sent. It is
`ledger_anchor.journal.AnchorJournal` in plain types (the ledger does not
import `ledger_anchor`); `workflows.anchor_activities` joins the two.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from domain.errors import AlreadyExists, NotFound
from domain.transfers import TransferState
from ledger import transfer_rows
from ledger.models import (
    AnchorRow,
    AnchorTransactionRow,
    LogTreeFrontierRow,
    LogTreeNodeRow,
    SettlementLogRow,
    SettlementLogSizeRow,
    TransferRow,
)

_SIZE_ROW = 1


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


class AnchorAttempt(BaseModel):
    """One signed anchor transaction as journaled: which head, which nonce and fees, what became of it."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    contract_address: str
    sender: str
    size: int  # the tree size it anchors
    root: str
    attempt: int  # 0 for a head's first transaction, then one more per re-signing
    nonce: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    raw_tx: str  # 0x-prefixed hex of the signed bytes
    tx_hash: str
    signed_at: datetime
    status: str
    status_at: datetime | None = None


def append(session: Session, transfer_id: str, leaf: bytes, at: datetime) -> int:
    """Give the transfer the next leaf index (once: a retry finds its own leaf).

    The counter's UPDATE takes its row lock until commit, so on PostgreSQL
    appenders queue there and each reads the number the previous one left; a
    rollback gives the number back with the leaf, so the log stays dense.
    """
    existing = session.scalar(
        select(SettlementLogRow.leaf_index).where(SettlementLogRow.transfer_id == transfer_id)
    )
    if existing is not None:
        return existing
    taken = session.execute(
        update(SettlementLogSizeRow)
        .where(SettlementLogSizeRow.singleton == _SIZE_ROW)
        .values(size=SettlementLogSizeRow.size + 1)
        .returning(SettlementLogSizeRow.size)
    ).scalar_one()
    index = int(taken) - 1
    session.add(SettlementLogRow(leaf_index=index, transfer_id=transfer_id, leaf=leaf, appended_at=at))
    return index


def size(session: Session) -> int:
    return int(
        session.scalar(select(SettlementLogSizeRow.size).where(SettlementLogSizeRow.singleton == _SIZE_ROW))
        or 0
    )


def leaves(session: Session, upto: int | None) -> list[bytes]:
    query = select(SettlementLogRow.leaf).order_by(SettlementLogRow.leaf_index)
    if upto is not None:
        query = query.where(SettlementLogRow.leaf_index < upto)
    return list(session.scalars(query))


def leaf_range(session: Session, start: int, end: int) -> list[bytes]:
    """Leaves [start, end) in order."""
    query = (
        select(SettlementLogRow.leaf)
        .where(SettlementLogRow.leaf_index >= start, SettlementLogRow.leaf_index < end)
        .order_by(SettlementLogRow.leaf_index)
    )
    return list(session.scalars(query))


def tree_frontier(session: Session) -> int:
    """The leaves the stored subtree roots cover."""
    return int(
        session.scalar(select(LogTreeFrontierRow.leaves).where(LogTreeFrontierRow.singleton == _SIZE_ROW))
        or 0
    )


def tree_node(session: Session, level: int, index: int) -> bytes | None:
    query = select(LogTreeNodeRow.hash).where(LogTreeNodeRow.level == level, LogTreeNodeRow.index == index)
    return session.scalar(query)


def tree_nodes_at(session: Session, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored subtree roots among `keys` (level, index), in one query: what one proof needs."""
    if not keys:
        return {}
    # One equality pair per key, OR-ed: both databases search the primary key once per pair, where
    # SQLite scans the whole table for a row-value IN list.
    query = select(LogTreeNodeRow.level, LogTreeNodeRow.index, LogTreeNodeRow.hash).where(
        or_(*(and_(LogTreeNodeRow.level == level, LogTreeNodeRow.index == index) for level, index in keys))
    )
    return {(level, index): h for level, index, h in session.execute(query)}


def leaves_at(session: Session, indices: Collection[int]) -> dict[int, bytes]:
    """The leaves at `indices`, in one query."""
    if not indices:
        return {}
    query = select(SettlementLogRow.leaf_index, SettlementLogRow.leaf).where(
        SettlementLogRow.leaf_index.in_(list(indices))
    )
    return {index: leaf for index, leaf in session.execute(query)}


def tree_nodes(session: Session) -> list[tuple[int, int, bytes]]:
    """Every stored subtree root, (level, position, hash), for the audit."""
    query = select(LogTreeNodeRow.level, LogTreeNodeRow.index, LogTreeNodeRow.hash).order_by(
        LogTreeNodeRow.level, LogTreeNodeRow.index
    )
    return [(level, index, h) for level, index, h in session.execute(query)]


def extend_tree(
    session: Session, covered: int, now_covers: int, nodes: Iterable[tuple[int, int, bytes]]
) -> bool:
    """Store the subtree roots completed from `covered` to `now_covers` leaves, once.

    False, storing nothing, when another extension moved the frontier first
    (theirs holds the same nodes: the log never changes).
    """
    row = session.get(LogTreeFrontierRow, _SIZE_ROW, with_for_update=True)
    if row is None:
        row = LogTreeFrontierRow(singleton=_SIZE_ROW, leaves=0)
        session.add(row)
        session.flush()
    if row.leaves != covered:
        return False
    rows = [{"level": level, "index": index, "hash": h} for level, index, h in nodes]
    if rows:  # one bulk insert: a catch-up over a long log stores millions
        session.execute(insert(LogTreeNodeRow), rows)
    row.leaves = now_covers
    return True


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


def finalise_anchor(
    session: Session, tree_size: int, block_number: int, at: datetime, tx_hash: str | None = None
) -> list[str]:
    """Mark a head final (by `tx_hash` when given) and move every settled transfer it covers to ANCHORED.

    Returns their ids.
    """
    row = session.get(AnchorRow, tree_size)
    if row is None:
        raise LookupError(f"no anchor of tree size {tree_size}")
    row.final, row.block_number, row.final_at = True, block_number, row.final_at or at
    if tx_hash is not None:
        row.tx_hash = tx_hash
    covered = select(SettlementLogRow.transfer_id).where(SettlementLogRow.leaf_index < tree_size)
    rows = session.scalars(
        select(TransferRow)
        .where(TransferRow.transfer_id.in_(covered), TransferRow.state == TransferState.SETTLED.value)
        .with_for_update()
    ).all()
    for transfer in rows:
        transfer_rows.move(session, transfer, TransferState.ANCHORED, at, ())
    return [t.transfer_id for t in rows]


def journal_attempt(session: Session, attempt: AnchorAttempt) -> AnchorAttempt:
    """Journal a signed transaction before it is sent, and make its head an unfinished anchor.

    Both in one transaction, so a head whose bytes may be on their way is always
    one the next anchoring run finishes first. Once per (head, attempt number):
    a retry, or a concurrent signer that lost, gets the stored attempt back.
    """
    stored = session.scalars(
        select(AnchorTransactionRow).where(
            AnchorTransactionRow.chain_id == attempt.chain_id,
            AnchorTransactionRow.contract_address == attempt.contract_address,
            AnchorTransactionRow.tree_size == attempt.size,
            AnchorTransactionRow.attempt == attempt.attempt,
        )
    ).one_or_none()
    if stored is not None:
        return _attempt(stored)
    head = session.get(AnchorRow, attempt.size, with_for_update=True)
    if head is None:
        session.add(
            AnchorRow(
                tree_size=attempt.size,
                root=attempt.root,
                chain_id=attempt.chain_id,
                contract_address=attempt.contract_address,
                tx_hash=attempt.tx_hash,
                final=False,
                sent_at=attempt.signed_at,
            )
        )
    elif head.root.lower() != attempt.root.lower():
        raise AlreadyExists(f"tree size {attempt.size} is already anchored with root {head.root}")
    elif not head.final:
        head.tx_hash = attempt.tx_hash  # the newest attempt is the one expected to land
    row = _attempt_row(attempt)
    session.add(row)
    session.flush()
    return _attempt(row)


def attempts_for(session: Session, chain_id: int, contract_address: str, size: int) -> list[AnchorAttempt]:
    """Every transaction journaled for one head, oldest first."""
    query = (
        select(AnchorTransactionRow)
        .where(
            AnchorTransactionRow.chain_id == chain_id,
            AnchorTransactionRow.contract_address == contract_address,
            AnchorTransactionRow.tree_size == size,
        )
        .order_by(AnchorTransactionRow.attempt)
    )
    return [_attempt(row) for row in session.scalars(query)]


def mark_attempt(session: Session, tx_hash: str, status: str, at: datetime) -> None:
    """Record what became of a journaled transaction; the same status again is a no-op."""
    row = session.get(AnchorTransactionRow, tx_hash)
    if row is None:
        raise NotFound(f"no anchor transaction {tx_hash} in the journal")
    if row.status != status:
        row.status, row.status_at = status, at


def next_nonce(session: Session, chain_id: int, sender: str) -> int:
    """One past the highest nonce `sender` journaled on `chain_id` (0 when none)."""
    highest = session.scalar(
        select(func.max(AnchorTransactionRow.nonce)).where(
            AnchorTransactionRow.chain_id == chain_id, AnchorTransactionRow.sender == sender
        )
    )
    return 0 if highest is None else int(highest) + 1


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


def _attempt_row(attempt: AnchorAttempt) -> AnchorTransactionRow:
    return AnchorTransactionRow(
        tx_hash=attempt.tx_hash,
        chain_id=attempt.chain_id,
        contract_address=attempt.contract_address,
        tree_size=attempt.size,
        attempt=attempt.attempt,
        root=attempt.root,
        sender=attempt.sender,
        nonce=attempt.nonce,
        max_fee_per_gas=attempt.max_fee_per_gas,
        max_priority_fee_per_gas=attempt.max_priority_fee_per_gas,
        raw_tx=bytes.fromhex(attempt.raw_tx.removeprefix("0x")),
        signed_at=attempt.signed_at,
        status=attempt.status,
        status_at=attempt.status_at or attempt.signed_at,
    )


def _attempt(row: AnchorTransactionRow) -> AnchorAttempt:
    return AnchorAttempt(
        chain_id=row.chain_id,
        contract_address=row.contract_address,
        sender=row.sender,
        size=row.tree_size,
        root=row.root,
        attempt=row.attempt,
        nonce=row.nonce,
        max_fee_per_gas=row.max_fee_per_gas,
        max_priority_fee_per_gas=row.max_priority_fee_per_gas,
        raw_tx="0x" + row.raw_tx.hex(),
        tx_hash=row.tx_hash,
        signed_at=row.signed_at,
        status=row.status,
        status_at=row.status_at,
    )
