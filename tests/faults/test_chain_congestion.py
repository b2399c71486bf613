"""The anchoring chain fills up: mining stops while another account floods the pool with transactions
that pay a higher tip, in blocks that hold few of them, so the gateway's anchor waits behind them.

Settled transfers stay SETTLED while their anchor waits (a wait is a log line, never a traceback),
then become ANCHORED once blocks come again, and their receipts and the ledger's audit verify on
the real node (npm's ganache, tests/integration/ganache_node.py).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from gateway.runtime import EmbeddedGateway
from ledger_anchor import chain
from ledger_anchor.chain import GatewaySigner
from protos.carbon.gateway.v1 import transfer_pb2
from tests.faults.harness import (
    Batch,
    baseline,
    fault_settings,
    running,
    small_block_ganache,
    states,
    target,
    until,
)
from tests.faults.invariants import SETTLED, assert_invariants, traced_records
from tests.integration.ganache_node import OTHER_KEY, OWNER_KEY, rpc

pytestmark = pytest.mark.e2e
# Just room for the contract's deployment (chain.DEPLOY_GAS): 30 plain transfers fill a block.
BLOCK_GAS_LIMIT = 650_000
FLOOD = 200  # plain transfers: about seven full blocks before the anchor's turn
GWEI = 10**9


@dataclass
class Node:
    """The ganache node, and the blocks that keep coming on it (as on a live chain) unless paused."""

    url: str
    w3: Web3
    producing: asyncio.Event
    mining: asyncio.Lock

    async def produce(self) -> None:
        while True:
            await self.producing.wait()
            async with self.mining:
                if self.producing.is_set():
                    await asyncio.to_thread(rpc, self.w3, "evm_mine")
            await asyncio.sleep(0.3)

    async def congest(self) -> int:
        """Stop mining and fill the pool from the other account; how many transactions wait."""
        async with self.mining:
            self.producing.clear()
            await asyncio.to_thread(rpc, self.w3, "miner_stop")
        return await asyncio.to_thread(self._flood)

    def _flood(self) -> int:
        other = Account.from_key(OTHER_KEY)
        nonce = self.w3.eth.get_transaction_count(other.address, "pending")
        for i in range(FLOOD):
            signed = other.sign_transaction(
                {
                    "chainId": self.w3.eth.chain_id,
                    "nonce": nonce + i,
                    "to": other.address,
                    "value": 1,
                    "gas": 21_000,
                    "maxFeePerGas": 200 * GWEI,
                    "maxPriorityFeePerGas": 5 * GWEI,
                    "type": 2,
                }
            )
            self.w3.eth.send_raw_transaction(signed.raw_transaction)
        return FLOOD

    def resume(self) -> None:
        rpc(self.w3, "miner_start")
        self.producing.set()


@pytest.fixture
def node_url() -> Iterator[str]:
    with small_block_ganache(BLOCK_GAS_LIMIT) as url:
        yield url


@pytest.fixture
async def node(node_url: str) -> AsyncIterator[Node]:
    w3 = Web3(Web3.HTTPProvider(node_url))
    made = Node(node_url, w3, asyncio.Event(), asyncio.Lock())
    made.producing.set()
    producer = asyncio.create_task(made.produce())
    yield made
    producer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await producer


@pytest.fixture
async def gateway(tmp_path: Path, node: Node) -> AsyncIterator[EmbeddedGateway]:
    contract = chain.deploy(node.w3, GatewaySigner.from_hex(OWNER_KEY))
    key = tmp_path / "anchor.key"
    key.write_text(OWNER_KEY)
    settings = fault_settings(
        tmp_path / "gateway", chain_rpc_url=node.url, anchor_contract=contract, chain_key_file=key
    )
    async with running(settings) as started:
        yield started


@pytest.mark.timeout(120)
async def test_anchors_wait_behind_a_full_pool_and_land_when_blocks_come(
    gateway: EmbeddedGateway, node: Node, logs: pytest.LogCaptureFixture
) -> None:
    early = await Batch(gateway, "chain-early", count=2).seed()
    batch = await Batch(gateway, "chain", count=3).seed()
    before = await baseline(gateway)
    await early.submit()
    await assert_invariants(target(gateway), early.ids, before)  # the chain works before it fills

    assert await node.congest() == FLOOD
    await batch.submit()

    async def all_settled() -> bool:
        return all(s in SETTLED for s in (await states(gateway, batch.ids)).values())

    await until(all_settled, 30, "the transfers settled in the ledger")
    await asyncio.sleep(4.0)  # several anchor runs find the chain full
    stuck = await states(gateway, batch.ids)
    assert set(stuck.values()) == {transfer_pb2.TRANSFER_STATE_SETTLED}, stuck
    assert await asyncio.to_thread(_pending, node.w3) > 0

    node.resume()
    await assert_invariants(target(gateway), batch.ids + early.ids, before, anchored_within_s=90)

    async def drained() -> bool:
        return await asyncio.to_thread(_pending, node.w3) == 0

    await until(drained, 15, "the flood drained")
    assert traced_records(logs.records) == []


def _pending(w3: Web3) -> int:
    """Transactions the node holds and has not mined (ganache's `txpool_content`)."""
    pool = rpc(w3, "txpool_content")
    return sum(len(by_nonce) for part in pool.values() for by_nonce in part.values())
