"""The ledger's public face: one object the workflow activities and the gRPC edge call.

Every method is one database transaction and is safe to repeat, because Temporal
retries activities: recording, advancing, reserving, releasing and settling the
same transfer twice leaves the ledger as once.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.covered_entities_csv import EntityLoad
from compliance_rules.facts import (
    Authorisation,
    CreditedGeneration,
    CrosswalkEntry,
    FirstTransfer,
    GenerationCertificate,
    IssuanceRecord,
)
from compliance_rules.offset_claims import OffsetClaim
from compliance_rules.rule_facts import ComplianceFacts, CoveredEntity
from compliance_rules.rule_judging import Judgement
from domain.audit import AuditEvent, AuditRecord, ChainBreak
from domain.errors import PreconditionFailed
from domain.serials import SerialBlock
from domain.signed_requests import OwnerKey
from domain.transfers import AccountRef, Reason, Transfer, TransferState, check_transition
from ledger import (
    account_holder_rows,
    article6_rows,
    audit_rows,
    crosswalk_rows,
    finance_facts,
    issuance_rows,
    judgement_rows,
    offset_rows,
    owner_key_rows,
    pledge_rows,
    reconciliation_book,
    serial_index,
    serial_spans,
    settlement_log,
    transfer_rows,
)
from ledger.article6_rows import AdjustmentStep
from ledger.database import WriteSessions, open_engine, upgrade_to_head
from ledger.delivery_book import DeliveryBook
from ledger.double_counting_facts import LedgerFacts
from ledger.finance_book import FinanceBook
from ledger.gauges import GaugeBook
from ledger.library_book import LibraryBook
from ledger.models import LocationRow, ReservationRow, TransferRow
from ledger.public_book import PublicBook
from ledger.rating_book import RatingBook
from ledger.reconciliation_book import ReconciliationBook
from ledger.retirement_book import RetirementBook
from ledger.settlement_log import AnchorAttempt, AnchorEntry, LogEntry
from ledger.transfer_changes import TransferChanges
from ledger.transfer_rows import TransferEvent

T = TypeVar("T")

_SETTLED = frozenset({TransferState.SETTLED, TransferState.ANCHORED})
# Final states in which the units never moved: their reservation must not outlive them.
_UNDONE = frozenset({TransferState.REJECTED, TransferState.COMPENSATED})

_UNIQUE_VIOLATION = "23505"
# PostgreSQL aborts that say nothing about the data, only about timing: try again.
_TRANSIENT = frozenset({"40001", "40P01"})
_ATTEMPTS = 5


# Past about this many tracked blocks the double-counting check on SQLite slows down measurably (its p99
# at 10 million is 2.3-6x the p99 at 10 thousand, bench/double_counting.py); PostgreSQL stays flat.
SQLITE_COMFORTABLE_BLOCKS = 1_000_000


class LogTreeReader:
    """The settlement log's leaves and stored subtree roots, read inside one transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def size(self) -> int:
        return settlement_log.size(self._session)

    def leaf(self, index: int) -> bytes:
        [leaf] = settlement_log.leaf_range(self._session, index, index + 1)
        return leaf

    def node(self, level: int, index: int) -> bytes | None:
        """The stored root of a perfect subtree, if it is stored."""
        return settlement_log.tree_node(self._session, level, index)

    def frontier(self) -> int:
        """The leaves the stored subtree roots cover."""
        return settlement_log.tree_frontier(self._session)

    def nodes(self, keys: Collection[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored roots among the perfect subtrees `keys` (level, index), read at once."""
        return settlement_log.tree_nodes_at(self._session, keys)

    def leaves(self, indices: Collection[int]) -> dict[int, bytes]:
        """The leaves at `indices`, read at once."""
        return settlement_log.leaves_at(self._session, indices)

    def leaf_range(self, start: int, end: int) -> list[bytes]:
        """Leaves [start, end) in order."""
        return settlement_log.leaf_range(self._session, start, end)


class Ledger:
    """The gateway's own record of transfers and of where every tracked serial is."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reading = sessionmaker(engine, expire_on_commit=False)
        self.changes = TransferChanges()  # this process's watchers wake when a write here commits
        self._writing = WriteSessions(engine, self.changes)
        self.finance = FinanceBook(self._reading, self._write)
        self.deliveries = DeliveryBook(self._reading, self._write)
        self.ratings = RatingBook(self._reading, self._write)
        self.library = LibraryBook(self._reading, self._write)
        self.retirements = RetirementBook(self._reading, self._write)
        self.reconciliations = ReconciliationBook(self._reading, self._write)
        self.gauges = GaugeBook(self._reading, self._write)
        self.public = PublicBook(self._reading, self._write)

    @classmethod
    def open(cls, url: str, *, pool_size: int = 10) -> Ledger:
        """Open the ledger at `url` (`sqlite:///PATH` or `postgresql+psycopg://...`), migrated to head."""
        engine = open_engine(url, pool_size=pool_size)
        try:
            upgrade_to_head(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.changes.stop_listening()
        self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # Transfers

    def record_received(self, transfer: Transfer) -> tuple[Transfer, bool]:
        """Store a new transfer; if its id is taken, the stored one and False (the caller compares)."""
        try:
            with self._writing.begin() as session:
                existing = session.get(TransferRow, transfer.transfer_id)
                if existing is not None:
                    return transfer_rows.from_row(existing), False
                transfer_rows.insert(session, transfer)
                serial_spans.widen(session, TransferRow, transfer.block)  # bounds `lineage` lookups
                return transfer, True
        except IntegrityError as exc:
            # PostgreSQL: a concurrent submit of the same id committed first.
            stored = self.get(transfer.transfer_id) if _sqlstate(exc) == _UNIQUE_VIOLATION else None
            if stored is None:
                raise
            return stored, False

    def get(self, transfer_id: str) -> Transfer | None:
        with self._reading.begin() as session:
            row = session.get(TransferRow, transfer_id)
            return None if row is None else transfer_rows.from_row(row)

    def list(
        self,
        *,
        states: set[TransferState] | None = None,
        registry_id: str | None = None,
        account_id: str | None = None,
        page_size: int = 100,
        page_token: str | None = None,
        submitted_by: str | None = None,
    ) -> tuple[builtins.list[Transfer], str | None]:
        """A page of transfers in (created_at, transfer_id) order, and the next page's token (None at end).

        `registry_id`/`account_id` match a transfer whose source or destination is there;
        `submitted_by` keeps only the transfers that organisation submitted.
        """
        if page_size <= 0:
            raise ValueError(f"page_size must be positive, got {page_size}")
        with self._reading.begin() as session:
            return transfer_rows.page(
                session,
                states=states,
                registry_id=registry_id,
                account_id=account_id,
                page_size=page_size,
                page_token_in=page_token,
                submitted_by=submitted_by,
            )

    def history(self, transfer_id: str) -> builtins.list[TransferEvent]:
        """Every state the transfer reached, oldest first (empty for an unknown transfer)."""
        with self._reading.begin() as session:
            return transfer_rows.history(session, transfer_id)

    def with_history(self, transfer_id: str) -> tuple[Transfer, builtins.list[TransferEvent]] | None:
        """The transfer and every state it reached, read together (None for an unknown transfer)."""
        with self._reading.begin() as session:
            row = session.get(TransferRow, transfer_id)
            if row is None:
                return None
            return transfer_rows.from_row(row), transfer_rows.history(session, transfer_id)

    def advance(
        self, transfer_id: str, new: TransferState, at: datetime, reasons: tuple[Reason, ...] = ()
    ) -> Transfer:
        """Move a transfer along its lifecycle; the same state again is a no-op.

        SETTLED goes through `settle` to the request's destination, so no path marks
        a transfer settled without moving its serials; REJECTED and COMPENSATED drop
        its reservation.
        """
        if new is TransferState.SETTLED:
            return self._settle(transfer_id, None, at, reasons)
        with self._writing.begin() as session:
            row = transfer_rows.locked(session, transfer_id)
            if transfer_rows.move(session, row, new, at, reasons) and new in _UNDONE:
                _drop_reservation(session, transfer_id)
            return transfer_rows.from_row(row)

    # The serial-block index

    def reserve(
        self, transfer_id: str, block: SerialBlock, source: AccountRef, claim: OffsetClaim | None = None
    ) -> None:
        """Hold `block` for the transfer, or raise DoubleCountingConflict naming who has it.

        Refused (DC-USE) when another transfer's reservation overlaps the block, or
        when a settled transfer moved any of its serials out of `source`; refused
        (DC-STATUS) when an unreleased pledge covers any of its serials; refused with
        the rule's code when the offset `claim` would take its entity past a cap. All
        checked in the transaction that reserves.
        """
        _retrying(lambda: self._reserve_once(transfer_id, block, source, claim))

    def _reserve_once(
        self, transfer_id: str, block: SerialBlock, source: AccountRef, claim: OffsetClaim | None
    ) -> None:
        with self._writing.begin() as session:
            state = TransferState(transfer_rows.locked(session, transfer_id).state)
            if state in _SETTLED:
                return  # a retry after settling: the serials already moved
            if state in _UNDONE:
                raise PreconditionFailed(f"transfer {transfer_id} is {state.value}; it reserves nothing")
            existing = serial_index.reservation_of(session, transfer_id)
            if existing is not None:
                serial_index.refuse_other_block(existing, block)
                return
            # Pledges and reservations of one serial space are decided one at a time (see
            # `serial_index.serialise_holds`), so a pledge committing meanwhile cannot slip by.
            serial_index.serialise_holds(session, block.serial_space)
            reconciliation_book.refuse_under_review(session, block, datetime.now(UTC))
            pledge_rows.refuse_pledged(session, block, transfer_id)
            serial_index.claim(session, transfer_id, block, source)
            # Checked after our reservation is in: on PostgreSQL, a settlement of these
            # serials that was committing meanwhile is now visible.
            serial_index.refuse_living_elsewhere(session, block, source)
            if claim is not None:
                offset_rows.reserve(session, claim, datetime.now(UTC))

    def release(self, transfer_id: str) -> None:
        """Drop the transfer's reservation, if it has one."""
        with self._writing.begin() as session:
            _drop_reservation(session, transfer_id)

    def settle(
        self, transfer_id: str, destination: AccountRef, at: datetime, leaf: bytes | None = None
    ) -> Transfer:
        """In one transaction: the reserved serials now live in `destination`, the transfer is SETTLED,
        and (given its canonical `leaf` bytes) it is appended to the settlement log."""
        return self._settle(transfer_id, destination, at, (), leaf)

    def _settle(
        self,
        transfer_id: str,
        destination: AccountRef | None,
        at: datetime,
        reasons: tuple[Reason, ...],
        leaf: bytes | None = None,
    ) -> Transfer:
        def once() -> Transfer:
            with self._writing.begin() as session:
                row = transfer_rows.locked(session, transfer_id)
                current = TransferState(row.state)
                if current in _SETTLED:
                    return transfer_rows.from_row(row)
                check_transition(current, TransferState.SETTLED)
                reservation = serial_index.reservation_of(session, transfer_id)
                if reservation is None:
                    raise PreconditionFailed(f"transfer {transfer_id} holds no reservation to settle")
                transfer = transfer_rows.from_row(row)
                serial_index.move_to_location(
                    session, reservation, destination or transfer.request.destination, at
                )
                transfer_rows.move(session, row, TransferState.SETTLED, at, reasons)
                offset_rows.mark(session, transfer_id, offset_rows.USED, at)
                if leaf is not None:
                    settlement_log.append(session, transfer_id, leaf, at)
                settled = transfer_rows.from_row(row)
                finance_facts.on_settled(session, settled, at)
                return settled

        return _retrying(once)

    # The settlement log and its anchors

    def log_size(self) -> int:
        with self._reading.begin() as session:
            return settlement_log.size(session)

    def log_leaves(self, upto: int | None = None) -> builtins.list[bytes]:
        """The log's leaves in order (the first `upto` of them when given)."""
        with self._reading.begin() as session:
            return settlement_log.leaves(session, upto)

    def log_leaf_range(self, start: int, end: int) -> builtins.list[bytes]:
        """Leaves [start, end) in order."""
        with self._reading.begin() as session:
            return settlement_log.leaf_range(session, start, end)

    def log_tree_frontier(self) -> int:
        """How many leaves the stored subtree roots of the log's Merkle tree cover."""
        with self._reading.begin() as session:
            return settlement_log.tree_frontier(session)

    @contextlib.contextmanager
    def log_tree_reading(self) -> Iterator[LogTreeReader]:
        """One read transaction for the many small reads of one root or proof (they would each pay for
        a transaction of their own otherwise)."""
        with self._reading.begin() as session:
            yield LogTreeReader(session)

    def log_tree_nodes(self) -> builtins.list[tuple[int, int, bytes]]:
        """Every stored subtree root of the log's Merkle tree, for the audit."""
        with self._reading.begin() as session:
            return settlement_log.tree_nodes(session)

    def extend_log_tree(self, covered: int, now_covers: int, nodes: Iterable[tuple[int, int, bytes]]) -> bool:
        """Store the subtree roots completed between two frontiers (False: another extension was first)."""
        listed = builtins.list(nodes)  # a retried transaction stores them again
        return self._write(lambda session: settlement_log.extend_tree(session, covered, now_covers, listed))

    def log_entry(self, transfer_id: str) -> LogEntry | None:
        with self._reading.begin() as session:
            return settlement_log.entry_of(session, transfer_id)

    def record_anchor(self, anchor: AnchorEntry) -> AnchorEntry:
        with self._writing.begin() as session:
            return settlement_log.record_anchor(session, anchor)

    def finalise_anchor(
        self, tree_size: int, block_number: int, at: datetime, tx_hash: str | None = None
    ) -> builtins.list[str]:
        """Mark the head final (landed by `tx_hash`); the settled transfers it covers become ANCHORED."""
        with self._writing.begin() as session:
            return settlement_log.finalise_anchor(session, tree_size, block_number, at, tx_hash)

    # The journal of signed anchor transactions (ledger_anchor.journal.AnchorJournal, in plain types)

    def journal_anchor_attempt(self, attempt: AnchorAttempt) -> AnchorAttempt:
        """Store a signed anchor transaction before it is sent; its head becomes an unfinished anchor."""
        return self._write(lambda session: settlement_log.journal_attempt(session, attempt))

    def anchor_attempts(
        self, chain_id: int, contract_address: str, tree_size: int
    ) -> builtins.list[AnchorAttempt]:
        """The head's journaled transactions, oldest first."""
        with self._reading.begin() as session:
            return settlement_log.attempts_for(session, chain_id, contract_address, tree_size)

    def mark_anchor_attempt(self, tx_hash: str, status: str, at: datetime) -> None:
        with self._writing.begin() as session:
            settlement_log.mark_attempt(session, tx_hash, status, at)

    def next_anchor_nonce(self, chain_id: int, sender: str) -> int:
        with self._reading.begin() as session:
            return settlement_log.next_nonce(session, chain_id, sender)

    def anchors(self) -> builtins.list[AnchorEntry]:
        with self._reading.begin() as session:
            return settlement_log.anchors(session)

    def latest_final_anchor(self) -> AnchorEntry | None:
        with self._reading.begin() as session:
            return settlement_log.latest_final(session)

    def outgrows_sqlite(self) -> int | None:
        """The tracked blocks of a SQLite ledger past SQLITE_COMFORTABLE_BLOCKS; None otherwise (or on PostgreSQL).

        Read from the location index's highest id (no count of the table), so it
        costs one seek at any size; settling trims rows, so it may overstate a little.
        """
        if self._engine.dialect.name != "sqlite":
            return None
        with self._reading.begin() as session:
            highest = session.scalar(select(func.max(LocationRow.location_id))) or 0
        return highest if highest > SQLITE_COMFORTABLE_BLOCKS else None

    def location_of(self, block: SerialBlock) -> builtins.list[tuple[SerialBlock, AccountRef, str]]:
        """Where the tracked parts of these serials live now, and the transfer that put each there."""
        with self._reading.begin() as session:
            return list(serial_index.locations(session, block))

    # Double-counting facts: what regulators and the workflow record, and what the checks read

    def facts(self) -> ComplianceFacts:
        """The facts the double-counting checks and the rule packs read, each lookup its own read transaction."""
        return LedgerFacts(self._reading)

    # The audit log: the access interceptor appends every state-changing call, regulators read it

    def append_audit(self, record: AuditRecord) -> AuditEvent:
        """Chain one call onto the audit log under the head's lock; each call is one more event."""
        return self._write(lambda session: audit_rows.append(session, record))

    def audit_events(
        self,
        *,
        after_seq: int = -1,
        limit: int = 100,
        method: str | None = None,
        org: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> builtins.list[AuditEvent]:
        """Up to `limit` events after `after_seq` (-1: from the first), in seq order, matching every filter.

        `since` is inclusive, `until` exclusive.
        """
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit}")
        with self._reading.begin() as session:
            return audit_rows.page(
                session,
                after_seq=after_seq,
                limit=limit,
                method=method,
                org=org,
                outcome=outcome,
                since=since,
                until=until,
            )

    def audit_head(self) -> tuple[int, bytes]:
        """(events in the log, the last event's hash): what a regulator pins to detect a rewrite later."""
        with self._reading.begin() as session:
            return audit_rows.head(session)

    def verify_audit_log(self) -> ChainBreak | None:
        """Recompute the whole chain up to the head; the first broken event, or None when it is whole."""
        with self._reading.begin() as session:
            return audit_rows.verify(session)

    # Double-counting facts, continued

    def load_crosswalk(self, entries: Iterable[CrosswalkEntry]) -> int:
        """Store the entries not stored yet, all or none; how many were new.

        The same link (either way round, same period) is stored once; with another
        source it is refused (AlreadyExists) and nothing of this load is kept.
        """
        batch = list(entries)
        return self._write(lambda session: crosswalk_rows.load(session, batch))

    def crosswalk(self) -> builtins.list[CrosswalkEntry]:
        with self._reading.begin() as session:
            return crosswalk_rows.every_entry(session)

    def record_issuance(self, record: IssuanceRecord) -> bool:
        """Store an issuance once (True when new); other content under its id is AlreadyExists.

        A new issuance is heard of, in its own transaction, by the lenders financing its project.
        """

        def record_new(session: Session) -> bool:
            added = issuance_rows.record_issuance(session, record)
            if added:
                self.library.tell_lenders_of_issuance(session, record, datetime.now(UTC))
            return added

        return self._write(record_new)

    def record_credited_generation(self, generation: CreditedGeneration) -> bool:
        return self._write(lambda session: issuance_rows.record_generation(session, generation))

    def record_generation_certificate(self, certificate: GenerationCertificate) -> bool:
        return self._write(lambda session: issuance_rows.record_certificate(session, certificate))

    def record_authorisation(self, authorisation: Authorisation) -> bool:
        return self._write(lambda session: article6_rows.record_authorisation(session, authorisation))

    def record_first_transfer(self, first: FirstTransfer) -> FirstTransfer:
        """Store the record once per transfer id; a retry gets it back with its adjustment as it stands."""
        return self._write(lambda session: article6_rows.record_first_transfer(session, first))

    def advance_adjustment(self, transfer_id: str, new_state: AdjustmentState, at: datetime) -> FirstTransfer:
        """Move a first transfer's corresponding adjustment one step forward.

        The same state again is a no-op; any other move raises IllegalTransition,
        an unknown transfer NotFound.
        """
        return self._write(
            lambda session: article6_rows.advance_adjustment(session, transfer_id, new_state, at)
        )

    def adjustment_history(self, transfer_id: str) -> builtins.list[AdjustmentStep]:
        """Every state the adjustment reached, oldest first (empty for an unknown transfer)."""
        with self._reading.begin() as session:
            return article6_rows.adjustment_history(session, transfer_id)

    def first_transfers(self) -> builtins.list[FirstTransfer]:
        """Every first-transfer record, in the order they happened (for the Article 6 report)."""
        with self._reading.begin() as session:
            return article6_rows.every_first_transfer(session)

    def record_covered_entity(self, entity: CoveredEntity, accounts: Iterable[AccountRef]) -> bool:
        """Store an entity and its accounts once; another entity's account or other details are refused.
        Its carbon-performance rating is recomputed in the same transaction."""
        held = list(accounts)

        def record(session: Session) -> bool:
            added = offset_rows.record_entity(session, entity, held)
            session.flush()
            self.ratings.recompute(session, entity.entity_id, datetime.now(UTC))
            return added

        return self._write(record)

    def record_verified_emissions(self, entity_id: str, year: int, tonnes: int) -> bool:
        """Store a year's verified emissions once; another figure for the same year is refused.
        The entity's rating is recomputed in the same transaction."""

        def record(session: Session) -> bool:
            added = offset_rows.record_emissions(session, entity_id, year, tonnes)
            session.flush()
            self.ratings.recompute(session, entity_id, datetime.now(UTC))
            return added

        return self._write(record)

    def load_covered_entities(self, loads: Iterable[EntityLoad]) -> int:
        """Store entities, accounts and emissions all or none (a CSV import); how many entities changed.
        The rating of every entity loaded is recomputed in the same transaction."""
        batch = list(loads)

        def load(session: Session) -> int:
            changed = 0
            for one in batch:
                added = offset_rows.record_entity(session, one.entity, one.accounts)
                session.flush()  # the entity row exists before its emissions refer to it
                for year, tonnes in one.verified_emissions.items():
                    added = offset_rows.record_emissions(session, one.entity.entity_id, year, tonnes) or added
                changed += added
            session.flush()
            at = datetime.now(UTC)
            for entity_id in dict.fromkeys(one.entity.entity_id for one in batch):
                self.ratings.recompute(session, entity_id, at)
            return changed

        return self._write(load)

    def record_judgement(self, transfer_id: str, judgement: Judgement, at: datetime) -> Judgement:
        """Keep the packs and rules a transfer was judged by; the first record stands (retries, pack changes)."""
        return self._write(lambda session: judgement_rows.record(session, transfer_id, judgement, at))

    def judgement(self, transfer_id: str) -> Judgement | None:
        with self._reading.begin() as session:
            return judgement_rows.of(session, transfer_id)

    # Who holds each account

    def record_account_holder(self, account: AccountRef, holder_org: str, by: str, at: datetime) -> bool:
        """Record the account's holding organisation (True); False when already recorded so."""
        return self._write(lambda session: account_holder_rows.record(session, account, holder_org, by, at))

    def account_holder(self, account: AccountRef) -> str | None:
        with self._reading.begin() as session:
            return account_holder_rows.holder_of(session, account)

    def accounts_held(self, holder_org: str, registry_id: str) -> set[str]:
        """The accounts `holder_org` holds in one registry."""
        with self._reading.begin() as session:
            return account_holder_rows.accounts_held(session, holder_org, registry_id)

    # Project owners' keys and the nonces of their signed requests

    def register_owner_key(self, key: OwnerKey) -> tuple[OwnerKey, bool]:
        """Store the key (True), or the same registration stored before (False); another account's
        key id is AlreadyExists, a revoked key PreconditionFailed."""
        return self._write(lambda session: owner_key_rows.register(session, key))

    def revoke_owner_key(self, key_id: str, by: str, at: datetime, reason: str) -> tuple[OwnerKey, bool]:
        """Revoke the key (True); False when it already was, the first revocation kept. NotFound when unknown."""
        return self._write(lambda session: owner_key_rows.revoke(session, key_id, by, at, reason))

    def owner_keys(self, account: AccountRef) -> builtins.list[OwnerKey]:
        """Every key registered for the account, revoked ones included, oldest first."""
        with self._reading.begin() as session:
            return owner_key_rows.keys_of(session, account)

    def owner_key(self, key_id: str) -> OwnerKey | None:
        with self._reading.begin() as session:
            return owner_key_rows.key(session, key_id)

    def use_nonce(
        self, key_id: str, nonce: str, transfer_id: str, expires_at: datetime, at: datetime
    ) -> bool:
        """Spend a key's nonce on `transfer_id`, exactly once (True); False when it was spent on that same
        transfer (a retry). PermissionDenied when spent on another (SIGNATURE-REPLAYED) or when the key
        was revoked meanwhile."""
        return self._write(
            lambda session: owner_key_rows.use_nonce(session, key_id, nonce, transfer_id, expires_at, at)
        )

    def _write(self, change: Callable[[Session], T]) -> T:
        """One write transaction; run again when a concurrent writer stored the same id first.

        Only PostgreSQL lets two writers race (SQLite takes the write lock up
        front); the second run finds the stored row and compares with it.
        """

        def once() -> T:
            with self._writing.begin() as session:
                return change(session)

        try:
            return _retrying(once)
        except IntegrityError as exc:
            if _sqlstate(exc) != _UNIQUE_VIOLATION:
                raise
            return _retrying(once)


def _retrying(attempt: Callable[[], T]) -> T:
    """Run `attempt`, again when PostgreSQL aborted it to break a deadlock or a serialisation conflict."""
    for _ in range(_ATTEMPTS - 1):
        try:
            return attempt()
        except DBAPIError as exc:
            if _sqlstate(exc) not in _TRANSIENT:
                raise
    return attempt()


def _drop_reservation(session: Session, transfer_id: str) -> None:
    """The serials and any offset headroom the transfer held go back."""
    session.execute(delete(ReservationRow).where(ReservationRow.transfer_id == transfer_id))
    offset_rows.mark(session, transfer_id, offset_rows.RELEASED, datetime.now(UTC))


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)
