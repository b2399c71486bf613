"""Which transfers' histories grew, told to this process's watchers once the write commits.

A `WatchTransfer` stream otherwise polls the ledger several times a second for every
transfer it follows; hundreds of watchers make that most of the ledger's reads. Writes
made in this process (the saga's steps when the worker runs here) wake the watchers of
the transfers they touched instead. Writes from other processes are not heard: their
watchers still poll, which is why a wake-up is a hint and never the only way to learn.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy.orm import Session

_CHANGED = "transfers_changed"


def note_changed(session: Session, transfer_id: str) -> None:
    """Record, in the write session, that `transfer_id` gained an event."""
    session.info.setdefault(_CHANGED, set()).add(transfer_id)


class Wake:
    """One watcher's alarm: set when a commit in this process touched its transfer."""

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
        with suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout_s)
        return self._event.is_set()


class TransferChanges:
    """Watchers by transfer id; writers (on any thread) ring them after their transaction commits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakes: dict[str, set[Wake]] = {}

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
        """After `session` committed: ring the watchers of every transfer it noted."""
        changed = session.info.pop(_CHANGED, None)
        if not changed:
            return
        with self._lock:
            wakes = [wake for tid in changed for wake in self._wakes.get(tid, ())]
        for wake in wakes:
            wake.ring()
