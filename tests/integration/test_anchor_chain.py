"""The anchor contract and the verifier, on the embedded py-evm chain and on a real ganache node."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from web3 import EthereumTesterProvider, Web3
from web3.types import RPCEndpoint

from domain.transfers import AccountRef
from ledger import Ledger
from ledger_anchor.chain import (
    ChainError,
    GatewaySigner,
    anchor_contract,
    build_signed_anchor_tx,
    confirmations,
    deploy,
    latest,
    read_anchor,
    send_raw,
    wait_for_success,
)
from ledger_anchor.journal import AttemptStatus, submit_anchor
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from ledger_anchor.merkle import TreeHasher, leaf_hash
from ledger_anchor.receipt import SettlementReceipt, issue_receipt
from ledger_anchor.verify import verify_receipt, verify_receipt_file
from ledger_anchor.verify_command import verify_command
from tests.integration.ganache_node import OTHER_KEY, OWNER_KEY, free_port, ganache
from workflows.anchor_activities import LedgerAnchorJournal


@pytest.fixture(scope="module")
def ganache_url() -> Iterator[str]:
    with ganache() as url:
        yield url


@dataclass
class Chain:
    w3: Web3
    owner: GatewaySigner
    other: GatewaySigner
    address: str
    url: str | None

    def mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.w3.provider.make_request(RPCEndpoint("evm_mine"), [])


@pytest.fixture(params=["eth-tester", "ganache"])
def chain(request) -> Chain:
    url = None
    if request.param == "ganache":
        url = request.getfixturevalue("ganache_url")
        w3 = Web3(Web3.HTTPProvider(url))
    else:
        w3 = Web3(EthereumTesterProvider())
    owner, other = GatewaySigner.from_hex(OWNER_KEY), GatewaySigner.from_hex(OTHER_KEY)
    return Chain(w3=w3, owner=owner, other=other, address=deploy(w3, owner), url=url)


def _anchor(chain: Chain, size: int, root: bytes, signer: GatewaySigner | None = None) -> str:
    signer = signer or chain.owner
    nonce = chain.w3.eth.get_transaction_count(signer.address, "pending")
    tx_hash = send_raw(chain.w3, build_signed_anchor_tx(chain.w3, signer, chain.address, size, root, nonce))
    wait_for_success(chain.w3, tx_hash)
    return tx_hash


def _refused(chain: Chain, size: int, root: bytes, signer: GatewaySigner | None = None) -> bool:
    """True when the anchor attempt reverted or the node refused it outright."""
    try:
        _anchor(chain, size, root, signer)
    except ChainError:
        return True
    return False


def _anchored_events(chain: Chain) -> list[tuple[int, str]]:
    logs = anchor_contract(chain.w3, chain.address).events.Anchored().get_logs(from_block=0)
    return [(int(e["args"]["size"]), "0x" + bytes(e["args"]["root"]).hex()) for e in logs]


def test_owner_anchors_and_each_anchor_emits_an_event(chain):
    heads = [(3, b"\x03" * 32), (5, b"\x05" * 32), (8, b"\x08" * 32)]
    for size, root in heads:
        _anchor(chain, size, root)
    assert _anchored_events(chain) == [(size, "0x" + root.hex()) for size, root in heads]
    last = latest(chain.w3, chain.address)
    assert last is not None and (last.size, last.root) == (8, "0x" + "08" * 32)
    record = read_anchor(chain.w3, chain.address, 5)
    assert record is not None and record.root == "0x" + "05" * 32
    assert read_anchor(chain.w3, chain.address, 4) is None


def test_only_the_gateway_may_anchor(chain):
    assert _refused(chain, 1, b"\x01" * 32, chain.other)
    assert latest(chain.w3, chain.address) is None
    assert _anchored_events(chain) == []


def test_sizes_only_grow(chain):
    _anchor(chain, 5, b"\x05" * 32)
    assert _refused(chain, 5, b"\x55" * 32)
    assert _refused(chain, 4, b"\x04" * 32)
    assert _refused(chain, 0, b"\x00" * 31 + b"\x01")
    _anchor(chain, 6, b"\x06" * 32)
    assert [size for size, _ in _anchored_events(chain)] == [5, 6]
    record = read_anchor(chain.w3, chain.address, 5)
    assert record is not None and record.root == "0x" + "05" * 32


def test_an_empty_root_is_refused(chain):
    assert _refused(chain, 1, bytes(32))


def test_resending_the_same_signed_bytes_anchors_once(chain):
    nonce = chain.w3.eth.get_transaction_count(chain.owner.address)
    raw = build_signed_anchor_tx(chain.w3, chain.owner, chain.address, 4, b"\x44" * 32, nonce)
    first = send_raw(chain.w3, raw)
    wait_for_success(chain.w3, first)
    assert send_raw(chain.w3, raw) == first
    assert send_raw(chain.w3, raw) == first
    assert _anchored_events(chain) == [(4, "0x" + "44" * 32)]
    assert chain.w3.eth.get_transaction_count(chain.owner.address) == nonce + 1


def test_journal_signs_each_head_once_across_retries(chain, tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        journal = LedgerAnchorJournal(ledger)
        first = submit_anchor(chain.w3, chain.owner, chain.address, 9, b"\x09" * 32, journal)
        again = submit_anchor(chain.w3, chain.owner, chain.address, 9, b"\x09" * 32, journal)
        assert (again.tx_hash, again.raw_tx) == (first.tx_hash, first.raw_tx)
        wait_for_success(chain.w3, first.tx_hash)
        second = submit_anchor(chain.w3, chain.owner, chain.address, 10, b"\x10" * 32, journal)
        assert second.nonce == first.nonce + 1
        wait_for_success(chain.w3, second.tx_hash)
        chain_id = chain.w3.eth.chain_id
        journaled = [journal.signed_for(chain_id, chain.address, size) for size in (9, 10)]
        assert [[(a.size, a.attempt, a.tx_hash) for a in attempts] for attempts in journaled] == [
            [(9, 0, first.tx_hash)],
            [(10, 0, second.tx_hash)],
        ]
        assert journaled[1][0].status is AttemptStatus.SENT
        assert _anchored_events(chain) == [(9, "0x" + "09" * 32), (10, "0x" + "10" * 32)]
        with pytest.raises(ChainError):
            submit_anchor(chain.w3, chain.owner, chain.address, 9, b"\x99" * 32, journal)
        # The ledger holds each signed head as an unfinished anchor, with the transaction expected to land.
        assert [(a.tree_size, a.tx_hash, a.final) for a in ledger.anchors()] == [
            (9, first.tx_hash, False),
            (10, second.tx_hash, False),
        ]


def test_confirmations_count_blocks_and_recheck_the_hash(chain):
    tx_hash = _anchor(chain, 2, b"\x02" * 32)
    assert confirmations(chain.w3, tx_hash) == 1
    chain.mine(2)
    assert confirmations(chain.w3, tx_hash) == 3
    assert confirmations(chain.w3, "0x" + "ab" * 32) == 0


# --- the verifier -------------------------------------------------------------------------------


def _settlements(count: int) -> list[bytes]:
    moment = datetime(2024, 7, 15, 9, 30, tzinfo=UTC)
    return [
        encode_settlement(
            SettlementRecord(
                transfer_id=f"tr-{i:04d}",
                source=AccountRef(registry_id="verra", account_id="4471"),
                destination=AccountRef(registry_id="hk-core-climate", account_id=f"HKCC-{i:05d}"),
                serial_space="VCS",
                programme="VCS",
                unit_type="VCU",
                project_id="1060",
                vintage="01012019-31122019",
                start=1000 * i + 1,
                end=1000 * i + 100,
                quantity=100,
                settled_at=moment + timedelta(minutes=i),
            )
        )
        for i in range(count)
    ]


def _anchored_receipt(chain: Chain, index: int = 3) -> tuple[SettlementReceipt, TreeHasher]:
    """Seven settlements; heads of size 4 and 7 anchored; the receipt for leaf `index` at size 7."""
    leaves = _settlements(7)
    tree = TreeHasher([leaf_hash(leaf) for leaf in leaves])
    _anchor(chain, 4, tree.root(4))
    tx_hash = _anchor(chain, 7, tree.root(7))
    block = int(chain.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"])
    receipt = issue_receipt(
        leaves[index],
        index,
        tree,
        7,
        chain_id=chain.w3.eth.chain_id,
        contract_address=chain.address,
        anchor_tx_hash=tx_hash,
        anchor_block_number=block,
    )
    return receipt, tree


def _flip_bit(hex_value: str, bit: int = 0) -> str:
    raw = bytearray(bytes.fromhex(hex_value[2:]))
    raw[bit // 8] ^= 1 << (bit % 8)
    return "0x" + raw.hex()


def test_verify_accepts_a_genuine_receipt(chain, tmp_path):
    receipt, _ = _anchored_receipt(chain)
    verdict = verify_receipt(receipt, chain.w3)
    assert verdict.ok, verdict.reason
    assert "leaf 3" in verdict.reason and "tree of size 7" in verdict.reason
    if chain.url:
        path = tmp_path / "receipt.json"
        receipt.write(path)
        assert SettlementReceipt.read(path) == receipt
        assert verify_receipt_file(path, chain.url).ok
        result = CliRunner().invoke(verify_command, [str(path), "--rpc", chain.url])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("yes: ")
        assert "settlement tr-0003: 100 VCS/VCU" in result.output


def test_verify_refuses_tampered_receipts(chain, tmp_path):
    receipt, _ = _anchored_receipt(chain)
    proof = list(receipt.inclusion_proof)
    tampered = {
        "flipped proof bit": receipt.model_copy(
            update={"inclusion_proof": (_flip_bit(proof[0], 77), *proof[1:])}
        ),
        "flipped leaf bit": receipt.model_copy(update={"leaf": _flip_bit(receipt.leaf, 100)}),
        "flipped root bit": receipt.model_copy(update={"root": _flip_bit(receipt.root, 5)}),
        "wrong index": receipt.model_copy(update={"leaf_index": 2}),
        "wrong larger size": receipt.model_copy(update={"tree_size": 8}),
        "wrong anchored size": receipt.model_copy(update={"tree_size": 4}),
        "short proof": receipt.model_copy(update={"inclusion_proof": tuple(proof[:-1])}),
        "wrong chain": receipt.model_copy(update={"chain_id": receipt.chain_id + 1}),
        "wrong transaction": receipt.model_copy(update={"anchor_tx_hash": "0x" + "cd" * 32}),
    }
    verdicts = {name: verify_receipt(bad, chain.w3) for name, bad in tampered.items()}
    assert [name for name, verdict in verdicts.items() if verdict.ok] == []
    assert "leads to root" in verdicts["flipped proof bit"].reason
    assert "leads to root" in verdicts["wrong index"].reason
    assert "never anchored" in verdicts["wrong larger size"].reason
    assert "does not fit leaf 3 of a tree of size 4" in verdicts["wrong anchored size"].reason
    assert "names chain" in verdicts["wrong chain"].reason
    assert "no transaction" in verdicts["wrong transaction"].reason
    if chain.url:
        path = tmp_path / "receipt.json"
        tampered["wrong index"].write(path)
        result = CliRunner().invoke(verify_command, [str(path), "--rpc", chain.url])
        assert result.exit_code == 1
        assert result.output.startswith("no: ")


def test_verify_refuses_a_root_that_was_never_anchored(chain):
    receipt, tree = _anchored_receipt(chain)
    unanchored = receipt.model_copy(
        update={
            "tree_size": 6,
            "root": "0x" + tree.root(6).hex(),
            "inclusion_proof": tuple("0x" + p.hex() for p in tree.inclusion_proof(3, 6)),
        }
    )
    verdict = verify_receipt(unanchored, chain.w3)
    assert not verdict.ok
    assert "never anchored" in verdict.reason


def test_verify_requires_enough_confirmations(chain):
    receipt, _ = _anchored_receipt(chain)
    verdict = verify_receipt(receipt, chain.w3, min_confirmations=3)
    assert not verdict.ok
    assert "1 confirmation(s), 3 required" in verdict.reason
    chain.mine(2)
    assert verify_receipt(receipt, chain.w3, min_confirmations=3).ok


def test_the_signer_never_shows_its_key(tmp_path, monkeypatch):
    import pickle

    signer = GatewaySigner.from_hex(OWNER_KEY)
    secret = OWNER_KEY[2:]
    assert secret not in repr(signer) and secret not in str(signer)
    assert signer.address in repr(signer)
    with pytest.raises(TypeError):
        pickle.dumps(signer)
    key_file = tmp_path / "anchor.key"
    key_file.write_text(OWNER_KEY + "\n")
    assert GatewaySigner.from_key_file(key_file).address == signer.address
    monkeypatch.setenv("CARBON_GATEWAY_ANCHOR_KEY", OWNER_KEY)
    assert GatewaySigner.from_env().address == signer.address
    bad = "0x" + "zz" * 32
    with pytest.raises(ChainError) as refused:
        GatewaySigner.from_hex(bad)
    assert "zz" not in str(refused.value)
    monkeypatch.delenv("CARBON_GATEWAY_ANCHOR_KEY")
    with pytest.raises(ChainError):
        GatewaySigner.from_env()


def test_verify_says_no_when_the_node_is_unreachable(tmp_path):
    receipt = SettlementReceipt(
        leaf="0x01",
        leaf_index=0,
        tree_size=1,
        root="0x" + leaf_hash(b"\x01").hex(),
        inclusion_proof=(),
        chain_id=1337,
        contract_address="0x" + "11" * 20,
        anchor_tx_hash="0x" + "22" * 32,
        anchor_block_number=1,
    )
    path = tmp_path / "receipt.json"
    receipt.write(path)
    verdict = verify_receipt_file(path, f"http://127.0.0.1:{free_port()}")
    assert not verdict.ok
    assert verdict.reason.startswith("cannot read the chain")
    path.write_text("{}")
    assert not verify_receipt_file(path, "http://127.0.0.1:1").ok
