"""A worker killed while sending an anchor, before recording that it sent it, anchors that head exactly once.

A child process runs the real `send` activity. Its journal pauses right after the
signed bytes are stored in the ledger; the test then kills it either there (signed,
never sent) or, holding the ledger write-locked, right after the bytes went out
(sent, never marked sent), restarts everything from the same folders and runs the
activity again, as a Temporal retry would.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from ledger import Ledger
from ledger_anchor import chain
from ledger_anchor.embedded_chain import CHAIN_LOG, EmbeddedChain
from ledger_anchor.journal import AttemptStatus
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from workflows.anchor_activities import AnchorActivities, AnchorTarget, ChainLink, LedgerAnchorJournal

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ledger import Ledger
    from ledger_anchor.embedded_chain import EmbeddedChain
    from workflows.anchor_activities import AnchorActivities, ChainLink, LedgerAnchorJournal, TreeHead

    class PausingJournal(LedgerAnchorJournal):
        # The real ledger journal, stopping once the signed bytes are stored so the parent picks the moment.
        def record_signed(self, attempt):
            stored = super().record_signed(attempt)
            print("journaled", flush=True)
            sys.stdin.readline()
            return stored

    folder = Path(sys.argv[1])
    chain = EmbeddedChain(folder / "chain")
    ledger = Ledger.open(f"sqlite:///{folder / 'ledger.sqlite3'}")
    link = ChainLink(chain.w3, chain.signer, chain.contract_address, PausingJournal(ledger))
    print("ready", flush=True)
    AnchorActivities(ledger, link).send(TreeHead.model_validate_json(sys.argv[2]))
    """
)


def _settle_two(ledger: Ledger) -> None:
    for i in range(2):
        block = SerialBlock(
            programme="CCER",
            serial_space="CCER:1:2024:1",
            project_id="1",
            vintage="2024",
            unit_type="CCER",
            country="CN",
            start=i * 10 + 1,
            end=i * 10 + 10,
            attributes={"batch": "1"},
        )
        request = TransferRequest(
            transfer_id=f"t{i}",
            source=AccountRef(registry_id="cn-ccer", account_id="a"),
            destination=AccountRef(registry_id="cn-sz-ets", account_id="b"),
            serial="x",
        )
        transfer = Transfer(request=request, block=block, created_at=NOW, updated_at=NOW)
        ledger.record_received(transfer)
        for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED):
            ledger.advance(transfer.transfer_id, state, NOW)
        ledger.reserve(transfer.transfer_id, block, request.source)
        leaf = encode_settlement(SettlementRecord.from_transfer(transfer, NOW))
        ledger.settle(transfer.transfer_id, request.destination, NOW, leaf)


def _wait_for(condition, what: str, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _sent(chain_log: Path) -> bool:
    # The deployment is the log's first transaction; the anchor is the second.
    return chain_log.exists() and chain_log.read_text().count("raw_tx") >= 2


@pytest.mark.parametrize("moment", ["after journaling", "after sending"])
def test_a_kill_while_sending_anchors_once(tmp_path: Path, moment: str):
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    _settle_two(ledger)
    first_chain = EmbeddedChain(tmp_path / "chain")  # deploys the contract once, then hands the folder over
    first_chain.close()
    chain_id, contract = first_chain.chain_id, first_chain.contract_address
    link = ChainLink(first_chain.w3, first_chain.signer, contract, LedgerAnchorJournal(ledger))
    head = AnchorActivities(ledger, link).next_head(AnchorTarget(batch_size=100, confirmations=1))
    assert head is not None and head.size == 2

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path), head.model_dump_json()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    assert child.stdout.readline().strip() == "journaled"
    chain_log = tmp_path / "chain" / CHAIN_LOG
    if moment == "after journaling":
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert not _sent(chain_log), "the child died before sending"
    else:
        # Hold the ledger's write lock so the child blocks marking the transaction sent, once it is out.
        blocker = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            child.stdin.write("go\n")
            child.stdin.flush()
            _wait_for(lambda: _sent(chain_log), "the child to send the anchor transaction")
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert child.returncode == -signal.SIGKILL
    journal = LedgerAnchorJournal(ledger)
    journaled = journal.signed_for(chain_id, contract, 2)
    assert [(a.attempt, a.status) for a in journaled] == [(0, AttemptStatus.SIGNED)], "died before marking it"
    # The head was recorded with its signed bytes, so no later run can pass it by.
    assert [(a.tree_size, a.tx_hash, a.final) for a in ledger.anchors()] == [(2, journaled[0].tx_hash, False)]

    # Restart: the chain is rebuilt from its folder and the activity runs again, as a retry would.
    restarted = EmbeddedChain(tmp_path / "chain")
    try:
        link = ChainLink(restarted.w3, restarted.signer, restarted.contract_address, journal)
        activities = AnchorActivities(ledger, link)
        assert activities.next_head(AnchorTarget(batch_size=100, confirmations=1)) == head
        tx_hash = activities.send(head)
        assert tx_hash == journaled[0].tx_hash, "the retry sent different bytes"
        restarted.mine(2)
        record = chain.read_anchor(restarted.w3, restarted.contract_address, 2)
        assert record is not None and record.root.lower() == head.root.lower()
        contract_events = chain.anchor_contract(restarted.w3, restarted.contract_address).events
        assert [e["args"]["size"] for e in contract_events.Anchored().get_logs(from_block=0)] == [2], (
            "the head was anchored more than once"
        )
        assert sorted(activities.confirm(head, 1)) == ["t0", "t1"]
        assert [(a.tree_size, a.final, a.tx_hash) for a in ledger.anchors()] == [(2, True, tx_hash)]
        assert [(a.tx_hash, a.status) for a in journal.signed_for(chain_id, contract, 2)] == [
            (tx_hash, AttemptStatus.MINED)
        ]
    finally:
        restarted.close()
        ledger.close()
