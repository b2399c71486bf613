"""The ledger's PostgreSQL server stops for a few seconds while transfers are mid-saga, then comes back.

Every ledger write in that window fails (the activity is retried by Temporal; the gRPC reads answer
errors); none may leave a transfer stuck or a unit lost, and the connection pool must come back by
itself (`pool_pre_ping`): transfers submitted after the outage settle with no traceback logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.harness import (
    Batch,
    PostgresControl,
    baseline,
    fault_settings,
    running,
    states,
    target,
    until,
)
from tests.faults.invariants import FINAL, assert_invariants, traced_records
from tests.postgres_cluster import PostgresUnavailable, ThrowawayCluster, server_bin, throwaway_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
_MOVING = frozenset(
    {transfer_pb2.TRANSFER_STATE_SOURCE_LOCKED, transfer_pb2.TRANSFER_STATE_DESTINATION_CREDITED}
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    try:
        server_bin()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    with throwaway_cluster() as made:
        yield made


@pytest.mark.timeout(150)
async def test_sagas_in_flight_finish_after_postgresql_stops_briefly(
    tmp_path: Path, cluster: ThrowawayCluster, logs: pytest.LogCaptureFixture
) -> None:
    url = cluster.create_database()
    database = PostgresControl(url)
    async with running(fault_settings(tmp_path, ledger_url=url)) as gateway:
        batch = await Batch(gateway, "pg", count=4).seed()
        after = await Batch(gateway, "pg-after", count=2).seed()
        before = await baseline(gateway)
        admin = SandboxAdmin(gateway.sandbox_url)
        # Slow registries keep the sagas mid-step long enough to be caught there.
        for registry_id in ("cn-ccer", "cn-sz-ets"):
            await admin.fail(registry_id, latency_ms=400, operations=["lock", "credit", "finalise"])
        await batch.submit()

        async def moving() -> bool:
            found = await states(gateway, batch.ids)
            return any(s in _MOVING for s in found.values()) and not all(s in FINAL for s in found.values())

        await until(moving, 30, "a transfer between its lock and its settlement")
        await asyncio.to_thread(database.stop)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(database.start)
        await admin.clear_all_faults()
        await admin.aclose()

        report = await assert_invariants(target(gateway), batch.ids, before)
        assert report.settled == sorted(batch.ids), report.state_names()

        mark = len(logs.records)
        await after.submit()
        report = await assert_invariants(target(gateway), after.ids, before, final_within_s=30)
        assert report.settled == sorted(after.ids), report.state_names()
        assert traced_records(logs.records[mark:]) == []
