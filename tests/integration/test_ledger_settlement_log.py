"""The settlement log numbers leaves densely in settlement order, without ever counting itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from domain.transfers import TransferState
from ledger import Ledger
from ledger.database import open_engine, upgrade_to_head
from tests.integration.ledger_samples import (
    BACKENDS,
    HK_B,
    VERRA_A,
    block,
    later,
    ledger_url,
    running_cluster,
    transfer,
)
from tests.postgres_cluster import ThrowawayCluster

S = TransferState


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return ledger_url(request.param, tmp_path, request)


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = open_engine(url, pool_size=20)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


def credited(ledger: Ledger, n: int) -> str:
    """Transfer `T{n}` of serials 100n+1 .. 100n+100, reserved and credited, ready to settle."""
    transfer_id = f"T{n:03d}"
    moved = block(100 * n + 1, 100 * n + 100)
    ledger.record_received(transfer(transfer_id, moved))
    ledger.reserve(transfer_id, moved, VERRA_A)
    for minute, state in enumerate((S.CHECKED, S.SOURCE_LOCKED, S.DESTINATION_CREDITED)):
        ledger.advance(transfer_id, state, later(minute))
    return transfer_id


def leaf_of(transfer_id: str) -> bytes:
    return f"leaf of {transfer_id}".encode()


def test_leaves_are_numbered_in_settlement_order_and_a_retry_keeps_its_number(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    ids = [credited(ledger, n) for n in range(3)]
    for transfer_id in reversed(ids):
        ledger.settle(transfer_id, HK_B, later(9), leaf_of(transfer_id))
    ledger.settle(ids[0], HK_B, later(9), leaf_of(ids[0]))  # a retry

    assert ledger.log_size() == 3
    assert ledger.log_leaves() == [leaf_of(t) for t in reversed(ids)]
    entries = [ledger.log_entry(t) for t in ids]
    assert [e.leaf_index if e else None for e in entries] == [2, 1, 0]
    assert ledger.log_leaves(2) == [leaf_of(ids[2]), leaf_of(ids[1])]


def test_appending_and_sizing_never_count_the_log(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    for n in range(3):
        ledger.settle(credited(ledger, n), HK_B, later(9), leaf_of(f"T{n:03d}"))
    ready = credited(ledger, 3)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lower())

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        ledger.settle(ready, HK_B, later(9), leaf_of(ready))
        assert ledger.log_size() == 4
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)

    assert any("settlement_log_size" in s for s in statements), "the counter was used"
    assert [s for s in statements if "count(" in s] == []


def test_concurrent_settlements_get_every_number_once(url: str) -> None:
    threads, ledgers = 40, [Ledger.open(url, pool_size=10) for _ in range(4)]
    try:
        ids = [credited(ledgers[0], n) for n in range(threads)]
        start = threading.Barrier(threads)

        def settle(index: int) -> None:
            start.wait(timeout=30)
            transfer_id = ids[index]
            ledgers[index % len(ledgers)].settle(transfer_id, HK_B, later(9), leaf_of(transfer_id))

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(settle, range(threads)))

        ledger = ledgers[0]
        numbers = sorted(e.leaf_index for t in ids if (e := ledger.log_entry(t)) is not None)
        assert numbers == list(range(threads))
        assert ledger.log_size() == threads
        by_number = {e.leaf_index: e.transfer_id for t in ids if (e := ledger.log_entry(t)) is not None}
        assert ledger.log_leaves() == [leaf_of(by_number[i]) for i in range(threads)]
    finally:
        for one in ledgers:
            one.close()
