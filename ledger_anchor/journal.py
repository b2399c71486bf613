"""The anchor journal: signed anchor transactions, written to disk before they are sent.

A crash between signing and sending, or a node that forgets a transaction, must
not lead to a second, different transaction for the same tree head. Each head
is signed once, with a nonce stored here, and every retry re-sends those exact
bytes; a node then either mines them once or refuses the duplicate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from web3 import Web3

from ledger_anchor.chain import (
    ChainError,
    GatewaySigner,
    TxFees,
    build_signed_anchor_tx,
    send_raw,
    tx_hash_of,
)


class SignedAnchor(BaseModel):
    """One tree head's signed anchor transaction, as persisted."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    contract_address: str
    sender: str
    size: int
    root: str  # 0x-prefixed hex
    nonce: int
    raw_tx: str  # 0x-prefixed hex of the signed bytes
    tx_hash: str

    def raw_bytes(self) -> bytes:
        return bytes.fromhex(self.raw_tx[2:])


class AnchorJournal:
    """An append-only JSON-lines file of `SignedAnchor`s, one per tree head."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[SignedAnchor]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        return [SignedAnchor.model_validate_json(line) for line in lines if line.strip()]

    def find(self, chain_id: int, contract_address: str, size: int) -> SignedAnchor | None:
        for entry in self.entries():
            if (entry.chain_id, entry.contract_address.lower(), entry.size) == (
                chain_id,
                contract_address.lower(),
                size,
            ):
                return entry
        return None

    def next_nonce(self, chain_id: int, sender: str) -> int:
        """One past the highest nonce `sender` signed here for `chain_id` (0 when none)."""
        nonces = [
            e.nonce for e in self.entries() if e.chain_id == chain_id and e.sender.lower() == sender.lower()
        ]
        return max(nonces) + 1 if nonces else 0

    def append(self, entry: SignedAnchor) -> None:
        """Append and fsync, so the bytes survive a crash before they are sent."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.write(json.dumps(entry.model_dump()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def submit_anchor(
    w3: Web3,
    signer: GatewaySigner,
    contract_address: str,
    size: int,
    root: bytes,
    journal: AnchorJournal,
    *,
    fees: TxFees | None = None,
) -> SignedAnchor:
    """Anchor (size, root) at most once: sign and journal on the first call, re-send the same bytes after.

    Safe to call again after any failure (an activity retry): it never signs a
    second transaction for a head already in the journal.
    """
    chain_id = w3.eth.chain_id
    root_hex = "0x" + root.hex()
    entry = journal.find(chain_id, contract_address, size)
    if entry is not None and entry.root != root_hex:
        raise ChainError(f"tree size {size} was already signed with root {entry.root}, not {root_hex}")
    if entry is None:
        nonce = max(
            w3.eth.get_transaction_count(signer.address, "pending"),
            journal.next_nonce(chain_id, signer.address),
        )
        raw = build_signed_anchor_tx(w3, signer, contract_address, size, root, nonce, fees=fees)
        entry = SignedAnchor(
            chain_id=chain_id,
            contract_address=Web3.to_checksum_address(contract_address),
            sender=signer.address,
            size=size,
            root=root_hex,
            nonce=nonce,
            raw_tx="0x" + raw.hex(),
            tx_hash=tx_hash_of(raw),
        )
        journal.append(entry)
    send_raw(w3, entry.raw_bytes())
    return entry
