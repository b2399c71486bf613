"""The audit log on both backends: chained in order, paged and filtered, one chain under concurrent appends,
append-only on PostgreSQL, and any tampering found by verification at the event it touched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from domain.audit import AuditRecord, verify_chain
from ledger import Ledger
from ledger.database import open_engine, upgrade_to_head
from tests.integration.ledger_samples import BACKENDS, T0, ledger_url, running_cluster
from tests.postgres_cluster import ThrowawayCluster

SUBMIT = "/carbon.gateway.v1.TransferService/SubmitTransfer"
RESOLVE = "/carbon.gateway.v1.TransferService/ResolveTransfer"


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


def record(
    n: int, *, method: str = SUBMIT, org: str = "org-a", outcome: str = "OK", **more: Any
) -> AuditRecord:
    fields = {
        "at": T0 + timedelta(minutes=n, microseconds=n),
        "role": "exchange",
        "org": org,
        "caller": f"caller-{n}",
        "method": method,
        "target": f"tr-{n}",
        "outcome": outcome,
        "reason": "" if outcome == "OK" else "ROLE-NOT-ALLOWED",
    }
    return AuditRecord.model_validate(fields | more)


def seven(ledger: Ledger) -> list[AuditRecord]:
    """Seven calls: two organisations, two methods, three of them refused."""
    records = [
        record(0),
        record(1, org="org-b"),
        record(2, method=RESOLVE, outcome="PERMISSION_DENIED"),
        record(3),
        record(4, org="org-b", method=RESOLVE, outcome="PERMISSION_DENIED"),
        record(5, org="org-b"),
        record(6, outcome="PERMISSION_DENIED"),
    ]
    for one in records:
        ledger.append_audit(one)
    return records


def raw(engine: sa.Engine, statement: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def test_events_come_back_in_order_chained_paged_and_filtered(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    assert ledger.audit_head() == (0, b"")
    records = seven(ledger)

    everything = ledger.audit_events(after_seq=-1, limit=100)
    assert [e.seq for e in everything] == list(range(7))
    assert [e.caller for e in everything] == [r.caller for r in records]
    assert [e.at for e in everything] == [r.at for r in records]  # microseconds survive the round trip
    assert verify_chain(everything) is None
    assert ledger.audit_head() == (7, everything[-1].hash)
    assert ledger.verify_audit_log() is None

    pages, after = [], -1
    while page := ledger.audit_events(after_seq=after, limit=3):
        pages.append([e.seq for e in page])
        after = page[-1].seq
    assert pages == [[0, 1, 2], [3, 4, 5], [6]]

    def seqs(**wanted: Any) -> list[int]:
        return [e.seq for e in ledger.audit_events(after_seq=-1, limit=100, **wanted)]

    assert seqs(method=RESOLVE) == [2, 4]
    assert seqs(org="org-b") == [1, 4, 5]
    assert seqs(outcome="PERMISSION_DENIED") == [2, 4, 6]
    assert seqs(org="org-b", outcome="PERMISSION_DENIED", method=RESOLVE) == [4]
    assert seqs(since=records[2].at, until=records[5].at) == [2, 3, 4]  # since inclusive, until exclusive
    assert [e.seq for e in ledger.audit_events(after_seq=1, limit=1, org="org-b")] == [4]
    assert seqs(org="org-nobody") == []


def test_concurrent_appends_make_one_chain_with_every_seq_once(url: str) -> None:
    threads, each = 24, 5
    ledgers = [Ledger.open(url, pool_size=8) for _ in range(3)]
    try:
        start = threading.Barrier(threads)

        def append(index: int) -> None:
            start.wait(timeout=30)
            for k in range(each):
                ledgers[index % len(ledgers)].append_audit(record(index * each + k))

        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(append, range(threads)))

        events = ledgers[0].audit_events(after_seq=-1, limit=1000)
        assert [e.seq for e in events] == list(range(threads * each)), "seq is dense, nothing forked"
        assert sorted(e.caller for e in events) == sorted(f"caller-{n}" for n in range(threads * each))
        assert verify_chain(events) is None
        assert ledgers[0].audit_head() == (threads * each, events[-1].hash)
        assert ledgers[0].verify_audit_log() is None
    finally:
        for one in ledgers:
            one.close()


def test_an_appender_locks_the_head_row_on_postgresql(engine: sa.Engine) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.lower().split()))

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        Ledger(engine).append_audit(record(0))
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    head_reads = [s for s in statements if s.startswith("select") and "audit_head" in s]
    assert len(head_reads) == 1
    assert head_reads[0].endswith("for update") == (engine.dialect.name == "postgresql")


@pytest.mark.postgres
def test_postgresql_refuses_to_update_or_delete_an_event(cluster: ThrowawayCluster) -> None:
    engine = open_engine(cluster.create_database())
    try:
        upgrade_to_head(engine)
        ledger = Ledger(engine)
        seven(ledger)
        before = ledger.audit_events(after_seq=-1, limit=100)
        for statement in (
            "UPDATE audit_events SET outcome = 'OK' WHERE seq = 2",
            "DELETE FROM audit_events WHERE seq = 6",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"):
                raw(engine, statement)
        assert ledger.audit_events(after_seq=-1, limit=100) == before
        assert ledger.verify_audit_log() is None
    finally:
        engine.dispose()


def _tamper(engine: sa.Engine, statement: str, **params: Any) -> None:
    """Change rows behind the gateway's back (on PostgreSQL, as the owner who can lift the trigger)."""
    if engine.dialect.name != "postgresql":
        raw(engine, statement, **params)
        return
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        connection.execute(sa.text(statement), params)
        connection.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


@pytest.mark.parametrize(
    ("statement", "broken_at", "events_alone"),
    [
        ("UPDATE audit_events SET outcome = 'OK' WHERE seq = 2", 2, 2),
        ("UPDATE audit_events SET caller = 'someone-else' WHERE seq = 4", 4, 4),
        ("UPDATE audit_events SET hash = prev_hash WHERE seq = 3", 3, 3),
        ("DELETE FROM audit_events WHERE seq = 3", 3, 3),
        ("UPDATE audit_events SET seq = seq + 100 WHERE seq = 1", 1, 1),
        # Dropping the tail leaves a whole but shorter chain: only the head (or a kept one) shows it.
        ("DELETE FROM audit_events WHERE seq = 6", 6, None),
    ],
    ids=["outcome", "caller", "hash", "dropped", "moved", "dropped-last"],
)
def test_a_tampered_log_is_found_at_the_event_touched(
    engine: sa.Engine, statement: str, broken_at: int, events_alone: int | None
) -> None:
    ledger = Ledger(engine)
    seven(ledger)
    _tamper(engine, statement)
    found = ledger.verify_audit_log()
    assert found is not None and found.seq == broken_at, found
    assert verify_chain(ledger.audit_events(after_seq=-1, limit=100)) == events_alone


def test_a_nul_is_stored_and_hashed_as_the_replacement_character(engine: sa.Engine) -> None:
    ledger = Ledger(engine)
    appended = ledger.append_audit(record(0, target="tr-\x00-1"))
    (stored,) = ledger.audit_events(after_seq=-1, limit=10)
    assert stored.target == appended.target == "tr-\ufffd-1"
    assert stored == appended
    assert ledger.verify_audit_log() is None
