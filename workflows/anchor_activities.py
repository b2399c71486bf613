"""AnchorActivities: read the settlement log, commit its tree head to the chain, wait for finality.

Sending goes through `ledger_anchor.journal`: each signed transaction is stored in
the ledger's journal before it is sent, the same bytes are re-sent on retry, and
a head is signed again only when its last transaction can no longer land
(dropped, reverted, or stuck), so a crash between sending and recording never
anchors twice or skips a head. `confirm` answers in one look; the workflow
decides how long to keep looking.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory
from web3 import Web3

from domain.errors import AlreadyExists
from ledger import AnchorAttempt, Ledger
from ledger_anchor import chain
from ledger_anchor.chain import ChainError, GatewaySigner, TxState
from ledger_anchor.journal import (
    AnchorConflict,
    AnchorJournal,
    AttemptStatus,
    Resigning,
    SignedAnchor,
    find_landed,
    submit_anchor,
)
from workflows.log_tree import LedgerTree

# Failure types the workflow tells apart (ApplicationError.type).
NOT_YET_FINAL = "AnchorNotYetFinal"  # retryable: look again later
NEEDS_RESEND = "AnchorNeedsResend"  # the transaction will not land: go back to `send`
CONFLICT = "AnchorConflict"  # this head can never land: a person must look


class TreeHead(BaseModel):
    size: int
    root: str  # 0x-prefixed hex


class AnchorRecovery(BaseModel):
    """How hard one run chases an anchor that does not land; bounded, so the next scheduled run can start."""

    stuck_after_s: float = Field(default=180.0, ge=0)  # re-sign with a higher fee when unmined this long
    confirm_checks: int = Field(default=12, ge=1)  # looks for confirmations per round
    rounds: int = Field(default=3, ge=1)  # send-then-confirm rounds before the run ends "pending"
    fee_cap_wei: int | None = Field(default=None, gt=0)  # the most a re-signed transaction pays per gas

    def resigning(self) -> Resigning:
        return Resigning(stuck_after=timedelta(seconds=self.stuck_after_s), fee_cap=self.fee_cap_wei)


class AnchorTarget(BaseModel):
    """What to anchor this run: at most `batch_size` new settlements on top of the last head."""

    batch_size: int
    confirmations: int
    recovery: AnchorRecovery = AnchorRecovery()


class LedgerAnchorJournal:
    """`ledger_anchor.journal.AnchorJournal` over the ledger's journal table.

    `ledger` and `ledger_anchor` may not import each other, so the ledger keeps the
    journal in its own plain types and this class translates.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def signed_for(self, chain_id: int, contract_address: str, size: int) -> list[SignedAnchor]:
        stored = self._ledger.anchor_attempts(chain_id, contract_address, size)
        return [SignedAnchor.model_validate(a.model_dump(mode="json")) for a in stored]

    def record_signed(self, attempt: SignedAnchor) -> SignedAnchor:
        try:
            stored = self._ledger.journal_anchor_attempt(
                AnchorAttempt.model_validate(attempt.model_dump(mode="json"))
            )
        except AlreadyExists as exc:
            raise AnchorConflict(exc.message) from exc
        return SignedAnchor.model_validate(stored.model_dump(mode="json"))

    def mark(self, tx_hash: str, status: AttemptStatus, at: datetime) -> None:
        self._ledger.mark_anchor_attempt(tx_hash, status.value, at)

    def next_nonce(self, chain_id: int, sender: str) -> int:
        return self._ledger.next_anchor_nonce(chain_id, sender)


class ChainLink:
    """Everything needed to reach the anchor contract; `lock` serialises use of a non-thread-safe provider."""

    def __init__(
        self, w3: Web3, signer: GatewaySigner, contract_address: str, journal: AnchorJournal
    ) -> None:
        self.w3 = w3
        self.signer = signer
        self.contract_address = Web3.to_checksum_address(contract_address)
        self.journal = journal
        self.lock = threading.Lock()


def _benign(message: str, kind: str, *, non_retryable: bool) -> ApplicationError:
    """An expected wait, not a fault: Temporal logs it at debug level, without a traceback."""
    return ApplicationError(
        message, type=kind, non_retryable=non_retryable, category=ApplicationErrorCategory.BENIGN
    )


def _heartbeat() -> None:
    """Tell Temporal this step is alive (outside a running activity, as in some tests, nothing)."""
    if activity.in_activity():
        activity.heartbeat()


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
        tree = LedgerTree(self._ledger)
        # O(leaves since the last run), each chunk stored as it goes: the subtrees then answer the root.
        tree.extend(on_chunk=_heartbeat)
        with tree.reading(size) as hasher:
            root = hasher.root(size)
        return TreeHead(size=size, root="0x" + root.hex())

    @activity.defn
    def send(self, head: TreeHead, recovery: AnchorRecovery | None = None) -> str:
        """Put a transaction that can still land for this head at the node; its hash.

        The first call signs (journaled, with the head, before sending); later calls
        re-send the same bytes, or sign again when the last transaction was dropped,
        reverted, or stuck for `recovery.stuck_after_s`.
        """
        link = self._link
        try:
            with link.lock:
                signed = submit_anchor(
                    link.w3,
                    link.signer,
                    link.contract_address,
                    head.size,
                    bytes.fromhex(head.root[2:]),
                    link.journal,
                    resigning=(recovery or AnchorRecovery()).resigning(),
                )
        except AnchorConflict as conflict:
            raise ApplicationError(conflict.message, type=CONFLICT, non_retryable=True) from conflict
        return signed.tx_hash

    @activity.defn
    def confirm(self, head: TreeHead, confirmations: int) -> list[str]:
        """Finalise the head once a journaled transaction for it has `confirmations` canonical blocks.

        Raises AnchorNotYetFinal while it waits, AnchorNeedsResend when the last
        transaction will not land (dropped or reverted).
        """
        link = self._link
        with link.lock:
            chain_id = int(link.w3.eth.chain_id)
            attempts = link.journal.signed_for(chain_id, link.contract_address, head.size)
            landed = find_landed(link.w3, link.journal, attempts)
            last = None if landed or not attempts else chain.tx_status(link.w3, attempts[-1].tx_hash)
            record = chain.read_anchor(link.w3, link.contract_address, head.size)
        if landed is None:
            if last is None or last.state in (TxState.UNKNOWN, TxState.REVERTED):
                state = "nothing" if last is None else last.state.value
                raise _benign(
                    f"anchor of size {head.size}: its last transaction is {state}; send again",
                    NEEDS_RESEND,
                    non_retryable=True,
                )
            activity.logger.info("anchor of size %d: waiting for its transaction to be mined", head.size)
            raise _benign(f"anchor of size {head.size} is not mined yet", NOT_YET_FINAL, non_retryable=False)
        seen = landed.status.confirmations
        if seen < confirmations:
            activity.logger.info("anchor of size %d: %d of %d confirmations", head.size, seen, confirmations)
            raise _benign(
                f"anchor of size {head.size} has {seen} of {confirmations} confirmations",
                NOT_YET_FINAL,
                non_retryable=False,
            )
        if record is None or record.root.lower() != head.root.lower():
            raise ChainError(f"the contract does not hold root {head.root} for size {head.size}")
        return self._ledger.finalise_anchor(
            head.size, record.block_number, datetime.now(UTC), tx_hash=landed.attempt.tx_hash
        )
