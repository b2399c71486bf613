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

from tests.faults.harness import Batch, PostgresControl, fault_settings, outage_mid_saga, running
from tests.postgres_cluster import PostgresUnavailable, ThrowawayCluster, server_bin, throwaway_cluster

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


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

        async def outage() -> None:
            await asyncio.to_thread(database.stop)
            await asyncio.sleep(3.0)
            await asyncio.to_thread(database.start)

        await outage_mid_saga(gateway, batch, outage, after=after, logs=logs)
