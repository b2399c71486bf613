"""An anchor transaction that will not land is noticed and signed again for the same head, on a real node.

Each failure is real, on ganache: a transaction left pending while the node mines
nothing (`miner_stop`), a mined one taken away by reverting the chain to a snapshot
(a reorganisation), one priced under the base fee that the node takes into its
pool and then throws away, and one with too little gas that reverts. Whatever
happens, the contract records the head exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from web3 import Web3

from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from ledger import Ledger
from ledger_anchor import chain
from ledger_anchor.chain import GatewaySigner, TxFees, TxState
from ledger_anchor.journal import AttemptStatus, SignedAnchor, submit_anchor
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from tests.integration.ganache_node import OWNER_KEY, ganache, rpc
from workflows.anchor_activities import (
    CONFLICT,
    NEEDS_RESEND,
    NOT_YET_FINAL,
    AnchorActivities,
    AnchorRecovery,
    AnchorTarget,
    ChainLink,
    LedgerAnchorJournal,
    TreeHead,
)

NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
PATIENT = AnchorRecovery(stuck_after_s=3600)
IMPATIENT = AnchorRecovery(stuck_after_s=0)


def settle(ledger: Ledger, index: int) -> None:
    """Settle transfer `t{index}` (serials 10*index+1 .. 10*index+10) and append it to the log."""
    block = SerialBlock(
        programme="CCER",
        serial_space="CCER:1:2024:1",
        project_id="1",
        vintage="2024",
        unit_type="CCER",
        country="CN",
        start=index * 10 + 1,
        end=index * 10 + 10,
        attributes={"batch": "1"},
    )
    request = TransferRequest(
        transfer_id=f"t{index}",
        source=AccountRef(registry_id="cn-ccer", account_id="a"),
        destination=AccountRef(registry_id="cn-sz-ets", account_id="b"),
        serial="x",
    )
    transfer = Transfer(request=request, block=block, created_at=NOW, updated_at=NOW)
    ledger.record_received(transfer)
    ledger.reserve(transfer.transfer_id, block, request.source)
    for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED):
        ledger.advance(transfer.transfer_id, state, NOW)
    leaf = encode_settlement(SettlementRecord.from_transfer(transfer, NOW))
    ledger.settle(transfer.transfer_id, request.destination, NOW, leaf)


@dataclass
class Anchoring:
    w3: Web3
    ledger: Ledger
    link: ChainLink
    activities: AnchorActivities

    def attempts(self, size: int = 2) -> list[SignedAnchor]:
        return self.link.journal.signed_for(self.w3.eth.chain_id, self.link.contract_address, size)

    def events(self) -> list[int]:
        logs = (
            chain.anchor_contract(self.w3, self.link.contract_address)
            .events.Anchored()
            .get_logs(from_block=0)
        )
        return [int(e["args"]["size"]) for e in logs]

    def head(self) -> TreeHead:
        head = self.activities.next_head(AnchorTarget(batch_size=100, confirmations=1))
        assert head is not None
        return head


@pytest.fixture
def anchoring(tmp_path: Path) -> Iterator[Anchoring]:
    """Two settled transfers in a fresh ledger, and a freshly deployed contract on a fresh ganache node."""
    with ganache() as url, Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        w3 = Web3(Web3.HTTPProvider(url))
        signer = GatewaySigner.from_hex(OWNER_KEY)
        link = ChainLink(w3, signer, chain.deploy(w3, signer), LedgerAnchorJournal(ledger))
        for index in range(2):
            settle(ledger, index)
        yield Anchoring(w3, ledger, link, AnchorActivities(ledger, link))


def refusal(anchoring: Anchoring, head: TreeHead, confirmations: int = 1) -> ApplicationError:
    with pytest.raises(ApplicationError) as refused:
        anchoring.activities.confirm(head, confirmations)
    return refused.value


def test_a_stuck_anchor_is_replaced_at_its_nonce_with_a_higher_fee(anchoring: Anchoring) -> None:
    a, head = anchoring, anchoring.head()
    rpc(a.w3, "miner_stop")
    first = a.activities.send(head, PATIENT)
    waiting = refusal(a, head)
    assert (waiting.type, waiting.non_retryable) == (NOT_YET_FINAL, False)
    assert a.activities.send(head, PATIENT) == first, "a transaction younger than stuck_after is kept"
    capped = AnchorRecovery(stuck_after_s=0, fee_cap_wei=a.attempts()[0].max_fee_per_gas)
    assert a.activities.send(head, capped) == first, "no replacement may pay more than the fee cap"

    second = a.activities.send(head, IMPATIENT)

    old, new = a.attempts()
    assert (old.tx_hash, new.tx_hash) == (first, second) and first != second
    assert (old.status, new.status) == (AttemptStatus.REPLACED, AttemptStatus.SENT)
    assert new.nonce == old.nonce
    assert new.max_fee_per_gas * 8 >= old.max_fee_per_gas * 9
    assert new.max_priority_fee_per_gas * 8 >= old.max_priority_fee_per_gas * 9
    assert chain.tx_status(a.w3, first).state is TxState.UNKNOWN, "the node swapped the replacement in"
    assert [(x.tree_size, x.tx_hash) for x in a.ledger.anchors()] == [(2, second)]

    # Mine the pool with the miner still stopped: ganache 7.9's miner_start with a full pool can
    # record the block it mines under a hash that is not the canonical block at that height.
    rpc(a.w3, "evm_mine")
    rpc(a.w3, "miner_start")
    assert sorted(a.activities.confirm(head, 1)) == ["t0", "t1"]
    assert a.events() == [2]
    assert [(x.tree_size, x.final, x.tx_hash) for x in a.ledger.anchors()] == [(2, True, second)]
    assert [x.status for x in a.attempts()] == [AttemptStatus.REPLACED, AttemptStatus.MINED]


def test_an_anchor_taken_away_by_a_reorganisation_is_sent_again_unchanged(anchoring: Anchoring) -> None:
    a, head = anchoring, anchoring.head()
    before = rpc(a.w3, "evm_snapshot")
    sent = a.activities.send(head, IMPATIENT)  # mined at once
    deep_enough = refusal(a, head, confirmations=3)
    assert deep_enough.type == NOT_YET_FINAL and "1 of 3 confirmations" in deep_enough.message
    assert rpc(a.w3, "evm_revert", before) is True

    gone = refusal(a, head, confirmations=3)
    assert (gone.type, gone.non_retryable) == (NEEDS_RESEND, True)
    assert a.activities.send(head, IMPATIENT) == sent, "the same bytes can land again: nothing is re-signed"
    rpc(a.w3, "evm_mine")
    rpc(a.w3, "evm_mine")
    assert sorted(a.activities.confirm(head, 3)) == ["t0", "t1"]
    assert a.events() == [2]
    assert [(x.tx_hash, x.status) for x in a.attempts()] == [(sent, AttemptStatus.MINED)]


def test_an_underpriced_anchor_the_node_throws_away_is_re_signed_at_its_nonce(anchoring: Anchoring) -> None:
    a, head = anchoring, anchoring.head()
    base_fee = int(a.w3.eth.get_block("latest")["baseFeePerGas"])
    rpc(a.w3, "miner_stop")  # a stopped miner takes the underpriced transaction into its pool
    cheap = submit_anchor(
        a.w3,
        a.link.signer,
        a.link.contract_address,
        head.size,
        bytes.fromhex(head.root[2:]),
        a.link.journal,
        fees=TxFees(max_fee_per_gas=base_fee // 2, max_priority_fee_per_gas=1),
    )
    assert chain.tx_status(a.w3, cheap.tx_hash).state is TxState.PENDING
    rpc(a.w3, "evm_mine")  # the block cannot include it, and the node drops it
    rpc(a.w3, "miner_start")
    assert chain.tx_status(a.w3, cheap.tx_hash).state is TxState.UNKNOWN
    assert refusal(a, head).type == NEEDS_RESEND

    replacement = a.activities.send(head, PATIENT)  # the node refuses the old bytes again: sign anew

    old, new = a.attempts()
    assert (old.tx_hash, new.tx_hash) == (cheap.tx_hash, replacement)
    assert new.nonce == old.nonce
    assert new.max_fee_per_gas >= int(a.w3.eth.get_block("latest")["baseFeePerGas"])
    assert new.max_fee_per_gas * 8 >= old.max_fee_per_gas * 9
    assert sorted(a.activities.confirm(head, 1)) == ["t0", "t1"]
    assert a.events() == [2]
    assert [x.status for x in a.attempts()] == [AttemptStatus.DROPPED, AttemptStatus.MINED]


def test_a_reverted_anchor_is_signed_again_at_the_next_nonce(anchoring: Anchoring) -> None:
    a, head = anchoring, anchoring.head()
    w3, signer, contract = a.w3, a.link.signer, a.link.contract_address
    nonce = w3.eth.get_transaction_count(signer.address)
    fees = chain.current_fees(w3)
    # Too little gas for the contract's four storage writes: mined, and reverted.
    raw = chain.build_signed_anchor_tx(
        w3, signer, contract, head.size, bytes.fromhex(head.root[2:]), nonce, fees=fees, gas=60_000
    )
    starved = a.link.journal.record_signed(
        SignedAnchor(
            chain_id=w3.eth.chain_id,
            contract_address=contract,
            sender=signer.address,
            size=head.size,
            root=head.root,
            nonce=nonce,
            max_fee_per_gas=fees.max_fee_per_gas,
            max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
            raw_tx="0x" + raw.hex(),
            tx_hash=chain.tx_hash_of(raw),
            signed_at=datetime.now(UTC),
        )
    )
    chain.send_raw(w3, raw)
    assert chain.tx_status(w3, starved.tx_hash).state is TxState.REVERTED
    assert refusal(a, head).type == NEEDS_RESEND

    again = a.activities.send(head, PATIENT)

    old, new = a.attempts()
    assert (old.tx_hash, new.tx_hash) == (starved.tx_hash, again)
    assert (old.status, new.nonce) == (AttemptStatus.REVERTED, nonce + 1)
    assert sorted(a.activities.confirm(head, 1)) == ["t0", "t1"]
    assert a.events() == [2]


def test_a_head_the_contract_can_no_longer_take_is_a_conflict(anchoring: Anchoring) -> None:
    a, head = anchoring, anchoring.head()
    w3, signer = a.w3, a.link.signer
    nonce = w3.eth.get_transaction_count(signer.address)
    larger = chain.build_signed_anchor_tx(w3, signer, a.link.contract_address, 7, b"\x07" * 32, nonce)
    chain.wait_for_success(w3, chain.send_raw(w3, larger))  # someone with the key anchored past us

    with pytest.raises(ApplicationError) as refused:
        a.activities.send(head, PATIENT)

    assert (refused.value.type, refused.value.non_retryable) == (CONFLICT, True)
    assert "larger head 7" in refused.value.message
    assert a.attempts() == [], "nothing was signed for a head that cannot land"
