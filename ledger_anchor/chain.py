"""The chain client for the anchor contract: deploy, anchor a tree head, read heads back, count confirmations.

Anchoring is built for retries. The caller signs a raw transaction from a nonce
it stores, persists the bytes, then sends them; a retry re-sends the same bytes,
so a node can at worst refuse a duplicate and never anchor twice. An anchor is
final only after N confirmations, and confirmations re-check that the block
holding the transaction is still the canonical block at that height.
`tx_status` tells a caller when its bytes will never land (the node forgot them,
or they reverted) and `replacement_fees` what a same-nonce replacement must pay.

The gateway's key comes from a file or an environment variable and lives only
inside `GatewaySigner`, which never prints, logs or reprs it.
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound, Web3Exception

from domain.errors import GatewayError

ARTIFACT_PATH = Path(__file__).parent / "contract" / "anchor.json"
KEY_ENV_VAR = "CARBON_GATEWAY_ANCHOR_KEY"
# Fixed limits keep the signed bytes independent of node-side estimation. Measured:
# deploy ~222k gas; an anchor ~112k (four fresh storage slots and one log).
DEPLOY_GAS = 600_000
ANCHOR_GAS = 200_000
DEFAULT_PRIORITY_FEE = 10**9
# A same-nonce replacement must raise both fee caps: geth asks 10%, other clients 12.5%; pay 12.5%.
REPLACEMENT_BUMP = (9, 8)


class ChainError(GatewayError):
    """The chain refused or lost an operation; the message never includes key material."""

    code = "CHAIN-ERROR"


class AnchorArtifact(BaseModel):
    """The compiled contract as `scripts/build_contract.py` wrote it."""

    model_config = ConfigDict(frozen=True)

    abi: list[dict[str, Any]]
    bytecode: str
    evm_version: str
    compiler: str
    source_sha256: str


class AnchorRecord(BaseModel):
    """A tree head as the contract recorded it."""

    model_config = ConfigDict(frozen=True)

    size: int
    root: str  # 0x-prefixed hex
    block_number: int


class TxFees(BaseModel):
    """EIP-1559 fee caps signed into a transaction."""

    model_config = ConfigDict(frozen=True)

    max_fee_per_gas: int
    max_priority_fee_per_gas: int


class TxState(StrEnum):
    """What the node says about a transaction."""

    UNKNOWN = "unknown"  # not known: never sent, dropped from the pool, or its block reorganised away
    PENDING = "pending"  # known, in no canonical block yet
    MINED = "mined"  # in a canonical block, and it succeeded
    REVERTED = "reverted"  # in a canonical block, and it failed: its nonce is spent


class TxStatus(BaseModel):
    model_config = ConfigDict(frozen=True)

    state: TxState
    block_number: int | None = None
    confirmations: int = 0  # blocks on top of (and including) its block, when mined or reverted


class GatewaySigner:
    """The gateway's anchoring key. Only its address is ever shown."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @classmethod
    def from_hex(cls, key: str) -> GatewaySigner:
        try:
            return cls(Account.from_key(key.strip()))
        except Exception:
            # The original message could echo the key; say only what went wrong.
            raise ChainError("the anchoring key is not a valid secp256k1 private key") from None

    @classmethod
    def from_key_file(cls, path: Path) -> GatewaySigner:
        """Read a hex private key from `path` (surrounding whitespace ignored)."""
        try:
            text = path.read_text()
        except OSError as exc:
            raise ChainError(f"cannot read the anchoring key file {path}: {exc.strerror}") from None
        return cls.from_hex(text)

    @classmethod
    def from_env(cls, name: str = KEY_ENV_VAR) -> GatewaySigner:
        """Read a hex private key from the environment variable `name`."""
        value = os.environ.get(name)
        if not value:
            raise ChainError(f"environment variable {name} holds no anchoring key")
        return cls.from_hex(value)

    @property
    def address(self) -> ChecksumAddress:
        return self._account.address

    def sign(self, transaction: dict[str, Any]) -> bytes:
        """The raw signed bytes of `transaction`."""
        return bytes(self._account.sign_transaction(transaction).raw_transaction)

    def __repr__(self) -> str:
        return f"GatewaySigner(address={self.address})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("GatewaySigner holds a private key and is not serialisable")


@cache
def load_artifact(path: Path = ARTIFACT_PATH) -> AnchorArtifact:
    return AnchorArtifact.model_validate(json.loads(path.read_text()))


def anchor_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact().abi)


def tx_hash_of(raw: bytes) -> str:
    """The transaction hash of signed bytes: keccak-256 of the envelope, for every transaction type."""
    return "0x" + keccak(raw).hex()


def current_fees(w3: Web3) -> TxFees:
    """Fee caps that stay valid while the base fee doubles: 2 x base fee + tip."""
    base = w3.eth.get_block("latest").get("baseFeePerGas", 0)
    try:
        tip = int(w3.eth.max_priority_fee)
    except (Web3Exception, ValueError):
        tip = DEFAULT_PRIORITY_FEE
    return TxFees(max_fee_per_gas=2 * base + tip, max_priority_fee_per_gas=tip)


def replacement_fees(previous: TxFees, current: TxFees) -> TxFees:
    """Fees for a transaction replacing `previous` at the same nonce.

    Nodes accept a replacement only when both caps rise by their price bump
    (12.5% covers every client's rule); it must also pay what the chain asks now.
    """
    tip = max(_bumped(previous.max_priority_fee_per_gas), current.max_priority_fee_per_gas)
    cap = max(_bumped(previous.max_fee_per_gas), current.max_fee_per_gas, tip)
    return TxFees(max_fee_per_gas=cap, max_priority_fee_per_gas=tip)


def _bumped(fee: int) -> int:
    numerator, denominator = REPLACEMENT_BUMP
    return max(-(-fee * numerator // denominator), fee + 1)


def _envelope(w3: Web3, nonce: int, gas: int, fees: TxFees | None) -> dict[str, Any]:
    fees = fees or current_fees(w3)
    return {
        "chainId": w3.eth.chain_id,
        "nonce": nonce,
        "gas": gas,
        "maxFeePerGas": fees.max_fee_per_gas,
        "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
        "value": 0,
        "type": 2,
    }


def build_signed_deploy_tx(
    w3: Web3, signer: GatewaySigner, nonce: int, *, fees: TxFees | None = None
) -> bytes:
    """Signed bytes deploying the anchor contract with `signer` as the only account allowed to anchor."""
    factory = w3.eth.contract(abi=load_artifact().abi, bytecode=load_artifact().bytecode)
    data = factory.constructor(signer.address).data_in_transaction
    tx = _envelope(w3, nonce, DEPLOY_GAS, fees) | {"data": data}
    return signer.sign(tx)


def build_signed_anchor_tx(
    w3: Web3,
    signer: GatewaySigner,
    contract_address: str,
    size: int,
    root: bytes,
    nonce: int,
    *,
    fees: TxFees | None = None,
    gas: int = ANCHOR_GAS,
) -> bytes:
    """Signed bytes calling `anchor(size, root)`; persist them before sending, re-send them on retry."""
    if len(root) != 32:
        raise ChainError(f"a tree root is 32 bytes, not {len(root)}")
    data = anchor_contract(w3, contract_address).encode_abi("anchor", args=[size, root])
    tx = _envelope(w3, nonce, gas, fees)
    tx |= {"to": Web3.to_checksum_address(contract_address), "data": data}
    return signer.sign(tx)


def send_raw(w3: Web3, raw: bytes) -> str:
    """Send signed bytes and return their hash; re-sending bytes the node already holds is a no-op."""
    tx_hash = tx_hash_of(raw)
    try:
        w3.eth.send_raw_transaction(raw)
    except Exception as exc:  # nodes and eth-tester raise unrelated types for a refusal
        # A node refuses a duplicate (known transaction, or its nonce already used); that is success
        # exactly when the node holds this very transaction.
        if not _node_has(w3, tx_hash):
            raise ChainError(f"the node refused transaction {tx_hash}: {exc}") from exc
    return tx_hash


def wait_for_success(w3: Web3, tx_hash: str, timeout: float = 120) -> int:
    """Wait for the transaction to be mined; return its block number, or raise ChainError if it reverted."""
    receipt = w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout)
    if receipt["status"] != 1:
        raise ChainError(f"transaction {tx_hash} reverted")
    return int(receipt["blockNumber"])


def deploy(w3: Web3, signer: GatewaySigner, *, fees: TxFees | None = None) -> ChecksumAddress:
    """Deploy the anchor contract from `signer` and return its address once mined."""
    nonce = w3.eth.get_transaction_count(signer.address, "pending")
    tx_hash = send_raw(w3, build_signed_deploy_tx(w3, signer, nonce, fees=fees))
    wait_for_success(w3, tx_hash)
    address = w3.eth.get_transaction_receipt(HexBytes(tx_hash))["contractAddress"]
    if address is None:
        raise ChainError(f"deployment {tx_hash} created no contract")
    return Web3.to_checksum_address(address)


def read_anchor(w3: Web3, contract_address: str, size: int) -> AnchorRecord | None:
    """The head the contract recorded for tree `size`, or None when that size was never anchored."""
    contract = anchor_contract(w3, contract_address)
    root = bytes(contract.functions.root_at(size).call())
    if root == bytes(32):
        return None
    block = int(contract.functions.block_at(size).call())
    return AnchorRecord(size=size, root="0x" + root.hex(), block_number=block)


def latest(w3: Web3, contract_address: str) -> AnchorRecord | None:
    """The largest anchored head, or None before the first anchor."""
    size = int(anchor_contract(w3, contract_address).functions.latest_size().call())
    return read_anchor(w3, contract_address, size) if size else None


def confirmations(w3: Web3, tx_hash: str) -> int:
    """Blocks on top of (and including) the one holding `tx_hash`.

    Zero when the transaction is unknown, reverted, or its block is no longer the
    canonical block at that height (a reorganisation dropped it).
    """
    status = tx_status(w3, tx_hash)
    return status.confirmations if status.state is TxState.MINED else 0


def tx_status(w3: Web3, tx_hash: str) -> TxStatus:
    """Where `tx_hash` stands, re-checking that its block is still the canonical one at its height."""
    try:
        receipt = w3.eth.get_transaction_receipt(HexBytes(tx_hash))
    except TransactionNotFound:
        receipt = None
    if receipt is not None and receipt["blockNumber"] is not None:
        number = int(receipt["blockNumber"])
        canonical = w3.eth.get_block(number)
        if bytes(canonical["hash"]) == bytes(receipt["blockHash"]):
            state = TxState.MINED if receipt["status"] == 1 else TxState.REVERTED
            depth = int(w3.eth.block_number) - number + 1
            return TxStatus(state=state, block_number=number, confirmations=depth)
    return TxStatus(state=TxState.PENDING if _node_has(w3, tx_hash) else TxState.UNKNOWN)


def mined_nonce(w3: Web3, address: str) -> int:
    """How many of `address`'s transactions are in blocks: any nonce below it is spent."""
    return int(w3.eth.get_transaction_count(Web3.to_checksum_address(address), "latest"))


def _node_has(w3: Web3, tx_hash: str) -> bool:
    try:
        return w3.eth.get_transaction(HexBytes(tx_hash)) is not None
    except TransactionNotFound:
        return False
