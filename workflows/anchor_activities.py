"""AnchorActivities: read the settlement log, commit its tree head to the chain, wait for finality.

Sending goes through `ledger_anchor.journal`: the signed transaction is stored
before it is sent and the same bytes are re-sent on retry, so a crash between
sending and recording never anchors twice or skips a head.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from temporalio import activity
from web3 import Web3

from ledger import AnchorEntry, Ledger
from ledger_anchor import chain
from ledger_anchor.chain import GatewaySigner
from ledger_anchor.journal import AnchorJournal, submit_anchor
from ledger_anchor.merkle import TreeHasher, leaf_hash


class TreeHead(BaseModel):
    size: int
    root: str  # 0x-prefixed hex


class AnchorTarget(BaseModel):
    """What to anchor this run: at most `batch_size` new settlements on top of the last head."""

    batch_size: int
    confirmations: int


class ChainLink:
    """Everything needed to reach the anchor contract; `lock` serialises use of a non-thread-safe provider."""

    def __init__(self, w3: Web3, signer: GatewaySigner, contract_address: str, journal_path: Path) -> None:
        self.w3 = w3
        self.signer = signer
        self.contract_address = contract_address
        self.journal = AnchorJournal(journal_path)
        self.lock = threading.Lock()


class NotYetFinal(Exception):
    """Raised until an anchor has its confirmations; Temporal retries it on an interval."""


def tree_of(leaves: list[bytes]) -> TreeHasher:
    return TreeHasher([leaf_hash(leaf) for leaf in leaves])


class AnchorActivities:
    def __init__(self, ledger: Ledger, link: ChainLink) -> None:
        self._ledger = ledger
        self._link = link

    @activity.defn
    def next_head(self, target: AnchorTarget) -> TreeHead | None:
        """The head to commit: an unfinished earlier one first, else the log's newest (capped)."""
        anchors = self._ledger.anchors()
        pending = next((a for a in anchors if not a.final), None)
        if pending is not None:
            return TreeHead(size=pending.tree_size, root=pending.root)
        last = max((a.tree_size for a in anchors), default=0)
        size = min(self._ledger.log_size(), last + target.batch_size)
        if size <= last:
            return None
        root = tree_of(self._ledger.log_leaves(size)).root(size)
        return TreeHead(size=size, root="0x" + root.hex())

    @activity.defn
    def send(self, head: TreeHead) -> str:
        """Sign once, journal, send (the same bytes on every retry), and record in the ledger."""
        link = self._link
        with link.lock:
            signed = submit_anchor(
                link.w3,
                link.signer,
                link.contract_address,
                head.size,
                bytes.fromhex(head.root[2:]),
                link.journal,
            )
        self._ledger.record_anchor(
            AnchorEntry(
                tree_size=head.size,
                root=head.root,
                chain_id=signed.chain_id,
                contract_address=signed.contract_address,
                tx_hash=signed.tx_hash,
                sent_at=datetime.now(UTC),
            )
        )
        return signed.tx_hash

    @activity.defn
    def confirm(self, head: TreeHead, confirmations: int) -> list[str]:
        """Finalise the head once its transaction has `confirmations` blocks on the same chain."""
        anchor = next(a for a in self._ledger.anchors() if a.tree_size == head.size)
        with self._link.lock:
            seen = chain.confirmations(self._link.w3, anchor.tx_hash)
            record = chain.read_anchor(self._link.w3, self._link.contract_address, head.size)
        if seen < confirmations:
            raise NotYetFinal(f"anchor of size {head.size} has {seen} of {confirmations} confirmations")
        if record is None or record.root.lower() != head.root.lower():
            raise RuntimeError(f"the contract does not hold root {head.root} for size {head.size}")
        return self._ledger.finalise_anchor(head.size, record.block_number, datetime.now(UTC))
