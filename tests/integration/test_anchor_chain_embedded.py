"""The embedded chain keeps its anchors across restarts and serves them read-only over JSON-RPC."""

import json
import urllib.request
from collections.abc import Iterator

import pytest
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3RPCError

from domain.errors import GatewayError
from ledger import Ledger
from ledger_anchor.chain import (
    GatewaySigner,
    anchor_contract,
    build_signed_anchor_tx,
    current_fees,
    latest,
    tx_hash_of,
    wait_for_success,
)
from ledger_anchor.embedded_chain import CHAIN_LOG, EmbeddedChain
from ledger_anchor.journal import AnchorJournal, import_file_journal, submit_anchor
from ledger_anchor.merkle import TreeHasher, leaf_hash
from ledger_anchor.receipt import issue_receipt
from ledger_anchor.verify import verify_receipt, verify_receipt_file
from workflows.anchor_activities import LedgerAnchorJournal

LEAVES = [f"settlement-{i}".encode() for i in range(5)]


def _rpc(url: str, method: str, params: list) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _anchor_and_receipt(chain: EmbeddedChain, journal: AnchorJournal, size: int):
    tree = TreeHasher([leaf_hash(leaf) for leaf in LEAVES])
    signed = submit_anchor(chain.w3, chain.signer, chain.contract_address, size, tree.root(size), journal)
    block = wait_for_success(chain.w3, signed.tx_hash)
    return issue_receipt(
        LEAVES[1],
        1,
        tree,
        size,
        chain_id=chain.chain_id,
        contract_address=chain.contract_address,
        anchor_tx_hash=signed.tx_hash,
        anchor_block_number=block,
    )


@pytest.fixture
def journal(tmp_path) -> Iterator[AnchorJournal]:
    """The ledger's journal of signed anchor transactions, in a fresh SQLite ledger."""
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        yield LedgerAnchorJournal(ledger)


def test_anchor_survives_a_restart_and_verifies_over_json_rpc(tmp_path, journal: AnchorJournal):
    data = tmp_path / "data"
    with EmbeddedChain(data) as first:
        address = first.contract_address
        receipt = _anchor_and_receipt(first, journal, 3)
        first.mine(2)
        url = first.serve()
        client = Web3(HTTPProvider(url))
        assert verify_receipt(receipt, client, min_confirmations=3).ok
        head_before = client.eth.block_number

    with EmbeddedChain(data) as second:
        assert second.contract_address == address
        url = second.serve()
        client = Web3(HTTPProvider(url))
        assert client.eth.block_number == head_before
        record = latest(client, address)
        assert record is not None
        assert (record.size, record.root, record.block_number) == (
            3,
            receipt.root,
            receipt.anchor_block_number,
        )
        tx = client.eth.get_transaction_receipt(receipt.anchor_tx_hash)
        assert tx["status"] == 1 and tx["blockNumber"] == receipt.anchor_block_number
        verdict = verify_receipt(receipt, client, min_confirmations=3)
        assert verdict.ok, verdict.reason
        path = tmp_path / "receipt.json"
        receipt.write(path)
        assert verify_receipt_file(path, url, min_confirmations=3).ok

        later = _anchor_and_receipt(second, journal, 5)

    with EmbeddedChain(data) as third:
        client = Web3(HTTPProvider(third.serve()))
        events = anchor_contract(client, address).events.Anchored().get_logs(from_block=0)
        assert [int(e["args"]["size"]) for e in events] == [3, 5]
        assert verify_receipt(receipt, client).ok
        assert verify_receipt(later, client).ok


def test_json_rpc_endpoint_is_read_only(tmp_path, journal: AnchorJournal):
    with EmbeddedChain(tmp_path / "chain") as chain:
        url = chain.serve()
        signed = submit_anchor(chain.w3, chain.signer, chain.contract_address, 1, b"\x01" * 32, journal)
        for method, params in [
            ("eth_sendRawTransaction", [signed.raw_tx]),
            ("eth_sendTransaction", [{"from": chain.signer.address}]),
            ("evm_mine", []),
            ("personal_unlockAccount", []),
        ]:
            answer = _rpc(url, method, params)
            assert "result" not in answer, method
            assert "read-only" in answer["error"]["message"]
        client = Web3(HTTPProvider(url))
        with pytest.raises(Web3RPCError):
            client.eth.send_raw_transaction(bytes.fromhex(signed.raw_tx[2:]))
        assert _rpc(url, "eth_chainId", [])["result"] == hex(chain.chain_id)
        log_lines = (tmp_path / "chain" / CHAIN_LOG).read_text().splitlines()
        assert len(log_lines) == 2  # the deployment and the one anchor, nothing from outside


def test_a_given_gateway_key_deploys_and_owns_the_contract(tmp_path):
    signer = GatewaySigner.from_hex("0x" + "5a" * 32)
    with EmbeddedChain(tmp_path, signer) as chain:
        owner = anchor_contract(chain.w3, chain.contract_address).functions.GATEWAY().call()
        assert owner == signer.address
    with EmbeddedChain(tmp_path, signer) as again:
        assert again.contract_address == chain.contract_address
    with pytest.raises(GatewayError):
        # Another key cannot take over a chain whose log was written by this one.
        EmbeddedChain(tmp_path, GatewaySigner.from_hex("0x" + "5b" * 32))


def test_a_journal_file_from_before_the_ledger_journal_is_moved_in_and_its_bytes_resent(tmp_path):
    with (
        Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger,
        EmbeddedChain(tmp_path / "chain") as chain,
    ):
        journal = LedgerAnchorJournal(ledger)
        fees = current_fees(chain.w3)
        nonce = chain.w3.eth.get_transaction_count(chain.signer.address)
        raw = build_signed_anchor_tx(
            chain.w3, chain.signer, chain.contract_address, 3, b"\x03" * 32, nonce, fees=fees
        )
        legacy = {  # one line as the file journal wrote it: signed, and the gateway stopped before sending
            "chain_id": chain.chain_id,
            "contract_address": chain.contract_address,
            "sender": chain.signer.address,
            "size": 3,
            "root": "0x" + "03" * 32,
            "nonce": nonce,
            "raw_tx": "0x" + raw.hex(),
            "tx_hash": tx_hash_of(raw),
        }
        path = tmp_path / "anchor-journal.jsonl"
        path.write_text(json.dumps(legacy) + "\n")

        assert import_file_journal(path, journal) == 1
        assert import_file_journal(path, journal) == 0, "importing again changes nothing"

        [moved] = journal.signed_for(chain.chain_id, chain.contract_address, 3)
        assert (moved.tx_hash, moved.nonce, moved.raw_tx) == (legacy["tx_hash"], nonce, legacy["raw_tx"])
        assert (moved.max_fee_per_gas, moved.max_priority_fee_per_gas) == (
            fees.max_fee_per_gas,
            fees.max_priority_fee_per_gas,
        )
        assert [(a.tree_size, a.final) for a in ledger.anchors()] == [(3, False)], "the head is resumed first"
        resent = submit_anchor(chain.w3, chain.signer, chain.contract_address, 3, b"\x03" * 32, journal)
        assert resent.tx_hash == legacy["tx_hash"]
        assert latest(chain.w3, chain.contract_address) is not None
        assert len(journal.signed_for(chain.chain_id, chain.contract_address, 3)) == 1
