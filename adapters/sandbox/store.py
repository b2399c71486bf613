"""The sandbox's own persistent state: one SQLite file holding every registry's book.

A restart on the same file keeps accounts, holdings, lock, credit and retire keys
(each retirement with its beneficiary and reason), the stored replies that make
every mutating call idempotent, and what holders did in the evidence-based
registries (the text the gateway reads back as evidence). SQLite runs in WAL mode;
all use of the one connection goes through one in-process lock, and writes take
`BEGIN IMMEDIATE` so a second process on the same file waits instead of racing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from adapters.base import AccountState
from adapters.sandbox.wire import KeyState, Operation
from domain.serials import SerialBlock
from domain.units import UnitStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS holdings (
    row_id INTEGER PRIMARY KEY AUTOINCREMENT,
    registry_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    serial_space TEXT NOT NULL,
    first_unit INTEGER NOT NULL,
    last_unit INTEGER NOT NULL,
    block TEXT NOT NULL,
    status TEXT NOT NULL,
    op_key TEXT
);
CREATE INDEX IF NOT EXISTS holdings_by_space ON holdings (registry_id, serial_space, first_unit);
CREATE INDEX IF NOT EXISTS holdings_by_key ON holdings (registry_id, op_key);
CREATE TABLE IF NOT EXISTS operation_keys (
    registry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    account_id TEXT,
    block TEXT,
    PRIMARY KEY (registry_id, kind, key)
);
CREATE TABLE IF NOT EXISTS retirements (
    registry_id TEXT NOT NULL,
    key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    block TEXT NOT NULL,
    beneficiary TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (registry_id, key)
);
CREATE TABLE IF NOT EXISTS idempotency (
    registry_id TEXT NOT NULL,
    key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (registry_id, key, operation)
);
CREATE TABLE IF NOT EXISTS holder_actions (
    op_key TEXT PRIMARY KEY,
    registry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    block TEXT NOT NULL,
    details TEXT NOT NULL,
    beneficiary TEXT,
    reason TEXT,
    acted_at TEXT NOT NULL
);
"""

_ACCOUNTS_TABLE = """
CREATE TABLE accounts (
    registry_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (registry_id, account_id)
)
"""
# A file written before accounts were recorded: whoever held units there had an account.
_ACCOUNTS_FROM_HOLDINGS = """
INSERT INTO accounts (registry_id, account_id, state)
    SELECT DISTINCT registry_id, account_id, 'open' FROM holdings
"""

_HOLDING_COLUMNS = "row_id, registry_id, account_id, block, status, op_key"


@dataclass(frozen=True)
class HoldingRow:
    """A block of units in one account. `op_key` names the operation that last shaped the row."""

    row_id: int
    registry_id: str
    account_id: str
    block: SerialBlock
    status: UnitStatus
    op_key: str | None


@dataclass(frozen=True)
class KeyRecord:
    """What a lock, credit or retire key did, kept after the units move on (release, finalise, reverse)."""

    registry_id: str
    kind: str  # "lock", "credit" or "retire": keys of different kinds may share a name
    key: str
    state: KeyState
    account_id: str | None
    block: SerialBlock | None


@dataclass(frozen=True)
class RetirementRow:
    """A retirement through the registry's write API: the retired rows carry `key` as their op_key."""

    registry_id: str
    key: str
    account_id: str
    block: SerialBlock
    beneficiary: str
    reason: str


@dataclass(frozen=True)
class HolderActionRow:
    """One thing a holder did in a registry's own web app; holdings rows it shaped carry `op_key`."""

    op_key: str
    registry_id: str
    kind: str  # "immobilise", "retire" or "release"
    account_id: str
    block: SerialBlock
    details: str
    beneficiary: str | None
    reason: str | None
    acted_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class StoredReply:
    request_hash: str
    status_code: int
    response: str


def _holding(row: sqlite3.Row) -> HoldingRow:
    return HoldingRow(
        row_id=row["row_id"],
        registry_id=row["registry_id"],
        account_id=row["account_id"],
        block=SerialBlock.model_validate_json(row["block"]),
        status=UnitStatus(row["status"]),
        op_key=row["op_key"],
    )


class StoreTx:
    """Reads and writes inside one transaction; obtained from `SandboxStore.writing()`/`reading()`."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def account_state(self, registry_id: str, account_id: str) -> AccountState:
        row = self._db.execute(
            "SELECT state FROM accounts WHERE registry_id = ? AND account_id = ?", (registry_id, account_id)
        ).fetchone()
        return AccountState.UNKNOWN if row is None else AccountState(row["state"])

    def put_account(self, registry_id: str, account_id: str, state: AccountState) -> None:
        self._db.execute(
            "INSERT INTO accounts (registry_id, account_id, state) VALUES (?, ?, ?)"
            " ON CONFLICT (registry_id, account_id) DO UPDATE SET state = excluded.state",
            (registry_id, account_id, state.value),
        )

    def open_if_absent(self, registry_id: str, account_id: str) -> None:
        """Open the account unless it exists (a blocked account stays blocked)."""
        self._db.execute(
            "INSERT OR IGNORE INTO accounts (registry_id, account_id, state) VALUES (?, ?, ?)",
            (registry_id, account_id, AccountState.OPEN.value),
        )

    def holdings(self, registry_id: str, account_id: str | None = None) -> list[HoldingRow]:
        sql = f"SELECT {_HOLDING_COLUMNS} FROM holdings WHERE registry_id = ?"
        params: tuple[str, ...] = (registry_id,)
        if account_id is not None:
            sql += " AND account_id = ?"
            params += (account_id,)
        rows = self._db.execute(sql + " ORDER BY serial_space, first_unit, row_id", params)
        return [_holding(row) for row in rows]

    def overlapping(self, registry_id: str, block: SerialBlock) -> list[HoldingRow]:
        rows = self._db.execute(
            f"SELECT {_HOLDING_COLUMNS} FROM holdings WHERE registry_id = ? AND serial_space = ?"
            " AND first_unit <= ? AND last_unit >= ? ORDER BY first_unit, row_id",
            (registry_id, block.serial_space, block.end, block.start),
        )
        return [_holding(row) for row in rows]

    def adjacent_or_overlapping(self, registry_id: str, block: SerialBlock) -> list[HoldingRow]:
        widened = block.with_range(max(block.start - 1, 0), block.end + 1)
        return self.overlapping(registry_id, widened)

    def with_key(self, registry_id: str, op_key: str, status: UnitStatus) -> list[HoldingRow]:
        rows = self._db.execute(
            f"SELECT {_HOLDING_COLUMNS} FROM holdings WHERE registry_id = ? AND op_key = ? AND status = ?",
            (registry_id, op_key, status.value),
        )
        return [_holding(row) for row in rows]

    def all_holdings(self) -> list[HoldingRow]:
        return [_holding(row) for row in self._db.execute(f"SELECT {_HOLDING_COLUMNS} FROM holdings")]

    def insert(
        self,
        registry_id: str,
        account_id: str,
        block: SerialBlock,
        status: UnitStatus,
        op_key: str | None,
    ) -> None:
        self._db.execute(
            "INSERT INTO holdings (registry_id, account_id, serial_space, first_unit, last_unit, block,"
            " status, op_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                registry_id,
                account_id,
                block.serial_space,
                block.start,
                block.end,
                block.model_dump_json(),
                status.value,
                op_key,
            ),
        )

    def delete(self, row_id: int) -> None:
        self._db.execute("DELETE FROM holdings WHERE row_id = ?", (row_id,))

    def set_status(self, row_id: int, status: UnitStatus, op_key: str | None) -> None:
        self._db.execute(
            "UPDATE holdings SET status = ?, op_key = ? WHERE row_id = ?", (status.value, op_key, row_id)
        )

    def key_record(self, registry_id: str, kind: str, key: str) -> KeyRecord | None:
        row = self._db.execute(
            "SELECT * FROM operation_keys WHERE registry_id = ? AND kind = ? AND key = ?",
            (registry_id, kind, key),
        ).fetchone()
        if row is None:
            return None
        return KeyRecord(
            registry_id=row["registry_id"],
            kind=row["kind"],
            key=row["key"],
            state=KeyState(row["state"]),
            account_id=row["account_id"],
            block=None if row["block"] is None else SerialBlock.model_validate_json(row["block"]),
        )

    def put_key_record(self, record: KeyRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO operation_keys (registry_id, kind, key, state, account_id, block)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                record.registry_id,
                record.kind,
                record.key,
                record.state.value,
                record.account_id,
                None if record.block is None else record.block.model_dump_json(),
            ),
        )

    def put_retirement(self, retirement: RetirementRow) -> None:
        self._db.execute(
            "INSERT INTO retirements (registry_id, key, account_id, block, beneficiary, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                retirement.registry_id,
                retirement.key,
                retirement.account_id,
                retirement.block.model_dump_json(),
                retirement.beneficiary,
                retirement.reason,
            ),
        )

    def retirements(self, registry_id: str, account_id: str | None = None) -> dict[str, RetirementRow]:
        """The registry's retirements (of one account, if given), by key."""
        sql = "SELECT * FROM retirements WHERE registry_id = ?"
        params: tuple[str, ...] = (registry_id,)
        if account_id is not None:
            sql += " AND account_id = ?"
            params += (account_id,)
        return {
            row["key"]: RetirementRow(
                registry_id=row["registry_id"],
                key=row["key"],
                account_id=row["account_id"],
                block=SerialBlock.model_validate_json(row["block"]),
                beneficiary=row["beneficiary"],
                reason=row["reason"],
            )
            for row in self._db.execute(sql, params)
        }

    def put_holder_action(self, action: HolderActionRow) -> None:
        self._db.execute(
            "INSERT INTO holder_actions (op_key, registry_id, kind, account_id, block, details, beneficiary,"
            " reason, acted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                action.op_key,
                action.registry_id,
                action.kind,
                action.account_id,
                action.block.model_dump_json(),
                action.details,
                action.beneficiary,
                action.reason,
                action.acted_at,
            ),
        )

    def holder_actions(self, registry_id: str) -> dict[str, HolderActionRow]:
        """Every holder action in the registry, by the op_key it left on holdings rows."""
        rows = self._db.execute("SELECT * FROM holder_actions WHERE registry_id = ?", (registry_id,))
        return {
            row["op_key"]: HolderActionRow(
                op_key=row["op_key"],
                registry_id=row["registry_id"],
                kind=row["kind"],
                account_id=row["account_id"],
                block=SerialBlock.model_validate_json(row["block"]),
                details=row["details"],
                beneficiary=row["beneficiary"],
                reason=row["reason"],
                acted_at=row["acted_at"],
            )
            for row in rows
        }

    def stored_reply(self, registry_id: str, key: str, operation: Operation) -> StoredReply | None:
        row = self._db.execute(
            "SELECT request_hash, status_code, response FROM idempotency"
            " WHERE registry_id = ? AND key = ? AND operation = ?",
            (registry_id, key, operation.value),
        ).fetchone()
        if row is None:
            return None
        return StoredReply(row["request_hash"], row["status_code"], row["response"])

    def store_reply(self, registry_id: str, key: str, operation: Operation, reply: StoredReply) -> None:
        self._db.execute(
            "INSERT INTO idempotency (registry_id, key, operation, request_hash, status_code, response)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (registry_id, key, operation.value, reply.request_hash, reply.status_code, reply.response),
        )


class SandboxStore:
    """The one SQLite file behind every registry the sandbox hosts."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(
            self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._add_accounts()

    def _add_accounts(self) -> None:
        """Create the accounts table once, opening the account of everyone who already holds units."""
        with self.writing():
            if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'accounts'").fetchone() is None:
                self._db.execute(_ACCOUNTS_TABLE)
                self._db.execute(_ACCOUNTS_FROM_HOLDINGS)

    @contextmanager
    def writing(self) -> Iterator[StoreTx]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield StoreTx(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[StoreTx]:
        """A consistent read: a deferred transaction that never writes."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield StoreTx(self._db)
            finally:
                self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()
