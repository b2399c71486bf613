"""60 concurrent transfers with deliberate overlaps: the settled set never double counts a serial.

Run against the session gateway (SQLite ledger) and against a gateway whose ledger
is a throwaway PostgreSQL cluster: on both, of two transfers naming overlapping
serials exactly one settles. (Larger loads are measured in bench/, not here: the suite
must stay within its time budget on two cores.)
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request
from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.client import SETTLED, gateway_settings
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.postgres_cluster import throwaway_cluster

pytestmark = pytest.mark.e2e
PAIRS = 30  # two transfers per block: 60 in all, submitted at once
_runs = itertools.count(1)


async def run_overlapping_pairs(gateway: EmbeddedGateway) -> list[transfer_pb2.Transfer]:
    """Seed PAIRS blocks; for each, submit at once a transfer of its first 60 and one of its first 40 units."""
    run = next(_runs)
    project = 950_000 + run * 1_000
    holdings = [
        DemoHolding(
            registry_id="cn-ccer", account_id=f"race-{run}-{i}", serial=f"CCER-CN-{project + i}-2024-1-1-100"
        )
        for i in range(PAIRS)
    ]
    await post_seed(gateway.sandbox_url, seed_request(holdings, f"race-{run}"))
    destinations = [("cn-sz-ets", f"{h.account_id}-{quantity}") for h in holdings for quantity in (60, 40)]
    await open_accounts(gateway.sandbox_url, destinations)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        requests = [
            transfer_pb2.SubmitTransferRequest(
                transfer_id=f"race-{run}-{i}-{quantity}",
                source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=h.account_id),
                destination=transfer_pb2.AccountRef(
                    registry_id="cn-sz-ets", account_id=f"{h.account_id}-{quantity}"
                ),
                serial=h.serial,
                quantity=quantity,
            )
            for i, h in enumerate(holdings)
            for quantity in (60, 40)
        ]
        answers = await asyncio.gather(*(stub.SubmitTransfer(r) for r in requests), return_exceptions=True)
        accepted = []
        for r, answer in zip(requests, answers, strict=True):
            if isinstance(answer, grpc.aio.AioRpcError):
                # The other transfer of the pair already locked the block: refused at the door.
                assert answer.code() == grpc.StatusCode.FAILED_PRECONDITION, answer
                continue
            assert not isinstance(answer, BaseException), answer
            accepted.append(r.transfer_id)
        return await finals(stub, accepted)


async def finals(stub: transfer_pb2_grpc.TransferServiceStub, ids: list[str]) -> list[transfer_pb2.Transfer]:
    """Poll until every transfer is final (one loop rather than a watch per transfer)."""
    final = {
        *SETTLED,
        transfer_pb2.TRANSFER_STATE_REJECTED,
        transfer_pb2.TRANSFER_STATE_COMPENSATED,
        transfer_pb2.TRANSFER_STATE_NEEDS_INTERVENTION,
    }
    deadline = asyncio.get_running_loop().time() + 300
    while True:
        latest = await asyncio.gather(
            *(stub.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=i)) for i in ids)
        )
        if all(t.state in final for t in latest):
            return list(latest)
        assert asyncio.get_running_loop().time() < deadline, "transfers did not finish"
        await asyncio.sleep(1.0)


def assert_no_serial_settled_twice(outcomes: list[transfer_pb2.Transfer]) -> None:
    """At most one transfer of each pair settles, and at least one does; the others name a DC check."""
    assert PAIRS <= len(outcomes) <= 2 * PAIRS
    settled = [o for o in outcomes if o.state in SETTLED]
    by_block: dict[str, list[transfer_pb2.Transfer]] = {}
    for o in settled:
        by_block.setdefault(o.source.account_id, []).append(o)
    # Both transfers of a pair name units 1..40 at least: one of them may settle, never both.
    assert all(len(pair) == 1 for pair in by_block.values()), [p for p in by_block.values() if len(p) > 1]
    assert len(by_block) == PAIRS, "every pair should settle one of its two transfers"
    losers = [o for o in outcomes if o.state not in SETTLED]
    assert all(o.state == transfer_pb2.TRANSFER_STATE_REJECTED for o in losers)
    assert all(any(r.code.startswith("DC-") for r in o.reasons) for o in losers)


async def test_overlapping_transfers_race_on_sqlite(gateway: EmbeddedGateway, sandbox: SandboxAdmin):
    outcomes = await run_overlapping_pairs(gateway)
    sandbox.seeded["CCER/CCER"] += PAIRS * 100
    assert_no_serial_settled_twice(outcomes)


@pytest.fixture(scope="module")
async def postgres_gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedGateway]:
    with throwaway_cluster() as cluster:
        settings = gateway_settings(
            Path(tmp_path_factory.mktemp("pg-gateway")),
            ledger_url=cluster.create_database(),
            watch_poll_s=0.1,
            anchor_interval_s=2.0,
        )
        running = await EmbeddedGateway(settings).start()
        try:
            yield running
        finally:
            await running.stop()


async def test_overlapping_transfers_race_on_postgresql(postgres_gateway: EmbeddedGateway):
    admin = SandboxAdmin(postgres_gateway.sandbox_url)
    before = await admin.totals_by_unit_class()
    outcomes = await run_overlapping_pairs(postgres_gateway)
    after = await admin.totals_by_unit_class()
    await admin.aclose()
    assert_no_serial_settled_twice(outcomes)
    before["CCER/CCER"] += PAIRS * 100
    assert after == before, "a transfer created or lost units"
