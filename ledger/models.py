"""The ledger's tables, declared once so migrations can be checked against them.

Each serial range is stored twice over: as the JSON of its `SerialBlock` (so a
block comes back with every segment its grammar needs) and as indexed
`serial_space`/`start`/`end` columns (so an overlap check is an index lookup).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    UniqueConstraint,
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
    compliance_year: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str | None] = mapped_column(ID)  # the submitting caller's organisation
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
        # One organisation's transfers in listing order: a scoped page is an index range scan too.
        Index("ix_transfers_submitted_by", "submitted_by", "created_at", "transfer_id"),
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


class LogTreeNodeRow(Base):
    """The root of one perfect subtree of the settlement log's Merkle tree (level 1 and up).

    Stored as the anchoring extends the tree, so a root or a proof reads O(log n)
    of these instead of hashing every leaf. A verifier never trusts them: a wrong
    one yields a proof that does not lead to the anchored root.
    """

    __tablename__ = "log_tree_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LogTreeFrontierRow(Base):
    """How many leaves the stored subtrees cover (one row): the tree is extended from here."""

    __tablename__ = "log_tree_frontier"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    leaves: Mapped[int] = mapped_column(BigInteger)


class SettlementLogSizeRow(Base):
    """How many leaves the settlement log holds, in one row: the next leaf's index.

    An appender bumps it in its settling transaction, so numbering a leaf costs one
    row update instead of counting the log, and on PostgreSQL the row lock is what
    queues concurrent appenders.
    """

    __tablename__ = "settlement_log_size"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    size: Mapped[int] = mapped_column(BigInteger)


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


class AnchorTransactionRow(Base):
    """One signed anchor transaction, stored before it is sent: the anchoring journal.

    A tree head gets a new attempt only when the previous one can no longer land
    (dropped, reverted, or stuck and replaced at the same nonce with a higher fee);
    `status` follows what the chain did with it. The raw bytes never change.
    """

    __tablename__ = "anchor_transactions"

    tx_hash: Mapped[str] = mapped_column(String(66), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract_address: Mapped[str] = mapped_column(String(42))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    attempt: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(66))
    sender: Mapped[str] = mapped_column(String(42))
    nonce: Mapped[int] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int] = mapped_column(BigInteger)
    max_priority_fee_per_gas: Mapped[int] = mapped_column(BigInteger)
    raw_tx: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(STATE)
    status_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint(
            "chain_id", "contract_address", "tree_size", "attempt", name="uq_anchor_transactions_attempt"
        ),
        Index("ix_anchor_transactions_sender_nonce", "chain_id", "sender", "nonce"),
    )


# The double-counting facts (compliance_rules.facts). Ranged rows keep the same pair as above:
# the block's JSON, and indexed serial_space/start/end columns for overlap lookups.


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as its text: SQLite has no decimal type and would round through float."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class SerialSpanRow(Base):
    """The longest block a table holds in each serial space.

    Issuances, authorisations, pledges and transfers may overlap each other, so
    "the last row starting before" does not find every overlap; a row can only
    overlap a block if it starts at most `longest` serials before it, which
    bounds the index seek on (serial_space, start) from both sides.
    """

    __tablename__ = "serial_spans"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)  # the table's name
    serial_space: Mapped[str] = mapped_column(Text, primary_key=True)
    longest: Mapped[int] = mapped_column(BigInteger)  # the largest end - start


class CrosswalkRow(Base):
    """A regulator's statement that two registrations are one project, stored as loaded.

    `link` is the unordered pair and period, so A ↔ B and B ↔ A are one row.
    """

    __tablename__ = "crosswalk_entries"

    link: Mapped[str] = mapped_column(Text, primary_key=True)
    programme_a: Mapped[str] = mapped_column(ID)
    project_a: Mapped[str] = mapped_column(ID)
    programme_b: Mapped[str] = mapped_column(ID)
    project_b: Mapped[str] = mapped_column(ID)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    source_reference: Mapped[str] = mapped_column(Text)
    loaded_by: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_crosswalk_entries_side_a", "programme_a", "project_a"),
        Index("ix_crosswalk_entries_side_b", "programme_b", "project_b"),
    )


class IssuanceRow(Base):
    """An issuance: one project's monitoring period and the serials issued for it."""

    __tablename__ = "issuances"

    programme: Mapped[str] = mapped_column(ID, primary_key=True)
    issuance_id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_issuances_project", "programme", "project_id", "period_start"),
        Index("ix_issuances_serial_range", "serial_space", "start", "end"),
    )


class CreditedGenerationRow(Base):
    """The electricity behind an issuance: what the plant generated and what the issuance credited."""

    __tablename__ = "credited_generation"

    programme: Mapped[str] = mapped_column(ID, primary_key=True)
    issuance_id: Mapped[str] = mapped_column(ID, primary_key=True)
    plant_id: Mapped[str] = mapped_column(ID)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    generated_mwh: Mapped[Decimal] = mapped_column(DecimalText)
    credited_mwh: Mapped[Decimal] = mapped_column(DecimalText)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_credited_generation_serial_range", "serial_space", "start", "end"),)


class GenerationCertificateRow(Base):
    """Another claim on a plant's MWh (a green electricity certificate, an I-REC, another credit)."""

    __tablename__ = "generation_certificates"

    programme: Mapped[str] = mapped_column(ID, primary_key=True)
    certificate_id: Mapped[str] = mapped_column(ID, primary_key=True)
    plant_id: Mapped[str] = mapped_column(ID)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    mwh: Mapped[Decimal] = mapped_column(DecimalText)

    __table_args__ = (Index("ix_generation_certificates_plant", "plant_id", "period_start"),)


class AuthorisationRow(Base):
    """A host Party's Article 6 authorisation: of a serial block, or of a project's vintage."""

    __tablename__ = "article6_authorisations"

    authorisation_id: Mapped[str] = mapped_column(ID, primary_key=True)
    host_party: Mapped[str] = mapped_column(String(2))
    authorised_use: Mapped[str] = mapped_column(STATE)
    cooperative_approach_id: Mapped[str] = mapped_column(ID)
    authorised_on: Mapped[date] = mapped_column(Date)
    mitigation_type: Mapped[str] = mapped_column(Text)
    serial_space: Mapped[str | None] = mapped_column(Text)
    start: Mapped[int | None] = mapped_column(BigInteger)
    end: Mapped[int | None] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    programme: Mapped[str | None] = mapped_column(ID)
    project_id: Mapped[str | None] = mapped_column(ID)
    vintage: Mapped[str | None] = mapped_column(ID)

    __table_args__ = (
        Index("ix_article6_authorisations_serial_range", "serial_space", "start", "end"),
        Index("ix_article6_authorisations_project", "programme", "project_id", "vintage"),
    )


class FirstTransferRow(Base):
    """The first transfer of authorised units out of their host, and where its adjustment stands."""

    __tablename__ = "first_transfers"

    transfer_id: Mapped[str] = mapped_column(ID, primary_key=True)
    authorisation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("article6_authorisations.authorisation_id"), index=True
    )
    host_party: Mapped[str] = mapped_column(String(2))
    acquiring_party: Mapped[str] = mapped_column(String(2))
    transferred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    adjustment: Mapped[str] = mapped_column(STATE)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_first_transfers_serial_range", "serial_space", "start", "end"),)


class AdjustmentEventRow(Base):
    """One state a first transfer's corresponding adjustment reached, appended and never rewritten."""

    __tablename__ = "corresponding_adjustment_events"

    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("first_transfers.transfer_id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(STATE)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class PledgeRow(Base):
    """Units pledged to a lender; kept after release (released_at set) as the record of the loan."""

    __tablename__ = "pledges"

    pledge_id: Mapped[str] = mapped_column(ID, primary_key=True)
    lender: Mapped[str] = mapped_column(Text)
    holder_registry_id: Mapped[str] = mapped_column(ID)
    holder_account_id: Mapped[str] = mapped_column(ID)
    pledged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the pledge ended, whichever way (`state` says which); DC-STATUS reads only unended ones.
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(STATE, server_default="active")
    loan_id: Mapped[str | None] = mapped_column(ID)
    serial: Mapped[str | None] = mapped_column(Text)  # as the lender named it (older pledges: none)
    # The one transfer the lender lets move the units (its own enforcement, or a consented sale).
    consented_transfer_id: Mapped[str | None] = mapped_column(ID)
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    block: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_pledges_serial_range", "serial_space", "start", "end"),
        Index("ix_pledges_lender", "lender", "pledged_at"),
    )


class CoveredEntityRow(Base):
    """An entity covered by an emissions trading system, as a regulator loaded it."""

    __tablename__ = "covered_entities"

    entity_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    market: Mapped[str] = mapped_column(ID)  # the ETS registry id, e.g. cn-sz-ets


class CoveredEntityAccountRow(Base):
    """An account a covered entity holds in a registry; an account belongs to one entity."""

    __tablename__ = "covered_entity_accounts"

    registry_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, ForeignKey("covered_entities.entity_id"))


class VerifiedEmissionsRow(Base):
    """A covered entity's verified emissions for one year (tCO2e): what offset caps are shares of."""

    __tablename__ = "verified_emissions"

    entity_id: Mapped[str] = mapped_column(ID, ForeignKey("covered_entities.entity_id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    tonnes: Mapped[int] = mapped_column(BigInteger)


class OffsetUseRow(Base):
    """Units a transfer uses for an entity's compliance year: reserved, then used, or released if undone."""

    __tablename__ = "offset_uses"

    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(ID, ForeignKey("covered_entities.entity_id"))
    year: Mapped[int] = mapped_column(Integer)
    programme: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(Text)  # the jurisdiction the units came from
    quantity: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(STATE)  # reserved | used | released
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_offset_uses_entity_year", "entity_id", "year"),)


class TransferJudgementRow(Base):
    """The rule packs (id@version) and rule ids a transfer was judged by, kept whatever changes later."""

    __tablename__ = "transfer_judgements"

    transfer_id: Mapped[str] = mapped_column(ID, ForeignKey("transfers.transfer_id"), primary_key=True)
    compliance_year: Mapped[int] = mapped_column(Integer)
    packs: Mapped[list[str]] = mapped_column(JSON)
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    judged_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEventRow(Base):
    """One state-changing call: who, what, when, the outcome, chained to the one before by hash.

    `hash` is SHA-256 over the previous event's hash and this event's canonical bytes,
    so changing or dropping any row breaks every hash after it. Rows are never updated
    or deleted (on PostgreSQL a trigger refuses both).
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    role: Mapped[str] = mapped_column(String(32))
    org: Mapped[str] = mapped_column(ID)
    caller: Mapped[str] = mapped_column(ID)
    method: Mapped[str] = mapped_column(ID)
    target: Mapped[str] = mapped_column(ID)
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary)
    hash: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        # A regulator's filtered page (one organisation's calls, one method's) is an index range scan.
        Index("ix_audit_events_org_seq", "org", "seq"),
        Index("ix_audit_events_method_seq", "method", "seq"),
    )


class AuditHeadRow(Base):
    """The audit log's size and last hash in one row; appenders lock it, so the chain has no forks."""

    __tablename__ = "audit_head"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    size: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class OwnerKeyRow(Base):
    """A project owner's public key for signing transfer requests from one account.

    Registered by a registry operator; rotation registers the new key and revokes
    the old one; a revoked key stays, so old signatures remain attributable.
    """

    __tablename__ = "owner_keys"

    key_id: Mapped[str] = mapped_column(ID, primary_key=True)
    registry_id: Mapped[str] = mapped_column(ID)
    account_id: Mapped[str] = mapped_column(ID)
    owner_org: Mapped[str] = mapped_column(ID)
    algorithm: Mapped[str] = mapped_column(String(32))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # DER SubjectPublicKeyInfo
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_by: Mapped[str] = mapped_column(ID)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(ID)
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_owner_keys_account", "registry_id", "account_id"),)


class SignedRequestNonceRow(Base):
    """A nonce a signed request has used, per key: a second use is a replay."""

    __tablename__ = "signed_request_nonces"

    key_id: Mapped[str] = mapped_column(ID, ForeignKey("owner_keys.key_id"), primary_key=True)
    nonce: Mapped[str] = mapped_column(ID, primary_key=True)
    transfer_id: Mapped[str] = mapped_column(ID)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountHolderRow(Base):
    """The organisation that holds an account in a registry, as the registry's operator says.

    It scopes what exchanges, banks and project owners see and which accounts an exchange
    may move units out of.
    """

    __tablename__ = "account_holders"

    registry_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    holder_org: Mapped[str] = mapped_column(ID)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(ID)

    __table_args__ = (Index("ix_account_holders_holder_org", "holder_org", "registry_id"),)


class LibraryEntryRow(Base):
    """An entry of the climate investment and financing project library."""

    __tablename__ = "library_entries"

    entry_id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    owner_entity: Mapped[str] = mapped_column(ID)
    sector: Mapped[str] = mapped_column(STATE)
    location: Mapped[str] = mapped_column(STATE)
    expected_reductions_t: Mapped[int] = mapped_column(BigInteger)
    funding_currency: Mapped[str] = mapped_column(String(3))
    funding_amount: Mapped[Decimal] = mapped_column(DecimalText)
    status: Mapped[str] = mapped_column(STATE)
    status_note: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_library_entries_created", "created_at", "entry_id"),)


class LibraryLinkRow(Base):
    """A library entry's link to a registry project."""

    __tablename__ = "library_links"

    entry_id: Mapped[str] = mapped_column(ID, ForeignKey("library_entries.entry_id"), primary_key=True)
    programme: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)

    __table_args__ = (Index("ix_library_links_project", "programme", "project_id"),)


class GreenLoanRow(Base):
    """A green loan a bank recorded."""

    __tablename__ = "green_loans"

    loan_id: Mapped[str] = mapped_column(ID, primary_key=True)
    lender: Mapped[str] = mapped_column(ID)
    borrower_entity: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    use_of_proceeds: Mapped[str] = mapped_column(Text)
    sign_date: Mapped[date] = mapped_column(Date)
    maturity_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_green_loans_lender", "lender", "created_at", "loan_id"),
        Index("ix_green_loans_borrower", "borrower_entity"),
    )


class GreenLoanTargetRow(Base):
    """What a loan finances: a library entry (`project_id` empty) or a registry project."""

    __tablename__ = "green_loan_targets"

    loan_id: Mapped[str] = mapped_column(ID, ForeignKey("green_loans.loan_id"), primary_key=True)
    entry_id: Mapped[str] = mapped_column(ID, primary_key=True)  # empty for a project
    programme: Mapped[str] = mapped_column(ID, primary_key=True)  # empty for an entry
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)  # empty for an entry

    __table_args__ = (
        Index("ix_green_loan_targets_project", "programme", "project_id"),
        Index("ix_green_loan_targets_entry", "entry_id"),
    )


class RepoRow(Base):
    """A sale with an agreed repurchase."""

    __tablename__ = "repos"

    repo_id: Mapped[str] = mapped_column(ID, primary_key=True)
    seller: Mapped[str] = mapped_column(ID)
    buyer: Mapped[str] = mapped_column(ID)
    seller_registry_id: Mapped[str] = mapped_column(ID)
    seller_account_id: Mapped[str] = mapped_column(ID)
    buyer_registry_id: Mapped[str] = mapped_column(ID)
    buyer_account_id: Mapped[str] = mapped_column(ID)
    serial: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(BigInteger)
    repurchase_quantity: Mapped[int] = mapped_column(BigInteger)
    repurchase_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(STATE)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PublicBenefitAccountRow(Base):
    """A public-benefit carbon account and the registry account backing it."""

    __tablename__ = "public_benefit_accounts"

    account_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(STATE)
    display_name: Mapped[str] = mapped_column(Text)
    private: Mapped[bool] = mapped_column(Boolean)
    holding_registry_id: Mapped[str] = mapped_column(ID)
    holding_account_id: Mapped[str] = mapped_column(ID)
    operator: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RetirementRow(Base):
    """A retirement for a public-benefit account: what was asked, where it stands."""

    __tablename__ = "retirements"

    retirement_id: Mapped[str] = mapped_column(ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID, ForeignKey("public_benefit_accounts.account_id"), index=True)
    seller_registry_id: Mapped[str | None] = mapped_column(ID)
    seller_account_id: Mapped[str | None] = mapped_column(ID)
    serial: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(STATE)
    reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    requested_by: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FinanceEventRow(Base):
    """One event for one organisation, numbered densely in commit order (see FinanceEventCounterRow)."""

    __tablename__ = "finance_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(256))
    org: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(STATE)
    subject: Mapped[str] = mapped_column(ID)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("event_id", "org"),
        Index("ix_finance_events_org", "org", "seq"),
    )


class FinanceEventCounterRow(Base):
    """The next event's number, in one row: appenders lock it, so numbers commit in order and a reader
    resuming after offset N never misses an event numbered below a later one."""

    __tablename__ = "finance_event_counter"

    singleton: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    next_seq: Mapped[int] = mapped_column(BigInteger)


class EntityRatingRow(Base):
    """A carbon-performance rating computed for an entity; a new row each time it changes."""

    __tablename__ = "entity_ratings"

    rating_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entity_id: Mapped[str] = mapped_column(ID)
    formula_version: Mapped[str] = mapped_column(STATE)
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(2))
    components: Mapped[list[str]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_entity_ratings_entity", "entity_id", "rating_id"),)


class SubscriptionRow(Base):
    """A bank's HTTP(S) endpoint for its events; `acked_seq` is the last event it acknowledged."""

    __tablename__ = "subscriptions"

    subscription_id: Mapped[str] = mapped_column(ID, primary_key=True)
    owner_org: Mapped[str] = mapped_column(ID, index=True)
    endpoint_url: Mapped[str] = mapped_column(Text)
    kinds: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(128))
    acked_seq: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeliveryRow(Base):
    """One event's delivery to one subscription: its attempts and whether it was acknowledged."""

    __tablename__ = "deliveries"

    subscription_id: Mapped[str] = mapped_column(
        ID, ForeignKey("subscriptions.subscription_id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(STATE)
    state: Mapped[str] = mapped_column(STATE)
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_deliveries_state", "subscription_id", "state", "seq"),)


class ReconciliationRow(Base):
    """One reconciliation run: who asked, the snapshot, where it stands, and its report without findings."""

    __tablename__ = "reconciliations"

    reconciliation_id: Mapped[str] = mapped_column(ID, primary_key=True)
    requested_by: Mapped[str] = mapped_column(ID)
    state: Mapped[str] = mapped_column(STATE)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    snapshot_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # ReconciliationReport without its findings

    __table_args__ = (Index("ix_reconciliations_started", "started_at", "reconciliation_id"),)


class ReconciliationFindingRow(Base):
    """One finding of a run; `fingerprint` is the same for the same discrepancy in every run."""

    __tablename__ = "reconciliation_findings"

    reconciliation_id: Mapped[str] = mapped_column(
        ID, ForeignKey("reconciliations.reconciliation_id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    code: Mapped[str] = mapped_column(STATE)
    finding: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(ID)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReviewHoldRow(Base):
    """Serials a running reconciliation reviews: transfers touching them wait until it lets go.

    `serial_space` '*' holds every serial (while the snapshot is taken). A hold
    ends with its run, or at `expires_at` should the run never end.
    """

    __tablename__ = "review_holds"

    hold_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    reconciliation_id: Mapped[str] = mapped_column(ID, ForeignKey("reconciliations.reconciliation_id"))
    serial_space: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_review_holds_range", "serial_space", "start", "end"),
        Index("ix_review_holds_run", "reconciliation_id"),
    )
