"""AnchorWorkflow runs end in bounded time, and a run that could not finish its head leaves it to the next.

A real Temporal dev server and worker drive the real activities against a real
ganache node whose miner is stopped, so the anchor transaction stays pending as
on a congested chain: the run re-signs it with a higher fee, gives up after its
rounds and says PENDING. Once blocks come again, the next run finishes that same
head before it anchors anything newer.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from web3 import Web3

from ledger import Ledger
from ledger_anchor import chain
from ledger_anchor.chain import GatewaySigner
from tests.integration.ganache_node import OWNER_KEY, ganache, rpc
from tests.integration.test_anchor_recovery import settle
from workflows.anchor import AnchorOutcome, AnchorStatus, AnchorWorkflow
from workflows.anchor_activities import (
    AnchorActivities,
    AnchorRecovery,
    AnchorTarget,
    ChainLink,
    LedgerAnchorJournal,
)

TEMPORAL = Path(sys.executable).parent / "temporal"
BOUNDED_S = 60


@pytest.fixture(scope="module")
async def temporal() -> AsyncIterator[Client]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter, dev_server_existing_path=str(TEMPORAL), ui=False
    )
    try:
        yield env.client
    finally:
        await env.shutdown()


async def run(client: Client, queue: str, target: AnchorTarget) -> AnchorOutcome:
    return await client.execute_workflow(
        AnchorWorkflow.run,
        target,
        id=f"anchor/{uuid.uuid4().hex}",
        task_queue=queue,
        execution_timeout=timedelta(seconds=BOUNDED_S),
    )


async def test_a_pending_head_ends_the_run_and_the_next_run_finishes_it_first(
    temporal: Client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    queue = f"anchor-{uuid.uuid4().hex}"
    with ganache() as url, Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        w3 = Web3(Web3.HTTPProvider(url))
        signer = GatewaySigner.from_hex(OWNER_KEY)
        link = ChainLink(w3, signer, chain.deploy(w3, signer), LedgerAnchorJournal(ledger))
        activities = AnchorActivities(ledger, link)
        for index in range(2):
            settle(ledger, index)
        worker = Worker(
            temporal,
            task_queue=queue,
            workflows=[AnchorWorkflow],
            activities=[activities.next_head, activities.send, activities.confirm],
            activity_executor=ThreadPoolExecutor(max_workers=2),
        )
        async with worker:
            rpc(w3, "miner_stop")
            hurried = AnchorRecovery(stuck_after_s=0, confirm_checks=2, rounds=2)
            pending = await run(
                temporal, queue, AnchorTarget(batch_size=100, confirmations=1, recovery=hurried)
            )

            assert pending.status is AnchorStatus.PENDING
            assert pending.head is not None and pending.head.size == 2
            assert "not mined yet" in pending.detail
            attempts = link.journal.signed_for(w3.eth.chain_id, link.contract_address, 2)
            assert len(attempts) == 2, "the second round replaced the stuck transaction"
            assert attempts[0].nonce == attempts[1].nonce
            assert attempts[1].max_fee_per_gas * 8 >= attempts[0].max_fee_per_gas * 9
            assert pending.tx_hash == attempts[1].tx_hash

            settle(ledger, 2)  # a newer head is waiting, but the unfinished one comes first
            rpc(w3, "evm_mine")
            rpc(w3, "miner_start")
            patient = AnchorTarget(
                batch_size=100, confirmations=1, recovery=AnchorRecovery(stuck_after_s=3600)
            )
            resumed = await run(temporal, queue, patient)
            newer = await run(temporal, queue, patient)
            idle = await run(temporal, queue, patient)

        assert (resumed.status, resumed.head, resumed.tx_hash) == (
            AnchorStatus.FINAL,
            pending.head,
            attempts[1].tx_hash,
        )
        assert sorted(resumed.anchored_transfers) == ["t0", "t1"]
        assert newer.status is AnchorStatus.FINAL and newer.head is not None and newer.head.size == 3
        assert newer.anchored_transfers == ["t2"]
        assert idle.status is AnchorStatus.NOTHING_TO_ANCHOR
        events = chain.anchor_contract(w3, link.contract_address).events.Anchored().get_logs(from_block=0)
        assert [int(e["args"]["size"]) for e in events] == [2, 3]
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert tracebacks == [], "waiting and re-signing are log lines, not tracebacks"
