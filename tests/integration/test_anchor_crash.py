"""A worker killed between sending an anchor and recording it anchors that head exactly once.

A child process runs the real `send` activity against a ledger the test holds
write-locked, so the child blocks right after the transaction went out; the test
kills it there (SIGKILL), restarts everything from the same folders and runs the
activity again, as a Temporal retry would.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from ledger import Ledger
from ledger_anchor import chain
from ledger_anchor.embedded_chain import CHAIN_LOG, EmbeddedChain
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from workflows.anchor_activities import AnchorActivities, AnchorTarget, ChainLink

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ledger import Ledger
    from ledger_anchor.embedded_chain import EmbeddedChain
    from workflows.anchor_activities import AnchorActivities, ChainLink, TreeHead

    folder = Path(sys.argv[1])
    chain = EmbeddedChain(folder / "chain")
    link = ChainLink(chain.w3, chain.signer, chain.contract_address, folder / "journal.jsonl")
    ledger = Ledger.open(f"sqlite:///{folder / 'ledger.sqlite3'}")
    print("ready", flush=True)
    sys.stdin.readline()  # the parent takes the ledger's write lock, then lets us go
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


def test_a_kill_between_send_and_record_anchors_once(tmp_path: Path):
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    _settle_two(ledger)
    first_chain = EmbeddedChain(tmp_path / "chain")  # deploys the contract once, then hands the folder over
    first_chain.close()
    link = ChainLink(
        first_chain.w3, first_chain.signer, first_chain.contract_address, tmp_path / "journal.jsonl"
    )
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
    # Hold the ledger's write lock so the child's record_anchor blocks after sending.
    blocker = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        child.stdin.write("go\n")
        child.stdin.flush()
        chain_log = tmp_path / "chain" / CHAIN_LOG
        # The deployment is the log's first transaction; the anchor is the second.
        sent = lambda: chain_log.read_text().count("raw_tx") >= 2  # noqa: E731
        _wait_for(sent, "the child to send the anchor transaction")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert child.returncode == -signal.SIGKILL
    assert ledger.anchors() == [], "the child died before recording the anchor"
    journaled = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert len(journaled) == 1

    # Restart: the chain is rebuilt from its folder and the activity runs again, as a retry would.
    restarted = EmbeddedChain(tmp_path / "chain")
    try:
        link = ChainLink(
            restarted.w3, restarted.signer, restarted.contract_address, tmp_path / "journal.jsonl"
        )
        tx_hash = AnchorActivities(ledger, link).send(head)
        assert tx_hash == journaled[0]["tx_hash"], "the retry sent different bytes"
        restarted.mine(2)
        record = chain.read_anchor(restarted.w3, restarted.contract_address, 2)
        assert record is not None and record.root.lower() == head.root.lower()
        contract = chain.anchor_contract(restarted.w3, restarted.contract_address)
        events = contract.events.Anchored().get_logs(from_block=0)
        assert [e["args"]["size"] for e in events] == [2], "the head was anchored more than once"
        assert [a.tree_size for a in ledger.anchors()] == [2]
        anchored = AnchorActivities(ledger, link).confirm(head, 1)
        assert sorted(anchored) == ["t0", "t1"]
    finally:
        restarted.close()
        ledger.close()
