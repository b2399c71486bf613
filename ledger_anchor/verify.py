"""Offline verification of a settlement receipt: the receipt and a chain, nothing of the gateway's.

A regulator or counterparty holding a receipt must be able to check it without
trusting the gateway: recompute the root from the leaf and its inclusion proof,
read the head the contract recorded for that tree size, check the anchoring
transaction really logged it, and that enough blocks sit on top of it.
Every refusal names its reason, in the order the checks run.
"""

from __future__ import annotations

from pathlib import Path

from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict, ValidationError
from web3 import HTTPProvider, Web3
from web3.exceptions import TransactionNotFound

from ledger_anchor.chain import anchor_contract, confirmations, read_anchor
from ledger_anchor.merkle import ProofError, leaf_hash, root_from_inclusion_proof
from ledger_anchor.receipt import SettlementReceipt

RPC_TIMEOUT_SECONDS = 15


class Verdict(BaseModel):
    """Yes or no, and why."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    reason: str


def _no(reason: str) -> Verdict:
    return Verdict(ok=False, reason=reason)


def check_proof(receipt: SettlementReceipt) -> Verdict:
    """The leaf and inclusion proof lead to the receipt's root (no chain needed)."""
    try:
        computed = root_from_inclusion_proof(
            leaf_hash(receipt.leaf_bytes()), receipt.leaf_index, receipt.tree_size, receipt.proof_bytes()
        )
    except ProofError as exc:
        return _no(
            f"the inclusion proof does not fit leaf {receipt.leaf_index} "
            f"of a tree of size {receipt.tree_size}: {exc}"
        )
    if computed != receipt.root_bytes():
        return _no(f"the inclusion proof leads to root 0x{computed.hex()}, not the receipt's {receipt.root}")
    return Verdict(ok=True, reason=f"leaf {receipt.leaf_index} is in the tree of size {receipt.tree_size}")


def check_anchor(receipt: SettlementReceipt, w3: Web3) -> Verdict:
    """The contract recorded the receipt's root for its tree size, in the receipt's transaction."""
    chain_id = int(w3.eth.chain_id)
    if chain_id != receipt.chain_id:
        return _no(f"the node serves chain {chain_id}, the receipt names chain {receipt.chain_id}")
    address = Web3.to_checksum_address(receipt.contract_address)
    if not w3.eth.get_code(address):
        return _no(f"there is no contract at {address}")
    record = read_anchor(w3, address, receipt.tree_size)
    if record is None:
        return _no(f"tree size {receipt.tree_size} was never anchored in {address}")
    if record.root != receipt.root:
        return _no(
            f"{address} records root {record.root} for tree size {receipt.tree_size}, "
            f"not the receipt's root {receipt.root}"
        )
    if record.block_number != receipt.anchor_block_number:
        return _no(
            f"tree size {receipt.tree_size} was anchored in block {record.block_number}, "
            f"not block {receipt.anchor_block_number}"
        )
    return _check_anchor_transaction(receipt, w3, address)


def _check_anchor_transaction(receipt: SettlementReceipt, w3: Web3, address: str) -> Verdict:
    try:
        tx_receipt = w3.eth.get_transaction_receipt(HexBytes(receipt.anchor_tx_hash))
    except TransactionNotFound:
        tx_receipt = None
    if tx_receipt is None:
        return _no(f"the chain has no transaction {receipt.anchor_tx_hash}")
    if tx_receipt["status"] != 1:
        return _no(f"transaction {receipt.anchor_tx_hash} reverted")
    if int(tx_receipt["blockNumber"]) != receipt.anchor_block_number:
        return _no(
            f"transaction {receipt.anchor_tx_hash} is in block {tx_receipt['blockNumber']}, "
            f"not block {receipt.anchor_block_number}"
        )
    events = anchor_contract(w3, address).events.Anchored().process_receipt(tx_receipt)
    anchored = {(int(e["args"]["size"]), "0x" + bytes(e["args"]["root"]).hex()) for e in events}
    if (receipt.tree_size, receipt.root) not in anchored:
        return _no(f"transaction {receipt.anchor_tx_hash} did not anchor tree size {receipt.tree_size}")
    return Verdict(ok=True, reason=f"anchored by {receipt.anchor_tx_hash}")


def verify_receipt(receipt: SettlementReceipt, w3: Web3, *, min_confirmations: int = 1) -> Verdict:
    """Check `receipt` against the chain behind `w3`; refuse with the first failing reason."""
    proof = check_proof(receipt)
    if not proof.ok:
        return proof
    try:
        anchor = check_anchor(receipt, w3)
        depth = confirmations(w3, receipt.anchor_tx_hash) if anchor.ok else 0
    except Exception as exc:  # an unreachable or misbehaving node is a "no", said plainly
        return _no(f"cannot read the chain: {exc}")
    if not anchor.ok:
        return anchor
    if depth < min_confirmations:
        return _no(
            f"the anchor has {depth} confirmation(s), {min_confirmations} required "
            f"(or its block is no longer canonical)"
        )
    return Verdict(
        ok=True,
        reason=(
            f"leaf {receipt.leaf_index} is in the tree of size {receipt.tree_size} with root {receipt.root}, "
            f"anchored in block {receipt.anchor_block_number} of chain {receipt.chain_id} "
            f"by {receipt.contract_address} ({depth} confirmation(s))"
        ),
    )


def connect(rpc_url: str) -> Web3:
    """A web3 client for any JSON-RPC node by URL."""
    return Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": RPC_TIMEOUT_SECONDS}))


def verify_receipt_file(path: Path, rpc_url: str, *, min_confirmations: int = 1) -> Verdict:
    """Read the receipt at `path` and check it against the node at `rpc_url`."""
    try:
        receipt = SettlementReceipt.read(path)
    except OSError as exc:
        return _no(f"cannot read {path}: {exc.strerror}")
    except ValidationError as exc:
        return _no(f"{path} is not a valid settlement receipt: {exc.errors()[0]['msg']}")
    return verify_receipt(receipt, connect(rpc_url), min_confirmations=min_confirmations)
