"""The embedded chain keeps its anchors across restarts and serves them read-only over JSON-RPC."""

import json
import urllib.request

import pytest
from web3 import HTTPProvider, Web3
from web3.exceptions import Web3RPCError

from domain.errors import GatewayError
from ledger_anchor.chain import GatewaySigner, anchor_contract, latest, wait_for_success
from ledger_anchor.embedded_chain import CHAIN_LOG, EmbeddedChain
from ledger_anchor.journal import AnchorJournal, submit_anchor
from ledger_anchor.merkle import TreeHasher, leaf_hash
from ledger_anchor.receipt import issue_receipt
from ledger_anchor.verify import verify_receipt, verify_receipt_file

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


def test_anchor_survives_a_restart_and_verifies_over_json_rpc(tmp_path):
    data = tmp_path / "data"
    journal = AnchorJournal(data / "anchors.jsonl")
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


def test_json_rpc_endpoint_is_read_only(tmp_path):
    with EmbeddedChain(tmp_path) as chain:
        url = chain.serve()
        signed = submit_anchor(
            chain.w3, chain.signer, chain.contract_address, 1, b"\x01" * 32, AnchorJournal(tmp_path / "j")
        )
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
        log_lines = (tmp_path / CHAIN_LOG).read_text().splitlines()
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
