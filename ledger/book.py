"""What every part of the ledger beside the transfers needs: a read session and the one write path.

`Ledger` hands each book (finance, deliveries, ratings) its own read sessions and
its `_write`, so every write still runs in one transaction, retried when
PostgreSQL aborts it for timing and re-run when a concurrent writer stored the
same id first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from domain.finance import FinanceEvent
from ledger import finance_event_rows

T = TypeVar("T")


class Writer(Protocol):
    def __call__(self, change: Callable[[Session], T]) -> T: ...


class Book:
    def __init__(self, reading: sessionmaker[Session], write: Writer) -> None:
        self._reading = reading
        self._write = write

    def _read(self, query: Callable[[Session], T]) -> T:
        with self._reading.begin() as session:
            return query(session)

    def events(
        self, org: str | None, after: int, kinds: Sequence[str] = (), limit: int = 100
    ) -> list[FinanceEvent]:
        """The event log after offset `after`, oldest first (one organisation's, or all when None)."""
        return self._read(lambda s: finance_event_rows.read(s, org, after, kinds, limit))

    def append_events(self, events: Sequence[FinanceEvent]) -> int:
        """Store the events not stored yet; how many were new (a retry appends none)."""
        return self._write(lambda s: finance_event_rows.append(s, events))
