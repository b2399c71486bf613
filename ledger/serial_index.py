"""The serial-block index: the ledger's promise that no tonne is counted twice.

Two tables answer "may these serials move?": `serial_reservations` (held by a
transfer in flight) and `serial_locations` (where settled serials live now).
Neither ever holds two overlapping ranges of one serial space; PostgreSQL
enforces that with exclusion constraints, SQLite by running every write in a
`BEGIN IMMEDIATE` transaction, one writer at a time. Settlements of one
serial space also run one at a time on PostgreSQL (see `_serialise_settlements`),
and so do its reservations and pledges (see `serialise_holds`).

Because rows of one serial space never overlap, the rows overlapping a range
are the last row starting before it plus the rows starting inside it: two
seeks on the (serial_space, start, end) index, whatever the table's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from domain.errors import DoubleCountingConflict, PreconditionFailed
from domain.serials import SerialBlock
from domain.transfers import AccountRef
from ledger.models import LocationRow, ReservationRow

Ranged = TypeVar("Ranged", ReservationRow, LocationRow)

# A reservation loses to an overlapping one that then rolls back at most this
# often in a row before the caller is asked to try again.
CLAIM_ATTEMPTS = 5

# Seeds of `hashtextextended`, so the two per-space locks below are different locks.
_SETTLEMENT_LOCK_SEED = 0
_HOLD_LOCK_SEED = 0x484F4C44  # "HOLD"


def overlapping(
    session: Session, table: type[Ranged], block: SerialBlock, *, lock: bool = False
) -> list[Ranged]:
    """Rows of `table` sharing serials with `block`, in serial order."""
    in_space = table.serial_space == block.serial_space
    before = select(table).where(in_space, table.start < block.start).order_by(table.start.desc()).limit(1)
    inside = select(table).where(in_space, table.start >= block.start, table.start <= block.end)
    if lock:
        before, inside = before.with_for_update(), inside.with_for_update()
    rows = [row for row in session.scalars(before) if row.end >= block.start]
    rows.extend(session.scalars(inside.order_by(table.start)))
    return rows


def describe(serial_space: str, start: int, end: int) -> str:
    return f"serials {serial_space} {start}-{end}"


def _shared(row: ReservationRow | LocationRow, block: SerialBlock) -> str:
    return describe(block.serial_space, max(row.start, block.start), min(row.end, block.end))


def reservation_of(session: Session, transfer_id: str) -> ReservationRow | None:
    return session.get(ReservationRow, transfer_id)


def refuse_reserved_elsewhere(session: Session, transfer_id: str, block: SerialBlock) -> None:
    """DC-USE when another transfer holds any of these serials."""
    for row in overlapping(session, ReservationRow, block):
        if row.transfer_id != transfer_id:
            raise DoubleCountingConflict(
                f"{_shared(row, block)} are reserved by transfer {row.transfer_id}",
                other_transfer_id=row.transfer_id,
            )


def refuse_living_elsewhere(session: Session, block: SerialBlock, source: AccountRef) -> None:
    """DC-USE when a settled transfer moved any of these serials out of the source account."""
    for row in overlapping(session, LocationRow, block):
        if (row.registry_id, row.account_id) != (source.registry_id, source.account_id):
            raise DoubleCountingConflict(
                f"{_shared(row, block)} left registry {source.registry_id} account {source.account_id} "
                f"with transfer {row.transfer_id} at {row.settled_at.isoformat()}; they live in "
                f"registry {row.registry_id} account {row.account_id}",
                other_transfer_id=row.transfer_id,
            )


def claim(session: Session, transfer_id: str, block: SerialBlock, source: AccountRef) -> None:
    """Reserve `block` for the transfer, or raise DC-USE naming the transfer that holds its serials."""
    for _ in range(CLAIM_ATTEMPTS):
        refuse_reserved_elsewhere(session, transfer_id, block)
        if _insert_reservation(session, transfer_id, block, source):
            return
        # The database refused an overlap our read could not see yet: the holder
        # committed meanwhile (the next check names it) or rolled back (try again).
    raise RuntimeError(f"{describe(block.serial_space, block.start, block.end)} are contended; try again")


def _insert_reservation(session: Session, transfer_id: str, block: SerialBlock, source: AccountRef) -> bool:
    """Insert the reservation row; False when PostgreSQL's exclusion constraint refused it.

    On PostgreSQL the insert is `ON CONFLICT DO NOTHING`: it waits for a concurrent
    overlapping reservation to commit or roll back and then decides, where a plain
    insert of two overlapping rows at once can deadlock inside the exclusion check.
    """
    values = {
        "transfer_id": transfer_id,
        "serial_space": block.serial_space,
        "start": block.start,
        "end": block.end,
        "block": block.model_dump(mode="json"),
        "source_registry_id": source.registry_id,
        "source_account_id": source.account_id,
        "reserved_at": datetime.now(UTC),
    }
    if session.get_bind().dialect.name == "postgresql":
        inserted = session.execute(
            postgresql.insert(ReservationRow)
            .values(values)
            .on_conflict_do_nothing()
            .returning(ReservationRow.transfer_id)
        )
        return inserted.first() is not None
    session.execute(insert(ReservationRow).values(values))
    return True


def refuse_other_block(existing: ReservationRow, block: SerialBlock) -> None:
    """A transfer reserves one block; asking again for a different one is a caller's mistake."""
    if (existing.serial_space, existing.start, existing.end) != (block.serial_space, block.start, block.end):
        raise PreconditionFailed(
            f"transfer {existing.transfer_id} already reserves "
            f"{describe(existing.serial_space, existing.start, existing.end)}, "
            f"not {describe(block.serial_space, block.start, block.end)}"
        )


def move_to_location(
    session: Session, reservation: ReservationRow, destination: AccountRef, at: datetime
) -> None:
    """Settle a reservation: its serials now live in `destination`, put there by its transfer."""
    block = SerialBlock.model_validate(reservation.block)
    _serialise_settlements(session, block.serial_space)
    for older in overlapping(session, LocationRow, block, lock=True):
        _trim(session, older, block)
    session.delete(reservation)
    session.flush()  # free the range before the new location claims it
    session.add(_location(block, destination, reservation.transfer_id, at))


def _serialise_settlements(session: Session, serial_space: str) -> None:
    """On PostgreSQL, settle one serial space's transfers one at a time.

    Two settlements trimming the same older location (adjacent pieces of one
    holding) would each read it, and the second would miss the remainder the
    first wrote; a lock on the space avoids that without retries. SQLite
    already runs one writer at a time.
    """
    _lock_space(session, serial_space, _SETTLEMENT_LOCK_SEED)


def serialise_holds(session: Session, serial_space: str) -> None:
    """On PostgreSQL, decide one serial space's reservations and pledges one at a time.

    A reservation checks for pledges and a pledge for reservations; under READ
    COMMITTED two such transactions could each miss the other's uncommitted
    insert and both commit. Both take this lock before checking, so the second
    sees the first. SQLite already runs one writer at a time.
    """
    _lock_space(session, serial_space, _HOLD_LOCK_SEED)


def _lock_space(session: Session, serial_space: str, seed: int) -> None:
    """A transaction-scoped PostgreSQL advisory lock on (serial space, purpose); nothing on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:space, :seed))"),
            {"space": serial_space, "seed": seed},
        )


def _trim(session: Session, older: LocationRow, moved: SerialBlock) -> None:
    """Replace `older` by what is left of it once `moved` is taken out (0, 1 or 2 rows)."""
    remains = SerialBlock.model_validate(older.block).with_range(older.start, older.end).subtract(moved)
    owner = AccountRef(registry_id=older.registry_id, account_id=older.account_id)
    session.delete(older)
    session.flush()
    for part in remains:
        session.add(_location(part, owner, older.transfer_id, older.settled_at))


def _location(block: SerialBlock, where: AccountRef, transfer_id: str, at: datetime) -> LocationRow:
    return LocationRow(
        serial_space=block.serial_space,
        start=block.start,
        end=block.end,
        block=block.model_dump(mode="json"),
        registry_id=where.registry_id,
        account_id=where.account_id,
        transfer_id=transfer_id,
        settled_at=at,
    )


def locations(session: Session, block: SerialBlock) -> Sequence[tuple[SerialBlock, AccountRef, str]]:
    """Where the tracked parts of `block` live now, each clipped to `block`, in serial order."""
    found = []
    for row in overlapping(session, LocationRow, block):
        part = SerialBlock.model_validate(row.block).with_range(
            max(row.start, block.start), min(row.end, block.end)
        )
        found.append(
            (part, AccountRef(registry_id=row.registry_id, account_id=row.account_id), row.transfer_id)
        )
    return found
