"""Engines for the ledger's two databases, and the schema migrations that open them.

SQLite is the one-machine default and PostgreSQL the one for scale; the
differences that matter for correctness live here: on SQLite, pysqlite's own
transaction handling is switched off and the ledger emits BEGIN itself, so a
write transaction can take the write lock up front (`BEGIN IMMEDIATE`) instead
of failing with "database is locked" when it upgrades from reading.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from ledger.transfer_changes import TransferChanges

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# How long a SQLite writer waits for the write lock before giving up; generous,
# because a busy gateway queues many short writers behind each other.
SQLITE_BUSY_TIMEOUT_SECONDS = 60.0

# Any constant will do: it only has to be the same for every process migrating one database.
_PG_MIGRATION_LOCK = 0x4C454447  # "LEDG"

# Execution option read by the SQLite `begin` hook: DEFERRED for readers, IMMEDIATE for writers.
SQLITE_BEGIN = "ledger_sqlite_begin"


def open_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`, with the per-dialect settings the ledger relies on."""
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size)
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take SQLite's write lock when they begin."""
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


class WriteSessions:
    """Write transactions; on SQLite, this process's writers take turns before asking for the lock.

    SQLite has one writer at a time. Threads that all ask for its lock at once are
    put to sleep by its busy handler in growing steps (up to 100 ms) and wake late
    when the lock is long free; queueing them on a Python lock first hands the
    database lock straight from one writer to the next. Other processes still wait
    in the busy handler, as before. PostgreSQL needs no turns.
    """

    def __init__(self, engine: Engine, changes: TransferChanges) -> None:
        self._sessions = sessionmaker(writer(engine), expire_on_commit=False)
        self._turns = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._changes = changes

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A write transaction; once it commits, this process's watchers of what it changed wake."""
        with self._turns or nullcontext(), self._sessions.begin() as session:
            yield session
        self._changes.committed(session)


def _sqlite_engine(url: str, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # None hands transaction control to SQLAlchemy: pysqlite would otherwise
    # begin late (only before DML) and never with IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, found through this package's path so it works when installed."""
    config = Config(str(MIGRATIONS.parent / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes open the ledger at once."""
    with writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes creating the same tables (or the extension) would race.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), "head")
