"""The public page's verifier (gateway/public_site/static/verify.js) agrees with ledger_anchor, case by case.

Every vector comes from the Python code itself: trees, proofs and their tampered
forms from ledger_anchor.merkle, leaves from leaf.encode_settlement, receipts
from receipt.issue_receipt, and verdicts from verify.py (against a scripted node
where a chain is involved). Node starts once for the whole module, with every
case on stdin, because process start costs more than all the hashing.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector
from pydantic import ValidationError
from web3 import Web3
from web3.providers.base import BaseProvider

from domain.errors import InvalidInput
from domain.transfers import AccountRef
from gateway.public_site.words import REASONS_ZH
from ledger_anchor.chain import load_artifact
from ledger_anchor.leaf import FIELD_ORDER, U64_MAX, SettlementRecord, decode_settlement, encode_settlement
from ledger_anchor.merkle import (
    ProofError,
    TreeHasher,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    roots_from_consistency_proof,
    verify_consistency,
)
from ledger_anchor.receipt import SettlementReceipt, issue_receipt
from ledger_anchor.verify import check_proof, verify_receipt

DRIVER = Path(__file__).with_name("verify_js_driver.mjs")
SEED = 9162
CONTRACT = "0x500BAa1fbAdd3aD647d5aa888d28fab8F2Da89A6"
TX_HASH = "0x" + "ab" * 32
BLOCK_HASH = "0x" + "cd" * 32
# Sizes past 2^32 and 2^53, where 32-bit bitwise operators or float arithmetic would go wrong.
BIG_SIZES = [2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**33 + 5, 2**53 + 1, 2**53 + 7, 2**63 - 1]


def run_verify_js(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Node process for all `cases`; one {result} or {error, message} per case."""
    node = shutil.which("node")
    assert node, "the test suite needs node"
    done = subprocess.run(
        [node, str(DRIVER)], input=json.dumps(cases), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    assert len(results) == len(cases)
    return results


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _outcome(compute: Callable[[], bytes]) -> dict[str, Any]:
    """What the driver reports for the same computation: the root, or the ProofError and its message."""
    try:
        return {"result": _hex(compute())}
    except ProofError as exc:
        return {"error": "ProofError", "message": str(exc)}


class _SyntheticLeaves:
    """A tree too big to build: leaves and perfect subtrees are made-up hashes, so proofs cost O(log^2 n)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> bytes:
        return hashlib.sha256(b"leaf %d" % index).digest()


def _synthetic_tree(size: int) -> TreeHasher:
    return TreeHasher(
        _SyntheticLeaves(size), known=lambda level, at: hashlib.sha256(b"node %d %d" % (level, at)).digest()
    )


class Vectors:
    """Cases for the driver, grouped, each with what Python says about it."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.groups: dict[str, list[tuple[dict[str, Any], Any]]] = defaultdict(list)

    def add(self, group: str, case: dict[str, Any], expected: Any) -> None:
        self.groups[group].append((case, expected))

    def some_hash(self) -> bytes:
        return self.rng.randbytes(32)

    def flipped(self, data: bytes) -> bytes:
        at = self.rng.randrange(len(data))
        return data[:at] + bytes([data[at] ^ (1 << self.rng.randrange(8))]) + data[at + 1 :]


LEAVES = [b"settlement %d" % i for i in range(1200)]
TREE = TreeHasher([leaf_hash(leaf) for leaf in LEAVES])


def _inclusion(v: Vectors, group: str, leaf: bytes, index: int, size: int, proof) -> None:
    case: dict[str, Any] = {
        "op": "inclusion",
        "leaf_hash": _hex(leaf),
        "index": str(index),
        "size": str(size),
    }
    case["proof"] = [_hex(p) for p in proof]
    v.add(group, case, _outcome(lambda: root_from_inclusion_proof(leaf, index, size, proof)))


def _inclusion_vectors(v: Vectors) -> None:
    pairs = [(size, index) for size in range(1, 71) for index in range(size)]
    pairs += [(size, v.rng.randrange(size)) for size in v.rng.sample(range(71, len(LEAVES) + 1), 40)]
    for size, index in pairs:
        proof = TREE.inclusion_proof(index, size)
        _inclusion(v, "inclusion", TREE.subtree_root(index, 1), index, size, proof)
    for size in BIG_SIZES:
        tree = _synthetic_tree(size)
        for index in {0, 1, size // 2, size - 2, size - 1, min(2**32, size - 1), v.rng.randrange(size)}:
            _inclusion(
                v, "inclusion", tree.subtree_root(index, 1), index, size, tree.inclusion_proof(index, size)
            )
            proof = tree.inclusion_proof(index, size)
            _inclusion(v, "tampered inclusion", tree.subtree_root(index, 1), index, size, proof[:-1])
            _inclusion(v, "tampered inclusion", tree.subtree_root(index, 1), index ^ 1, size, proof)
    for size, index in v.rng.sample(pairs, 150):
        leaf, proof = TREE.subtree_root(index, 1), TREE.inclusion_proof(index, size)
        for bad_leaf, bad_index, bad_size, bad_proof in [
            (leaf, index, size, proof[:-1]),
            (leaf, index, size, [*proof, v.some_hash()]),
            (leaf, index, size, [v.flipped(p) if i == len(proof) // 2 else p for i, p in enumerate(proof)]),
            (v.flipped(leaf), index, size, proof),
            (leaf, index + 1, size, proof),
            (leaf, index - 1, size, proof),
            (leaf, index, size + 1, proof),
            (leaf, index, size - 1, proof),
            (leaf, index, size, [p[:31] for p in proof]),
            (leaf[:31], index, size, proof),
        ]:
            _inclusion(v, "tampered inclusion", bad_leaf, bad_index, bad_size, bad_proof)


def _consistency(v: Vectors, group: str, m: int, n: int, root1: bytes, root2: bytes, proof) -> None:
    case: dict[str, Any] = {
        "op": "consistency",
        "size1": str(m),
        "size2": str(n),
        "root1": _hex(root1),
        "root2": _hex(root2),
    }
    case["proof"] = [_hex(p) for p in proof]
    reason = None
    if 0 < m < n:
        try:
            roots_from_consistency_proof(m, n, root1, proof)
        except ProofError as exc:
            reason = str(exc)
    v.add(group, case, {"ok": verify_consistency(m, n, root1, root2, proof), "reason": reason})


def _consistency_vectors(v: Vectors) -> None:
    pairs = [(m, n) for n in range(1, 41) for m in range(n + 1)]
    for _ in range(60):
        low, high = sorted(v.rng.sample(range(1, len(LEAVES) + 1), 2))
        pairs.append((low, high))
    for m, n in pairs:
        _consistency(v, "consistency", m, n, TREE.root(m), TREE.root(n), TREE.consistency_proof(m, n))
    for n in BIG_SIZES:
        for m in {1, 2**31, n // 2 + 1, n - 1, v.rng.randrange(1, n)} - {n}:
            tree = _synthetic_tree(n)
            proof = tree.consistency_proof(m, n)
            root1, root2 = roots_from_consistency_proof(m, n, tree.root(m), proof)
            _consistency(v, "consistency", m, n, root1, root2, proof)
            _consistency(v, "tampered consistency", m, n, root1, v.flipped(root2), proof)
            _consistency(v, "tampered consistency", m, n, root1, root2, proof[:-1])
    for m, n in v.rng.sample([p for p in pairs if 0 < p[0] < p[1]], 120):
        root1, root2, proof = TREE.root(m), TREE.root(n), TREE.consistency_proof(m, n)
        at = v.rng.randrange(len(proof))
        for bad in [
            (m, n, root1, root2, [v.flipped(p) if i == at else p for i, p in enumerate(proof)]),
            (m, n, root1, root2, proof[:-1]),
            (m, n, root1, root2, proof[1:]),
            (m, n, root1, root2, [*proof, v.some_hash()]),
            (m, n, v.flipped(root1), root2, proof),
            (m, n, root1, v.flipped(root2), proof),
            (m - 1, n, root1, root2, proof),
            (m + 1, n, root1, root2, proof),
            (m, n + 1, root1, root2, proof),
            (n, m, root2, root1, proof),
            (m, n, root1[:31], root2, proof),
        ]:
            _consistency(v, "tampered consistency", *bad)
    for m, root1, root2, proof in [
        (5, TREE.root(5), TREE.root(5), []),
        (5, TREE.root(5), TREE.root(6), []),
        (5, TREE.root(5), TREE.root(5), [TREE.root(1)]),
        (0, TREE.root(0), TREE.root(5), [TREE.root(1)]),
        (-1, TREE.root(0), TREE.root(5), []),
    ]:
        _consistency(v, "tampered consistency", m, 5, root1, root2, proof)


def _record(**changes: Any) -> SettlementRecord:
    fields: dict[str, Any] = {
        "transfer_id": "tr-2026-12-000117",
        "source": AccountRef(registry_id="verra", account_id="4471"),
        "destination": AccountRef(registry_id="hk-core-climate", account_id="HKCC-00981"),
        "serial_space": "VCS",
        "programme": "VCS",
        "unit_type": "VCU",
        "project_id": "1060",
        "vintage": "01012019-31122019",
        "start": 115597313,
        "end": 115598312,
        "quantity": 1000,
        "settled_at": datetime(2026, 12, 4, 10, 11, 12, 123456, tzinfo=UTC),
    }
    return SettlementRecord(**(fields | changes))


RECORDS = [
    _record(),
    _record(
        transfer_id="转让-二〇二六-001",
        source=AccountRef(registry_id="香港核心气候", account_id="账户-甲"),
        destination=AccountRef(registry_id="廣州碳排放權交易所", account_id="乙-02"),
        programme="黄金标准",
        project_id="",
        vintage="",
    ),
    _record(
        transfer_id="\ufeffBOM first", serial_space="e\u0301 not é", unit_type="🌳 tCO₂e", vintage="\x00\x7f"
    ),
    _record(start=U64_MAX, end=U64_MAX, quantity=1),
    _record(start=0, end=U64_MAX - 1, quantity=U64_MAX),
    _record(settled_at=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
    _record(settled_at=datetime(1900, 2, 28, 1, 2, 3, 4, tzinfo=UTC)),
    _record(settled_at=datetime(1970, 1, 1, tzinfo=UTC)),
    _record(settled_at=datetime.min.replace(tzinfo=UTC)),
    _record(settled_at=datetime.max.replace(tzinfo=UTC)),
    _record(settled_at=datetime(2026, 12, 4, 18, 11, 12, 5, tzinfo=UTC) - timedelta(hours=8)),
]


def _fields(texts: list[bytes], words: list[bytes]) -> bytes:
    return b"\x01" + b"".join(len(f).to_bytes(4, "big") + f for f in [*texts, *words])


_TEXTS = [b"tr-1", b"verra", b"4471", b"hk", b"HKCC-1", b"VCS", b"VCS", b"VCU", b"1060", b"2019"]
_WORDS = [(1).to_bytes(8, "big"), (10).to_bytes(8, "big"), (10).to_bytes(8, "big"), bytes(8)]
MALFORMED_LEAVES = [
    b"",
    b"\x02" + _fields(_TEXTS, _WORDS)[1:],
    bytes.fromhex("0100000011"),
    bytes.fromhex("01000000017a"),
    bytes.fromhex("0100000001ff"),
    _fields(_TEXTS, _WORDS)[:-3],
    _fields(_TEXTS, _WORDS[:3]),
    _fields(_TEXTS, [*_WORDS, b""]),
    _fields(_TEXTS, [_WORDS[0][1:], *_WORDS[1:]]),
    _fields(_TEXTS, [*_WORDS[:3], bytes(9)]),
    _fields([b"\xed\xa0\x80", *_TEXTS[1:]], _WORDS),  # a UTF-16 surrogate is not UTF-8
    _fields([b"\xc3", *_TEXTS[1:]], _WORDS),
    _fields([b"", *_TEXTS[1:]], _WORDS),
    _fields(_TEXTS, [_WORDS[0], _WORDS[1], (11).to_bytes(8, "big"), _WORDS[3]]),
    _fields(_TEXTS, [(1).to_bytes(8, "big"), bytes(8), bytes(8), _WORDS[3]]),
    _fields(_TEXTS, [*_WORDS[:3], (2**63 - 1).to_bytes(8, "big")]),
]


def _leaf_vectors(v: Vectors) -> None:
    for length in [0, 1, 31, 32, 55, 56, 63, 64, 65, 119, 120, 1000]:
        leaf = v.rng.randbytes(length)
        v.add("leaf hash", {"op": "leafHash", "leaf": _hex(leaf)}, {"result": _hex(leaf_hash(leaf))})
    for _ in range(5):
        left, right = v.some_hash(), v.some_hash()
        case = {"op": "nodeHash", "left": _hex(left), "right": _hex(right)}
        v.add("leaf hash", case, {"result": _hex(node_hash(left, right))})
    for record in RECORDS:
        leaf = encode_settlement(record)
        assert decode_settlement(leaf) == record
        texts = [f.decode() for f in _split(leaf)[:10]]
        expected: dict[str, Any] = dict(zip(FIELD_ORDER, texts, strict=False))
        expected |= {"start": str(record.start), "end": str(record.end), "quantity": str(record.quantity)}
        expected["settled_at"] = record.settled_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        v.add("decode", {"op": "decodeLeaf", "leaf": _hex(leaf)}, {"result": expected})
    for leaf in MALFORMED_LEAVES:
        try:
            decode_settlement(leaf)
        except InvalidInput as exc:
            expected = {"error": "Error", "message": str(exc)}
        except (ValidationError, OverflowError):
            expected = {"error": "Error"}  # pydantic's or datetime's words; the page words its own
        else:
            raise AssertionError(f"Python decodes the malformed leaf {leaf.hex()}")
        v.add("malformed leaf", {"op": "decodeLeaf", "leaf": _hex(leaf)}, expected)


def _split(leaf: bytes) -> list[bytes]:
    offset, fields = 1, []
    while offset < len(leaf):
        length = int.from_bytes(leaf[offset : offset + 4], "big")
        fields.append(leaf[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return fields


RECEIPT_LEAVES = [encode_settlement(r) for r in RECORDS]
RECEIPT_TREE = TreeHasher([leaf_hash(leaf) for leaf in RECEIPT_LEAVES])


def receipt_for(index: int, size: int, **changes: Any) -> SettlementReceipt:
    receipt = issue_receipt(
        RECEIPT_LEAVES[index],
        index,
        RECEIPT_TREE,
        size,
        chain_id=131277322940537,
        contract_address=CONTRACT,
        anchor_tx_hash=TX_HASH,
        anchor_block_number=2,
    )
    return receipt.model_copy(update=changes)


def _proof_vectors(v: Vectors) -> None:
    base = receipt_for(1, 11)
    proof = list(base.inclusion_proof)
    other_root = _hex(RECEIPT_TREE.root(10))
    variants = [
        base,
        receipt_for(0, 1),
        receipt_for(10, 11),
        base.model_copy(update={"leaf": _hex(RECEIPT_LEAVES[2])}),
        base.model_copy(update={"root": other_root}),
        base.model_copy(update={"inclusion_proof": tuple(proof[:-1])}),
        base.model_copy(update={"inclusion_proof": (*proof, other_root)}),
        base.model_copy(update={"inclusion_proof": (proof[1], proof[0], *proof[2:])}),
        base.model_copy(update={"leaf_index": 2}),
        base.model_copy(update={"tree_size": 10}),
        base.model_copy(update={"tree_size": 2**40 + 3}),
    ]
    for receipt in variants:
        case = {"op": "checkProof", "receipt": receipt.model_dump(mode="json")}
        v.add("check proof", case, {"result": check_proof(receipt).model_dump()})
    raw = base.model_dump(mode="json")
    loose = raw | {"root": raw["root"][2:].upper(), "leaf": raw["leaf"].upper().replace("0X", "0x")}
    loose |= {"inclusion_proof": [p.upper().replace("0X", "0x") for p in proof], "tree_size": "11"}
    check = check_proof(SettlementReceipt.model_validate(loose)).model_dump()
    v.add("check proof", {"op": "checkProof", "receipt": loose}, {"result": check})
    breakages: list[dict[str, Any]] = [
        {"leaf_index": 11},
        {"leaf_index": -1},
        {"tree_size": 0},
        {"tree_size": "eleven"},
        {"root": raw["root"][:-2]},
        {"root": raw["root"] + "0"},
        {"leaf": "0xabc"},
        {"inclusion_proof": [*proof[:-1], proof[-1][:-2]]},
        {"inclusion_proof": None},
        {"contract_address": CONTRACT[:-1]},
        {"chain_id": 0},
        {"anchor_tx_hash": "0x12"},
        {"anchor_block_number": None},
    ]
    for broken in breakages:
        with pytest.raises(ValidationError):
            SettlementReceipt.model_validate(raw | broken)
        v.add("invalid receipt", {"op": "checkProof", "receipt": raw | broken}, None)


class ScriptedNode(BaseProvider):
    """A node for web3 answering from the same script the driver's stand-in fetch reads."""

    def __init__(self, answers: dict[str, Any]) -> None:
        super().__init__()
        self.answers = answers

    def make_request(self, method, params):
        key = f"eth_call:{params[0]['data'][:10]}" if method == "eth_call" else method
        return {"jsonrpc": "2.0", "id": 1, **self.answers[key]}

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def _abi(name: str) -> dict[str, Any]:
    [entry] = [e for e in load_artifact().abi if e.get("name") == name]
    return entry


ROOT_AT = "eth_call:" + _hex(function_abi_to_4byte_selector(_abi("root_at")))
BLOCK_AT = "eth_call:" + _hex(function_abi_to_4byte_selector(_abi("block_at")))
ANCHORED = _hex(event_abi_to_log_topic(_abi("Anchored")))
ANCHOR_TX = {"status": "0x1", "blockNumber": "0x2", "blockHash": BLOCK_HASH, "transactionHash": TX_HASH}


def _word(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


def _script(
    receipt: SettlementReceipt, changes: dict[str, Any] | None = None, raw: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A node's answers, by method, where `receipt` verifies with 3 confirmations.

    `changes` replace results (key "log" changes the Anchored log); `raw` replaces whole
    answers, such as a JSON-RPC error or the driver's {http} and {body} failures.
    """
    changes = dict(changes or {})
    log = {
        "address": CONTRACT.lower(),
        "topics": [ANCHORED, _word(receipt.tree_size)],
        "data": receipt.root,
        "logIndex": "0x0",
        "transactionIndex": "0x0",
        "transactionHash": TX_HASH,
        "blockHash": BLOCK_HASH,
        "blockNumber": "0x2",
    } | changes.pop("log", {})
    results: dict[str, Any] = {
        "eth_chainId": hex(receipt.chain_id),
        "eth_getCode": "0x6003",
        ROOT_AT: receipt.root,
        BLOCK_AT: _word(2),
        "eth_getTransactionReceipt": ANCHOR_TX | {"logs": [log]},
        "eth_getBlockByNumber": {"number": "0x2", "hash": BLOCK_HASH},
        "eth_blockNumber": "0x4",
        "eth_getTransactionByHash": None,  # tx_status asks when the block is no longer canonical
    } | changes
    return {key: {"result": value} for key, value in results.items()} | (raw or {})


def _scripted_vectors(v: Vectors) -> None:
    receipt = receipt_for(3, 11)
    same: list[dict[str, Any]] = [
        {},
        {"eth_chainId": "0x1"},
        {"eth_getCode": "0x"},
        {ROOT_AT: "0x" + "00" * 32},
        {ROOT_AT: _hex(RECEIPT_TREE.root(10))},
        {BLOCK_AT: _word(3)},
        {"eth_getTransactionReceipt": None},
        {"eth_getTransactionReceipt": ANCHOR_TX | {"status": "0x0", "logs": []}},
        {"eth_getTransactionReceipt": ANCHOR_TX | {"blockNumber": "0x3", "logs": []}},
        {"eth_getTransactionReceipt": ANCHOR_TX | {"logs": []}},
        {"log": {"topics": ["0x" + "99" * 32, _word(receipt.tree_size)]}},
        {"log": {"topics": [ANCHORED, _word(receipt.tree_size + 1)]}},
        {"log": {"data": _hex(RECEIPT_TREE.root(10))}},
        {"log": {"address": CONTRACT.upper().replace("0X", "0x")}},
        {"eth_getBlockByNumber": {"number": "0x2", "hash": "0x" + "ee" * 32}},
        {"eth_blockNumber": "0x2"},
    ]
    as_json = receipt.model_dump(mode="json")
    for changes in same:
        answers = _script(receipt, changes)
        for minimum in (1, 3, 4):
            python = verify_receipt(receipt, Web3(ScriptedNode(answers)), min_confirmations=minimum)
            case = {
                "op": "verifyReceipt",
                "receipt": as_json,
                "answers": answers,
                "min_confirmations": minimum,
            }
            v.add("scripted node", case, python.model_dump())
    # verify.py's process_receipt takes an Anchored event from any address; the page wants the contract's own.
    answers = _script(receipt, {"log": {"address": "0x" + "11" * 20}})
    v.add(
        "log of another contract",
        {"op": "verifyReceipt", "receipt": as_json, "answers": answers},
        f"transaction {TX_HASH} did not anchor tree size 11",
    )
    misbehaving: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({}, {"eth_chainId": {"error": {"code": -32000, "message": "node is syncing"}}}),
        ({}, {"eth_chainId": {"http": 502}}),
        ({}, {"eth_chainId": {"body": "<html>gateway timeout</html>"}}),
        ({}, {"eth_blockNumber": {"error": {"code": -32000, "message": "head unknown"}}}),
        ({"eth_chainId": "seven"}, {}),
        ({ROOT_AT: "0x1234"}, {}),
        ({"eth_getTransactionReceipt": {"status": "0x1"}}, {}),
    ]
    for changes, raw in misbehaving:
        answers = _script(receipt, changes, raw)
        v.add("misbehaving node", {"op": "verifyReceipt", "receipt": as_json, "answers": answers}, None)
    v.add("misbehaving node", {"op": "verifyReceipt", "receipt": as_json, "url": "http://127.0.0.1:1"}, None)


@pytest.fixture(scope="module")
def js() -> dict[str, list[tuple[dict[str, Any], Any, dict[str, Any]]]]:
    """Each group's (case, Python's answer, the page's answer), from one Node run."""
    v = Vectors()
    for build in (_inclusion_vectors, _consistency_vectors, _leaf_vectors, _proof_vectors, _scripted_vectors):
        build(v)
    v.add("constants", {"op": "constants"}, None)
    for text in ["", "0x", "00ff", "0xABcd", "0x0", "abc", "0xzz", "0X12", "12 34"]:
        v.add("hex", {"op": "hexRoundTrip", "hex": text}, None)
    flat = [(group, case, expected) for group, items in v.groups.items() for case, expected in items]
    results = run_verify_js([case for _, case, _ in flat])
    answers: dict[str, list[tuple[dict[str, Any], Any, dict[str, Any]]]] = defaultdict(list)
    for (group, case, expected), result in zip(flat, results, strict=True):
        answers[group].append((case, expected, result))
    return answers


def test_leaf_and_node_hashes_are_sha256_with_the_rfc_prefixes(js):
    for case, expected, result in js["leaf hash"]:
        assert result == expected, case


def test_inclusion_roots_match_merkle_py_including_sizes_past_2_to_the_53(js):
    genuine = js["inclusion"]
    assert len(genuine) > 2500 and any(int(case["size"]) > 2**53 for case, _, _ in genuine)
    for case, expected, result in genuine:
        assert "result" in expected, case
        assert result == expected, case


def test_tampered_inclusion_proofs_fail_as_merkle_py_says(js):
    cases = js["tampered inclusion"]
    for case, expected, result in cases:
        assert result == expected, case
    messages = {result.get("message", "") for _, _, result in cases}
    for phrase in ("is longer than", "is shorter than", "is outside a tree", "bytes, not 32"):
        assert any(phrase in message for message in messages), phrase


def test_consistency_proofs_verify(js):
    for case, expected, result in js["consistency"]:
        assert expected["ok"], case
        assert result["result"]["ok"] is True, (case, result)


def test_tampered_consistency_proofs_roots_and_sizes_fail(js):
    cases = js["tampered consistency"]
    assert sum(not expected["ok"] for _, expected, _ in cases) > 1000
    for case, expected, result in cases:
        assert result["result"]["ok"] is expected["ok"], (case, result)
        if expected["reason"] is not None:
            assert result["result"]["reason"] == expected["reason"], case


def test_decoded_leaves_are_the_encoded_records(js):
    for case, expected, result in js["decode"]:
        assert result == expected, case


def test_malformed_leaves_are_refused_in_leaf_py_words(js):
    for case, expected, result in js["malformed leaf"]:
        assert result.get("error") == "Error", (case, result)
        if "message" in expected:
            assert result["message"] == expected["message"], case


def test_check_proof_words_every_verdict_as_verify_py(js):
    verdicts = js["check proof"]
    assert {expected["result"]["ok"] for _, expected, _ in verdicts} == {True, False}
    for case, expected, result in verdicts:
        assert {key: result["result"][key] for key in ("ok", "reason")} == expected["result"], case


def test_malformed_receipts_are_refused_before_any_hashing(js):
    for case, _, result in js["invalid receipt"]:
        assert result["result"]["ok"] is False, case
        assert result["result"]["reason"].startswith("not a valid settlement receipt: "), result


def test_verdicts_against_a_node_match_verify_py_word_for_word(js):
    verdicts = js["scripted node"]
    assert {expected["ok"] for _, expected, _ in verdicts} == {True, False}
    for case, expected, result in verdicts:
        verdict = result["result"]
        assert (verdict["ok"], verdict["reason"]) == (expected["ok"], expected["reason"]), case
        steps = verdict["steps"]
        assert [s["name"] for s in steps] == ["proof", "anchor", "confirmations"][: len(steps)]
        assert all(s["ok"] for s in steps[:-1]) and steps[-1]["ok"] is expected["ok"]


def test_an_anchored_event_must_come_from_the_receipts_contract(js):
    [(_, expected, result)] = js["log of another contract"]
    assert result["result"]["ok"] is False
    assert result["result"]["reason"] == expected


def test_an_unreachable_or_misbehaving_node_is_a_plain_no(js):
    for case, _, result in js["misbehaving node"]:
        verdict = result["result"]
        assert verdict["ok"] is False, case
        assert verdict["reason"].startswith("cannot read the chain: "), verdict
        assert verdict["steps"][-1]["reason"] == verdict["reason"]


def test_keccak_constants_are_the_contracts_selectors_and_event_topic(js):
    [(_, _, result)] = js["constants"]
    assert result["result"] == {
        "ROOT_AT_SELECTOR": _hex(function_abi_to_4byte_selector(_abi("root_at"))),
        "BLOCK_AT_SELECTOR": _hex(function_abi_to_4byte_selector(_abi("block_at"))),
        "ANCHORED_TOPIC": _hex(event_abi_to_log_topic(_abi("Anchored"))),
        "FIELD_ORDER": list(FIELD_ORDER),
    }
    assert result["result"]["ROOT_AT_SELECTOR"] == "0x" + Web3.keccak(text="root_at(uint256)")[:4].hex()


def test_hex_helpers(js):
    answers = {case["hex"]: result for case, _, result in js["hex"]}
    assert answers["0xABcd"] == {"result": "0xabcd"}
    assert answers["00ff"] == {"result": "0x00ff"}
    assert answers[""] == answers["0x"] == {"result": "0x"}
    for bad in ["0x0", "abc", "0xzz", "0X12", "12 34"]:
        assert answers[bad]["error"] == "Error", bad


def _verdicts(result: Any) -> list[dict[str, Any]]:
    """Every verdict in a driver's answer: the answer itself, when it is one, and its steps."""
    verdict = result.get("result") if isinstance(result, dict) else None
    if not isinstance(verdict, dict) or "reason" not in verdict:
        return []
    return [verdict, *verdict.get("steps", [])]


def test_every_reason_the_verifier_gives_has_its_chinese_words_with_every_place_filled(js):
    """A Chinese page says each verdict in Chinese: the code is in REASONS_ZH, and its values fill it."""
    source = (Path(__file__).parents[2] / "gateway/public_site/static/verify.js").read_text()
    assert set(re.findall(r"\b(?:yes|no)\('([a-z-]+)'", source)) == set(REASONS_ZH)
    given = set()
    for cases in js.values():
        for _, _, result in cases:
            for verdict in _verdicts(result):
                template = REASONS_ZH[verdict["code"]]
                places = {name for _, name, _, _ in Formatter().parse(template) if name}
                assert places <= set(verdict["values"]), verdict
                given.add(verdict["code"])
    assert len(given) >= 15, given  # the vectors reach most of them, failing and passing
