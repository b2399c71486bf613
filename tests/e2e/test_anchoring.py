"""Settled transfers get anchored; their proofs verify against the chain, and tampering is caught."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from gateway import wire
from gateway.runtime import EmbeddedGateway
from gateway.settlement_proofs import audit
from ledger_anchor import chain
from ledger_anchor.merkle import verify_consistency
from ledger_anchor.receipt import SettlementReceipt
from ledger_anchor.verify import verify_receipt_file
from protos.carbon.gateway.v1 import oversight_pb2, oversight_pb2_grpc, transfer_pb2
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
ANCHORED = transfer_pb2.TRANSFER_STATE_ANCHORED


async def settle(transfers, sandbox: SandboxAdmin, account: str, serial: str, transfer_id: str) -> None:
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    await transfers.SubmitTransfer(
        transfer_pb2.SubmitTransferRequest(
            transfer_id=transfer_id,
            source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account),
            destination=transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=f"{account}-dest"),
            serial=serial,
        )
    )


async def anchored(transfers, transfer_id: str, within_s: float = 60) -> transfer_pb2.Transfer:
    """Poll until the transfer is ANCHORED (the schedule runs every second in these tests)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        found = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
        if found.state == ANCHORED:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"{transfer_id} still {found.state}"
        await asyncio.sleep(0.3)


async def receipt_file(channel, transfer_id: str, folder: Path) -> Path:
    proof = await oversight_pb2_grpc.OversightServiceStub(channel).GetSettlementProof(
        oversight_pb2.GetSettlementProofRequest(transfer_id=transfer_id)
    )
    path = folder / f"{transfer_id}.json"
    wire.receipt_from_proof(proof).write(path)
    return path


def _edited(path: Path, tmp: Path, **change: object) -> Path:
    receipt = SettlementReceipt.read(path)
    edited = tmp / f"edited-{len(list(tmp.iterdir()))}.json"
    receipt.model_copy(update=change).write(edited)
    return edited


async def test_settled_transfers_are_anchored_and_their_receipts_verify(
    gateway: EmbeddedGateway,
    channel,
    transfers,
    sandbox: SandboxAdmin,
    account,
    ccer_serial: CcerSerial,
    tmp_path,
):
    ids = [f"anchor-{account}-{i}" for i in range(3)]
    for i, transfer_id in enumerate(ids):
        await settle(
            transfers, sandbox, f"{account}-{i}", ccer_serial(i * 100 + 1, i * 100 + 50), transfer_id
        )
    for transfer_id in ids:
        await anchored(transfers, transfer_id)

    path = await receipt_file(channel, ids[0], tmp_path)
    verdict = verify_receipt_file(path, gateway.chain_url, min_confirmations=2)
    assert verdict.ok, verdict.reason

    # The CLI says yes with exit 0, using only the receipt and the chain.
    cli = Path(sys.executable).with_name("carbon-gateway")
    shown = subprocess.run(
        [cli, "verify", str(path), "--rpc", gateway.chain_url], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "yes" in shown.stdout.lower()

    receipt = SettlementReceipt.read(path)
    flipped_proof = list(receipt.inclusion_proof)
    if flipped_proof:
        first = bytearray(bytes.fromhex(flipped_proof[0][2:]))
        first[0] ^= 0x01
        flipped_proof[0] = "0x" + first.hex()
    leaf = bytearray(bytes.fromhex(receipt.leaf[2:]))
    leaf[-1] ^= 0x01
    for change in (
        {"leaf": "0x" + leaf.hex()},
        {"inclusion_proof": tuple(flipped_proof)},
        {"leaf_index": receipt.leaf_index + 1},
        {"tree_size": receipt.tree_size + 1},
    ):
        refused = verify_receipt_file(_edited(path, tmp_path, **change), gateway.chain_url)
        assert not refused.ok, change
        assert refused.reason


async def test_consistency_proofs_between_log_sizes_verify(
    channel, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    for i in range(2):
        await settle(
            transfers,
            sandbox,
            f"{account}-{i}",
            ccer_serial(1000 + i * 10, 1005 + i * 10),
            f"cons-{account}-{i}",
        )
        await anchored(transfers, f"cons-{account}-{i}")
    stub = oversight_pb2_grpc.OversightServiceStub(channel)
    latest = await stub.GetSettlementProof(
        oversight_pb2.GetSettlementProofRequest(transfer_id=f"cons-{account}-1")
    )
    proof = await stub.GetConsistencyProof(
        oversight_pb2.GetConsistencyProofRequest(from_size=1, to_size=latest.tree_size)
    )
    assert proof.to_root == latest.root
    assert verify_consistency(1, latest.tree_size, proof.from_root, proof.to_root, list(proof.proof))
    assert not verify_consistency(
        1, latest.tree_size, proof.from_root[::-1], proof.to_root, list(proof.proof)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.GetConsistencyProof(oversight_pb2.GetConsistencyProofRequest(from_size=5, to_size=2))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "to_size must be at least from_size" in (refused.value.details() or "")


async def test_the_latest_tree_head_extends_an_earlier_one(
    gateway: EmbeddedGateway, channel, transfers, sandbox: SandboxAdmin, account, ccer_serial
):
    """A client keeps a head, later asks the newest one and a consistency proof between the two."""
    stub = oversight_pb2_grpc.OversightServiceStub(channel)
    heads = []
    for i in range(2):
        transfer_id = f"head-{account}-{i}"
        await settle(
            transfers, sandbox, f"{account}-{i}", ccer_serial(2000 + i * 10, 2005 + i * 10), transfer_id
        )
        await anchored(transfers, transfer_id)
        heads.append(await stub.GetLatestTreeHead(oversight_pb2.GetLatestTreeHeadRequest()))
    old, new = heads
    assert old.tree_size < new.tree_size
    proof = await stub.GetConsistencyProof(
        oversight_pb2.GetConsistencyProofRequest(from_size=old.tree_size, to_size=new.tree_size)
    )
    assert (proof.from_root, proof.to_root) == (old.root, new.root)
    assert verify_consistency(old.tree_size, new.tree_size, old.root, new.root, list(proof.proof))
    assert not verify_consistency(old.tree_size, new.tree_size, old.root[::-1], new.root, list(proof.proof))
    # The head is the one the chain holds, where the head says.
    assert gateway.chain is not None
    assert new.contract_address.lower() == gateway.chain.contract_address.lower()
    on_chain = chain.read_anchor(gateway.chain.w3, new.contract_address, new.tree_size)
    assert on_chain is not None and on_chain.root == "0x" + new.root.hex()
    assert on_chain.block_number == new.anchor_block_number
    assert new.chain_id == gateway.chain.w3.eth.chain_id and new.anchor_tx_hash.startswith("0x")


async def test_a_changed_settled_row_is_detected(
    gateway: EmbeddedGateway, channel, transfers, sandbox: SandboxAdmin, account, ccer_serial, tmp_path
):
    transfer_id = f"tamper-{account}"
    await settle(transfers, sandbox, account, ccer_serial(1, 10), transfer_id)
    await anchored(transfers, transfer_id)
    assert gateway.ledger is not None and gateway.chain is not None
    assert not [
        f
        for f in audit(gateway.ledger, gateway.chain.w3, gateway.chain.contract_address)
        if transfer_id in f.message
    ]

    # Someone with database access rewrites who received the units.
    database = gateway.settings.resolved_ledger_url().removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE transfers SET destination_account_id = 'someone-else' WHERE transfer_id = ?",
            (transfer_id,),
        )
    try:
        path = await receipt_file(channel, transfer_id, tmp_path)
        verdict = verify_receipt_file(path, gateway.chain_url)
        assert not verdict.ok
        findings = audit(gateway.ledger, gateway.chain.w3, gateway.chain.contract_address)
        assert any(f.code == "SETTLED-ROW-CHANGED" and transfer_id in f.message for f in findings)
        cli = Path(sys.executable).with_name("carbon-gateway")
        shown = subprocess.run(
            [cli, "audit", "--ledger-url", gateway.settings.resolved_ledger_url(), "--json"],
            capture_output=True,
            text=True,
        )
        assert shown.returncode == 1, shown.stderr
        assert any(
            f["code"] == "SETTLED-ROW-CHANGED" and transfer_id in f["message"]
            for f in json.loads(shown.stdout)
        )
    finally:
        with sqlite3.connect(database) as db:
            db.execute(
                "UPDATE transfers SET destination_account_id = ? WHERE transfer_id = ?",
                (f"{account}-dest", transfer_id),
            )


async def test_an_unanchored_or_unknown_transfer_has_no_proof(channel):
    stub = oversight_pb2_grpc.OversightServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetSettlementProof(oversight_pb2.GetSettlementProofRequest(transfer_id="never-submitted"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
