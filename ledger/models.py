"""The ledger's tables, declared once so migrations can be checked against them.

Each serial range is stored twice over: as the JSON of its `SerialBlock` (so a
block comes back with every segment its grammar needs) and as indexed
`serial_space`/`start`/`end` columns (so an overlap check is an index lookup).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so a migration can name what it creates or drops.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(128)
STATE = String(32)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time stored in UTC and always read back time-zone aware.

    SQLite keeps no zone, so a naive value would silently change meaning; it is
    refused instead of guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the ledger stores aware datetimes only, got naive {value.isoformat()}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class TransferRow(Base):
    """One transfer: the request's fields, the block it moves, where it stands."""

    __tablename__ = "transfers"

    transfer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    source_registry_id: Mapped[str] = mapped_column(ID)
    source_account_id: Mapped[str] = mapped_column(ID)
    destination_registry_id: Mapped[str] = mapped_column(ID)
    destination_account_id: Mapped[str] = mapped_column(ID)
    serial: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(STATE, index=True)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (
        # The listing order, so a page is an index range scan.
        Index("ix_transfers_created_at_transfer_id", "created_at", "transfer_id"),
        Index("ix_transfers_source", "source_registry_id", "source_account_id"),
        Index("ix_transfers_destination", "destination_registry_id", "destination_account_id"),
        Index("ix_transfers_serial_range", "serial_space", "start", "end"),
    )


class TransferEventRow(Base):
    """One state change of a transfer, appended and never rewritten: the audit trail."""

    __tablename__ = "transfer_events"

    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(STATE)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)


class ReservationRow(Base):
    """Serials held for a transfer in flight; at most one per transfer, none overlapping."""

    __tablename__ = "serial_reservations"

    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), primary_key=True)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_registry_id: Mapped[str] = mapped_column(ID)
    source_account_id: Mapped[str] = mapped_column(ID)
    reserved_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_serial_reservations_range", "serial_space", "start", "end", unique=True),)


class LocationRow(Base):
    """Where a tracked range of serials lives now, and the settled transfer that put it there.

    Rows never overlap: settling a transfer trims the older rows it covers.
    """

    __tablename__ = "serial_locations"

    location_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)
    registry_id: Mapped[str] = mapped_column(ID)
    account_id: Mapped[str] = mapped_column(ID)
    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), index=True)
    settled_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_serial_locations_range", "serial_space", "start", "end", unique=True),)


def _refuse_overlaps(table: Table) -> None:
    """Let PostgreSQL itself refuse two overlapping ranges of one serial space, whatever the timing.

    SQLite has no such constraint; there the ledger checks inside a write-locked
    transaction instead.
    """
    table.append_constraint(
        ExcludeConstraint(
            (table.c.serial_space, "="),
            (func.int8range(table.c.start, table.c.end, literal_column("'[]'")), "&&"),
            name=f"ex_{table.name}_overlap",
            using="gist",
        ).ddl_if(dialect="postgresql")
    )


_refuse_overlaps(Base.metadata.tables["serial_reservations"])
_refuse_overlaps(Base.metadata.tables["serial_locations"])


class SettlementLogRow(Base):
    """One leaf of the append-only settlement log: the canonical bytes of one settled transfer.

    Leaves are numbered densely from 0 in settlement order; the Merkle tree over them
    is what gets anchored, so a row here is never updated or deleted.
    """

    __tablename__ = "settlement_log"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), unique=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)
    appended_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AnchorRow(Base):
    """One tree head committed to the chain: sent first, final after enough confirmations."""

    __tablename__ = "anchors"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(66))
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract_address: Mapped[str] = mapped_column(String(42))
    tx_hash: Mapped[str] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    final_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
