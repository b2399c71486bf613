"""Which transfers' histories grew, told to this process's watchers once the write commits.

A `WatchTransfer` stream otherwise polls the ledger several times a second for every
transfer it follows; hundreds of watchers make that most of the ledger's reads. Writes
wake the watchers of the transfers they touched instead. On PostgreSQL each such write
sends a NOTIFY, which PostgreSQL delivers only when the transaction commits, and every
serving process hears every process's commits, its own included, through one listening
connection: so a commit wakes its watchers once, wherever the worker that made it runs.
On SQLite only this process's own commits ring. A wake-up is a hint, never the only way
to learn: watchers still look now and then, and poll as before while no one may be
telling them (SQLite across processes, the listener reconnecting).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

_CHANGED = "transfers_changed"
CHANNEL = "ledger_transfer_changes"
_log = logging.getLogger(__name__)


def note_changed(session: Session, transfer_id: str) -> None:
    """Record, in the write session, that `transfer_id` gained an event (on PostgreSQL, tell listeners)."""
    noted: set[str] = session.info.setdefault(_CHANGED, set())
    if transfer_id in noted:
        return
    noted.add(transfer_id)
    if session.get_bind().dialect.name == "postgresql":  # delivered when, and only if, this commits
        session.execute(text("SELECT pg_notify(:channel, :tid)"), {"channel": CHANNEL, "tid": transfer_id})


class Wake:
    """One watcher's alarm: set when a commit touched its transfer (made here, or heard from PostgreSQL)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def ring(self) -> None:
        """From any thread: wake the watcher on its own event loop (gone with its loop: nothing to wake)."""
        with suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Before each read, so a commit after the read still wakes the next wait."""
        self._event.clear()

    async def wait(self, timeout_s: float) -> bool:
        """Until rung (True) or `timeout_s` passes (False), whichever comes first."""
        # A timeout scope, not `wait_for`: no task per wait, and hundreds of watchers wait at once.
        with suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._event.wait()
        return self._event.is_set()


class TransferChanges:
    """Watchers by transfer id; writers (on any thread) ring them after their transaction commits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakes: dict[str, set[Wake]] = {}
        self.writers_here = False  # the saga's worker writes through this process's ledger (SQLite)
        self._listener: _Listener | None = None

    def heard_from_all_writers(self) -> bool:
        """Whether every saga's commit wakes this process's watchers (else they must poll)."""
        if self._listener is not None:
            return self._listener.listening.is_set()
        return self.writers_here

    def listen_to_commits(self, ledger_url: str) -> None:
        """On PostgreSQL, hear every process's commits through one LISTEN connection (a thread).

        This process's own commits then come back the same way and no longer ring directly,
        so each commit wakes its watchers once.
        """
        url = make_url(ledger_url)
        if url.get_backend_name() != "postgresql" or self._listener is not None:
            return
        self._listener = _Listener(
            url.set(drivername="postgresql").render_as_string(hide_password=False), self
        )
        self._listener.start()

    def stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None

    def ring(self, transfer_id: str) -> None:
        """Wake every watcher of `transfer_id` in this process."""
        with self._lock:
            wakes = list(self._wakes.get(transfer_id, ()))
        for wake in wakes:
            wake.ring()

    @contextmanager
    def watching(self, transfer_id: str) -> Iterator[Wake]:
        """A wake-up for `transfer_id`'s new events while the block runs (call on the event loop)."""
        wake = Wake()
        with self._lock:
            self._wakes.setdefault(transfer_id, set()).add(wake)
        try:
            yield wake
        finally:
            with self._lock:
                wakes = self._wakes.get(transfer_id)
                if wakes is not None:
                    wakes.discard(wake)
                    if not wakes:
                        del self._wakes[transfer_id]

    def committed(self, session: Session) -> None:
        """After `session` committed: ring the watchers of every transfer it noted (unless the
        listener will: PostgreSQL tells it of this commit too)."""
        noted = session.info.pop(_CHANGED, ())
        if self._listener is not None:
            return
        for transfer_id in noted:
            self.ring(transfer_id)


class _Listener:
    """A thread holding `LISTEN` on the ledger; rings watchers for each transfer another process changed.

    A lost connection (PostgreSQL restarting, say) is a log line: `listening` clears, so
    watchers poll meanwhile, and the thread connects again with a growing pause.
    """

    def __init__(self, dsn: str, changes: TransferChanges) -> None:
        self._dsn = dsn
        self._changes = changes
        self._stopping = threading.Event()
        self.listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        pause = 0.5
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    pause = 0.5
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=0.5):
                            self._changes.ring(notice.payload)
            except psycopg.Error:
                if self.listening.is_set() or pause == 0.5:
                    _log.info(
                        "not hearing other processes' ledger commits (PostgreSQL unreachable): "
                        "watchers poll meanwhile; listening again in %.1f s",
                        pause,
                    )
            self.listening.clear()
            self._stopping.wait(pause)
            pause = min(pause * 2, 10.0)
