"""The orphan sweep outlives a ledger database that goes away: a failed pass is one log line, and the
next pass runs (found by test_postgres_outage.py, where the sweep used to end for good on the first
`OperationalError` and re-raise it from the gateway's stop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from gateway.orphan_sweep import sweep_forever
from tests.faults.harness import until
from tests.faults.invariants import traced_records


class _LedgerAway:
    """A ledger whose database refuses connections for the first `down` reads, then has no open transfers."""

    def __init__(self, down: int) -> None:
        self.down = down
        self.reads = 0

    def list(self, **_: Any) -> tuple[list[Any], str | None]:
        self.reads += 1
        if self.reads <= self.down:
            raise OperationalError("SELECT ...", {}, ConnectionRefusedError("connection refused"))
        return [], None


@pytest.mark.timeout(10)
async def test_a_sweep_pass_the_database_fails_is_a_line_and_the_next_pass_runs(
    logs: pytest.LogCaptureFixture,
) -> None:
    ledger = _LedgerAway(down=2)
    sweeping = asyncio.create_task(sweep_forever(ledger, None, None, interval_s=0.01, grace_s=0))

    async def recovered() -> bool:
        return ledger.reads > 3 and not sweeping.done()

    try:
        await until(recovered, 5, "sweep passes after the database came back", every_s=0.01)
    finally:
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping
    failed = [r for r in logs.records if "orphan sweep did not finish" in r.getMessage()]
    assert len(failed) == 2 and all(r.levelno == logging.WARNING for r in failed)
    assert "connection refused" in failed[0].getMessage() and "\n" not in failed[0].getMessage()
    assert traced_records(logs.records) == []
