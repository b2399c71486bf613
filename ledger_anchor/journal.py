"""The anchor journal: every signed anchor transaction, stored before it is sent, and when to sign again.

A crash between signing and sending, or a node that forgets a transaction, must
not lead to a second transaction that could also land for the same tree head.
So every attempt is journaled (through the `AnchorJournal` port; the ledger keeps
it in a table) before its bytes leave, and a retry re-sends those exact bytes.
A head gets a new attempt only when its last one can no longer land:

- reverted: its nonce is spent, so sign again at the next nonce;
- dropped: the node does not know it and refuses it again, so sign again at the
  same nonce (or the next one, when another transaction spent it) with the fees
  a replacement must pay;
- stuck: known but not mined `stuck_after` since it was signed, so replace it at
  the same nonce with fees raised by the replacement bump.

Two attempts at one nonce cannot both land, and the contract refuses a size it
already holds, so a head is never anchored twice, whichever attempt lands.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from ledger_anchor.chain import (
    ChainError,
    GatewaySigner,
    TxFees,
    TxState,
    TxStatus,
    build_signed_anchor_tx,
    current_fees,
    latest,
    mined_nonce,
    read_anchor,
    replacement_fees,
    send_raw,
    tx_hash_of,
    tx_status,
)

log = logging.getLogger(__name__)

DEFAULT_STUCK_AFTER = timedelta(minutes=3)


class AnchorConflict(ChainError):
    """Signing cannot anchor this head: the contract holds another root for its size, a larger
    head, or this head from a transaction the journal does not hold. Needs a person, not a retry."""

    code = "ANCHOR-CONFLICT"


class AttemptStatus(StrEnum):
    SIGNED = "signed"  # journaled; the node may or may not have it
    SENT = "sent"  # a node accepted it
    MINED = "mined"  # in a block and succeeded: the head's transaction
    REVERTED = "reverted"  # in a block and failed; the head was signed again at a later nonce
    DROPPED = "dropped"  # the node forgot it (or its nonce was spent elsewhere); superseded
    REPLACED = "replaced"  # stuck, superseded at the same nonce with higher fees


class SignedAnchor(BaseModel):
    """One signed attempt to anchor a tree head, as journaled."""

    model_config = ConfigDict(frozen=True)

    chain_id: int
    contract_address: str
    sender: str
    size: int
    root: str  # 0x-prefixed hex
    attempt: int = 0
    nonce: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    raw_tx: str  # 0x-prefixed hex of the signed bytes
    tx_hash: str
    signed_at: datetime
    status: AttemptStatus = AttemptStatus.SIGNED
    status_at: datetime | None = None

    def raw_bytes(self) -> bytes:
        return bytes.fromhex(self.raw_tx[2:])

    def fees(self) -> TxFees:
        return TxFees(
            max_fee_per_gas=self.max_fee_per_gas, max_priority_fee_per_gas=self.max_priority_fee_per_gas
        )


class AnchorJournal(Protocol):
    """Where signed anchor transactions are kept, durably, before they are sent."""

    def signed_for(self, chain_id: int, contract_address: str, size: int) -> list[SignedAnchor]:
        """Every attempt journaled for this head, oldest first."""
        ...

    def record_signed(self, attempt: SignedAnchor) -> SignedAnchor:
        """Store the attempt durably; when its (head, attempt number) is taken, return the stored one."""
        ...

    def mark(self, tx_hash: str, status: AttemptStatus, at: datetime) -> None:
        """Record what became of a journaled attempt."""
        ...

    def next_nonce(self, chain_id: int, sender: str) -> int:
        """One past the highest nonce `sender` journaled on `chain_id` (0 when none)."""
        ...


class Resigning(BaseModel):
    """When an attempt counts as stuck, and the most a re-signed attempt may pay."""

    model_config = ConfigDict(frozen=True)

    stuck_after: timedelta = DEFAULT_STUCK_AFTER
    fee_cap: int | None = None  # wei per gas; None: no cap


class Landed(BaseModel):
    """The attempt that is in a canonical block, and how deep."""

    model_config = ConfigDict(frozen=True)

    attempt: SignedAnchor
    status: TxStatus


def submit_anchor(
    w3: Web3,
    signer: GatewaySigner,
    contract_address: str,
    size: int,
    root: bytes,
    journal: AnchorJournal,
    *,
    fees: TxFees | None = None,
    resigning: Resigning | None = None,
    now: datetime | None = None,
) -> SignedAnchor:
    """Make sure a transaction that can still anchor (size, root) is at the node; return it.

    Safe to call again after any failure (an activity retry): it re-sends the
    journaled bytes, and signs a new attempt only when the last one can no longer
    land. `fees` applies to the head's first attempt.
    """
    head = _Head(w3, signer, contract_address, size, root, journal, resigning or Resigning(), now)
    attempts = head.attempts()
    if not attempts:
        head.refuse_conflict()
        return head.sign(None, head.fresh_nonce(), fees or current_fees(w3), AttemptStatus.SIGNED)
    if attempts[0].root.lower() != head.root_hex:
        raise ChainError(
            f"tree size {size} was already signed with root {attempts[0].root}, not {head.root_hex}"
        )
    landed = find_landed(w3, journal, attempts, head.now)
    if landed is not None:
        return landed.attempt
    return head.recover(attempts[-1])


def find_landed(
    w3: Web3, journal: AnchorJournal, attempts: list[SignedAnchor], now: datetime | None = None
) -> Landed | None:
    """The attempt in a canonical block, if any (newest first); journaled as mined once seen."""
    for attempt in reversed(attempts):
        status = tx_status(w3, attempt.tx_hash)
        if status.state is TxState.MINED:
            if attempt.status is not AttemptStatus.MINED:
                journal.mark(attempt.tx_hash, AttemptStatus.MINED, now or datetime.now(UTC))
            return Landed(attempt=attempt, status=status)
    return None


class _Head:
    """One tree head being anchored: its journal, its chain, and the decisions to re-sign."""

    def __init__(
        self,
        w3: Web3,
        signer: GatewaySigner,
        contract_address: str,
        size: int,
        root: bytes,
        journal: AnchorJournal,
        resigning: Resigning,
        now: datetime | None,
    ) -> None:
        self.w3, self.signer, self.journal, self.resigning = w3, signer, journal, resigning
        self.contract = Web3.to_checksum_address(contract_address)
        self.size, self.root = size, root
        self.root_hex = "0x" + root.hex()
        self.chain_id = int(w3.eth.chain_id)
        self.now = now or datetime.now(UTC)

    def attempts(self) -> list[SignedAnchor]:
        return self.journal.signed_for(self.chain_id, self.contract, self.size)

    def fresh_nonce(self) -> int:
        pending = int(self.w3.eth.get_transaction_count(self.signer.address, "pending"))
        return max(pending, self.journal.next_nonce(self.chain_id, self.signer.address))

    def recover(self, last: SignedAnchor) -> SignedAnchor:
        """Keep `last` if it can still land; else sign the attempt that replaces it."""
        status = tx_status(self.w3, last.tx_hash)
        if status.state is TxState.REVERTED:
            self.refuse_conflict()
            log.info("anchor of size %d: %s reverted; signing again at a new nonce", self.size, last.tx_hash)
            return self.sign(last, self.fresh_nonce(), current_fees(self.w3), AttemptStatus.REVERTED)
        if mined_nonce(self.w3, last.sender) > last.nonce:
            if tx_status(self.w3, last.tx_hash).state is TxState.MINED:  # it landed just now
                return last
            log.info("anchor of size %d: nonce %d was spent elsewhere; signing again", self.size, last.nonce)
            return self.sign(last, self.fresh_nonce(), current_fees(self.w3), AttemptStatus.DROPPED)
        if status.state is TxState.PENDING:
            return self._pending(last)
        return self._unknown(last)

    def _pending(self, last: SignedAnchor) -> SignedAnchor:
        waited = self.now - last.signed_at
        if waited < self.resigning.stuck_after:
            self._resend(last)
            return last
        fees = self._replacement_fees(last)
        if fees is None:
            self._resend(last)
            return last
        log.info(
            "anchor of size %d: %s not mined after %ds; replacing it at nonce %d with max fee %d",
            self.size,
            last.tx_hash,
            waited.total_seconds(),
            last.nonce,
            fees.max_fee_per_gas,
        )
        return self.sign(last, last.nonce, fees, AttemptStatus.REPLACED)

    def _unknown(self, last: SignedAnchor) -> SignedAnchor:
        """The node does not hold `last`: send it again, and replace it only if the node refuses it."""
        try:
            self._resend(last)
            return last
        except ChainError as refused:
            log.info(
                "anchor of size %d: the node dropped %s and refuses it (%s)", self.size, last.tx_hash, refused
            )
        fees = self._replacement_fees(last)
        if fees is None:
            raise ChainError(
                f"anchor of size {self.size}: {last.tx_hash} was dropped and a replacement would exceed "
                f"the fee cap of {self.resigning.fee_cap} wei per gas"
            )
        return self.sign(last, last.nonce, fees, AttemptStatus.DROPPED)

    def _replacement_fees(self, last: SignedAnchor) -> TxFees | None:
        """Fees to replace `last` at its nonce, or None when they would pass the fee cap."""
        fees = replacement_fees(last.fees(), current_fees(self.w3))
        cap = self.resigning.fee_cap
        if cap is not None and fees.max_fee_per_gas > cap:
            log.warning(
                "anchor of size %d: replacing %s needs a max fee of %d wei per gas, over the cap of %d; waiting",
                self.size,
                last.tx_hash,
                fees.max_fee_per_gas,
                cap,
            )
            return None
        return fees

    def _resend(self, attempt: SignedAnchor) -> None:
        send_raw(self.w3, attempt.raw_bytes())
        if attempt.status is AttemptStatus.SIGNED:
            self.journal.mark(attempt.tx_hash, AttemptStatus.SENT, self.now)

    def sign(
        self, previous: SignedAnchor | None, nonce: int, fees: TxFees, superseded: AttemptStatus
    ) -> SignedAnchor:
        """Sign an attempt, journal it, then send it; `previous` is marked `superseded` once it is out."""
        raw = build_signed_anchor_tx(
            self.w3, self.signer, self.contract, self.size, self.root, nonce, fees=fees
        )
        attempt = SignedAnchor(
            chain_id=self.chain_id,
            contract_address=self.contract,
            sender=self.signer.address,
            size=self.size,
            root=self.root_hex,
            attempt=0 if previous is None else previous.attempt + 1,
            nonce=nonce,
            max_fee_per_gas=fees.max_fee_per_gas,
            max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
            raw_tx="0x" + raw.hex(),
            tx_hash=tx_hash_of(raw),
            signed_at=self.now,
        )
        stored = self.journal.record_signed(attempt)  # a concurrent signer may have won: send its bytes
        self._resend(stored)
        if previous is not None:
            self.journal.mark(previous.tx_hash, superseded, self.now)
        return stored.model_copy(update={"status": AttemptStatus.SENT})

    def refuse_conflict(self) -> None:
        """AnchorConflict when signing (again) cannot anchor this head; the caller found no attempt landed."""
        record = read_anchor(self.w3, self.contract, self.size)
        if record is not None and record.root.lower() != self.root_hex:
            raise AnchorConflict(f"the contract holds root {record.root} for tree size {self.size}")
        if record is not None:
            raise AnchorConflict(
                f"tree size {self.size} was anchored in block {record.block_number} by a transaction "
                "this journal does not hold (import the old journal file with import_file_journal)"
            )
        newest = latest(self.w3, self.contract)
        if newest is not None and newest.size > self.size:
            raise AnchorConflict(
                f"the contract already holds the larger head {newest.size}; size {self.size} cannot follow it"
            )


def import_file_journal(path: Path, journal: AnchorJournal) -> int:
    """Move a journal file written before the journal lived in the ledger into `journal`; how many moved.

    Each line is one head's only attempt. Heads the journal already holds are
    skipped, so this is safe on every start; the file is left as it was.
    """
    if not path.exists():
        return 0
    moved = 0
    signed_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        if journal.signed_for(entry["chain_id"], entry["contract_address"], entry["size"]):
            continue
        envelope = TypedTransaction.from_bytes(HexBytes(entry["raw_tx"])).as_dict()
        journal.record_signed(
            SignedAnchor(
                **entry,
                max_fee_per_gas=int(envelope["maxFeePerGas"]),
                max_priority_fee_per_gas=int(envelope["maxPriorityFeePerGas"]),
                signed_at=signed_at,
                status=AttemptStatus.SENT,
            )
        )
        moved += 1
    return moved
