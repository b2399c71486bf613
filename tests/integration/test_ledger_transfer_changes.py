"""A write that adds to a transfer's history wakes this process's watchers of that transfer, once it commits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.transfers import TransferState
from ledger import Ledger
from ledger.transfer_changes import note_changed
from tests.faults.harness import until
from tests.integration.ledger_samples import BACKENDS, later, open_ledger, running_cluster, transfer
from tests.postgres_cluster import ThrowawayCluster

# Long enough that a wake-up never comes from the time running out on a loaded machine.
NEVER_S = 60.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    yield from open_ledger(str(request.param), tmp_path, request)


async def test_a_step_committed_on_a_writer_thread_wakes_its_watcher(ledger: Ledger):
    await asyncio.to_thread(ledger.record_received, transfer("t-woken"))
    with ledger.changes.watching("t-woken") as wake, ledger.changes.watching("t-other") as other:
        wake.clear()
        await asyncio.to_thread(ledger.advance, "t-woken", TransferState.CHECKED, later(1))
        assert await wake.wait(NEVER_S)
        assert not await other.wait(0.05)  # a watcher of another transfer sleeps on
        wake.clear()
        assert not await wake.wait(0.05)  # cleared: nothing new, no wake


async def test_a_write_rolled_back_wakes_no_one(ledger: Ledger):
    def noted_then_rolled_back() -> None:
        with pytest.raises(RuntimeError), ledger._writing.begin() as session:
            note_changed(session, "t-refused")
            raise RuntimeError("rolled back")

    with ledger.changes.watching("t-refused") as wake:
        await asyncio.to_thread(noted_then_rolled_back)
        assert not await wake.wait(0.05)


async def test_a_watch_ended_leaves_nothing_behind(ledger: Ledger):
    await asyncio.to_thread(ledger.record_received, transfer("t-left"))
    with ledger.changes.watching("t-left"):
        pass
    await asyncio.to_thread(ledger.advance, "t-left", TransferState.CHECKED, later(1))  # no one to ring
    with ledger.changes.watching("t-left") as wake:
        assert not await wake.wait(0.05)  # a new watch hears only what commits after it began


@pytest.fixture
def two_processes(cluster: ThrowawayCluster) -> Iterator[tuple[Ledger, Ledger]]:
    """Two ledgers on one PostgreSQL database, each with its own watchers, as two processes have."""
    url = cluster.create_database()
    with Ledger.open(url) as serving, Ledger.open(url) as working:
        serving.changes.listen_to_commits(url)
        yield serving, working


@pytest.mark.postgres
async def test_postgresql_tells_another_process_of_a_commit_and_not_of_a_rollback(two_processes):
    serving, working = two_processes
    listener = serving.changes._listener
    assert listener is not None
    await asyncio.to_thread(listener.listening.wait, NEVER_S)
    assert serving.changes.heard_from_all_writers()
    await asyncio.to_thread(working.record_received, transfer("t-elsewhere"))
    with serving.changes.watching("t-elsewhere") as wake:
        wake.clear()
        await asyncio.to_thread(working.advance, "t-elsewhere", TransferState.CHECKED, later(1))
        assert await wake.wait(NEVER_S)

    def noted_then_rolled_back() -> None:
        with pytest.raises(RuntimeError), working._writing.begin() as session:
            note_changed(session, "t-never")
            raise RuntimeError("rolled back")

    with serving.changes.watching("t-never") as never, serving.changes.watching("t-after") as after:
        await asyncio.to_thread(noted_then_rolled_back)
        await asyncio.to_thread(working.record_received, transfer("t-after"))
        # PostgreSQL delivers notifications in commit order: had the rollback sent one, it came first.
        assert await after.wait(NEVER_S)
        assert not await never.wait(0)


def test_sqlite_has_no_one_to_tell_other_processes(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        ledger.changes.listen_to_commits(url)
        assert not ledger.changes.heard_from_all_writers()  # its watchers poll
        ledger.changes.writers_here = True
        assert ledger.changes.heard_from_all_writers()


@pytest.mark.postgres
async def test_a_listening_process_is_woken_once_by_its_own_commit(cluster: ThrowawayCluster):
    """Its commit comes back through PostgreSQL, so it does not ring its watchers a second time itself."""
    url = cluster.create_database()
    with Ledger.open(url) as ledger:
        changes = ledger.changes
        changes.listen_to_commits(url)
        assert changes._listener is not None
        await asyncio.to_thread(changes._listener.listening.wait, NEVER_S)
        rung: list[str] = []
        ring = changes.ring

        def counted(transfer_id: str) -> None:
            rung.append(transfer_id)
            ring(transfer_id)

        changes.ring = counted  # type: ignore[method-assign]
        await asyncio.to_thread(ledger.record_received, transfer("t-once"))
        with changes.watching("t-once") as wake:
            wake.clear()
            await asyncio.to_thread(ledger.advance, "t-once", TransferState.CHECKED, later(1))
            assert await wake.wait(NEVER_S)
        # Notifications arrive in commit order, so once one from another process's later commit has,
        # every notification of ours has too (a second wake-up of ours included).
        with Ledger.open(url) as elsewhere:
            await asyncio.to_thread(elsewhere.record_received, transfer("t-elsewhere"))

        async def heard() -> bool:
            return "t-elsewhere" in rung

        await until(heard, NEVER_S, "the other process's notification")
        assert rung == ["t-once", "t-once", "t-elsewhere"]  # one wake-up per commit, none twice
