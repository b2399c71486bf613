"""What anchoring the settlement log's tree head costs on a chain, against one transaction per transfer.

The gateway commits many settlements with one `anchor(size, root)` transaction and
hands each settlement an inclusion proof instead. This puts figures on that trade:

- on the embedded py-evm chain, transactions and gas (from the receipts) to anchor N
  synthetic settlements once per batch of 1,000 and once per batch of 10,000, and for
  the naive design that anchors each transfer's leaf hash in a transaction of its own
  (`anchor(i, leaf_hash)` with the size growing by one), each on a freshly deployed contract;
- what the proofs cost instead: RFC 9162 inclusion proof size in bytes, the time to
  build a tree's root, and the median time to verify one proof, for trees of 10
  thousand, 100 thousand and 1 million leaves.

    .venv/bin/python bench/anchoring.py [--quick] [--transfers 10000] [--batches 1000,10000]
        [--tree-sizes 10000,100000,1000000] [--json PATH] [--csv PATH]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hexbytes import HexBytes
from web3 import Web3

from bench.measure import Row, median, peak_rss_mb, print_table, progress, ratio, write_csv, write_json
from domain.transfers import AccountRef
from ledger_anchor.chain import GatewaySigner, TxFees, build_signed_anchor_tx, current_fees, deploy, send_raw
from ledger_anchor.embedded_chain import EmbeddedChain
from ledger_anchor.leaf import SettlementRecord, settlement_leaf_hash
from ledger_anchor.merkle import TreeHasher, leaf_hash, verify_inclusion

DEFAULT_TRANSFERS = 10_000
DEFAULT_BATCHES = (1_000, 10_000)
DEFAULT_TREE_SIZES = (10_000, 100_000, 1_000_000)
QUICK_TRANSFERS = 500
QUICK_BATCHES = (100, 500)
QUICK_TREE_SIZES = (1_000, 10_000, 100_000)
PROOFS_PER_SIZE = 1_000
T0 = datetime(2026, 1, 5, tzinfo=UTC)
SEED = 9162


def settlement(i: int) -> SettlementRecord:
    """The i-th synthetic settled transfer: a CCER block moved to Hong Kong."""
    start = 1 + 1_000 * i
    return SettlementRecord(
        transfer_id=f"bench-{i:08d}",
        source=AccountRef(registry_id="cn-ccer", account_id=f"owner-{i % 509}"),
        destination=AccountRef(registry_id="hk-core-climate", account_id=f"buyer-{i % 211}"),
        serial_space=f"CCER:{100_000 + i % 3_000}:2024:1",
        programme="CCER",
        unit_type="CCER",
        project_id=str(100_000 + i % 3_000),
        vintage="2024",
        start=start,
        end=start + 99,
        quantity=100,
        settled_at=T0 + timedelta(seconds=i),
    )


class Anchorer:
    """Sends anchor transactions from the gateway's key, tracking its nonce, and totals their receipts."""

    def __init__(self, w3: Web3, signer: GatewaySigner, contract: str, fees: TxFees) -> None:
        self.w3, self.signer, self.contract, self.fees = w3, signer, contract, fees
        self.nonce = int(w3.eth.get_transaction_count(signer.address))
        self.transactions = 0
        self.gas = 0

    def anchor(self, size: int, root: bytes) -> None:
        raw = build_signed_anchor_tx(
            self.w3, self.signer, self.contract, size, root, self.nonce, fees=self.fees
        )
        receipt = self.w3.eth.get_transaction_receipt(HexBytes(send_raw(self.w3, raw)))
        if receipt["status"] != 1:
            raise RuntimeError(f"anchoring tree size {size} reverted")
        self.nonce += 1
        self.transactions += 1
        self.gas += int(receipt["gasUsed"])


def anchor_run(chain: EmbeddedChain, design: str, leaves: list[bytes], batch: int | None) -> Row:
    """Anchor `leaves` on a fresh contract: every `batch` settlements, or one per transfer when None."""
    fees = current_fees(chain.w3)
    contract = deploy(chain.w3, chain.signer, fees=fees)
    anchorer = Anchorer(chain.w3, chain.signer, contract, fees)
    tree = TreeHasher(leaves)
    started = time.perf_counter()
    if batch is None:
        for i, leaf in enumerate(leaves, start=1):
            anchorer.anchor(i, leaf)
            if i % 100 == 0 or i == len(leaves):
                progress(f"{design}: {i:,}/{len(leaves):,} transactions")
    else:
        sizes = [*range(batch, len(leaves), batch), len(leaves)]
        for size in sizes:
            anchorer.anchor(size, tree.root(size))
        progress(f"{design}: {len(sizes):,} transactions")
    seconds = time.perf_counter() - started
    progress(f"{design}: done in {seconds:.0f} s", done=True)
    return {
        "design": design,
        "settlements": len(leaves),
        "transactions": anchorer.transactions,
        "gas": anchorer.gas,
        "gas_per_settlement": anchorer.gas / len(leaves),
        "seconds": seconds,
    }


def proof_costs(size: int, rng: random.Random) -> Row:
    """Build a tree of `size` synthetic leaves; proof size, build time and verification time."""
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(size)]
    tree = TreeHasher(leaves)
    started = time.perf_counter()
    root = tree.root(size)
    build_s = time.perf_counter() - started
    indices = [rng.randrange(size) for _ in range(PROOFS_PER_SIZE)]
    proofs = [tree.inclusion_proof(i, size) for i in indices]
    verify_us = []
    for index, proof in zip(indices, proofs, strict=True):
        began = time.perf_counter_ns()
        ok = verify_inclusion(leaves[index], index, size, proof, root)
        verify_us.append((time.perf_counter_ns() - began) / 1_000)
        if not ok:
            raise AssertionError(f"the proof of leaf {index} in a tree of {size} did not verify")
    lengths = [32 * len(p) for p in proofs]
    progress(f"tree of {size:,} leaves: root in {build_s:.2f} s", done=True)
    return {
        "leaves": size,
        "build_root_s": build_s,
        "proof_bytes_min": min(lengths),
        "proof_bytes_max": max(lengths),
        "verify_median_us": median(verify_us),
    }


def report(anchoring: list[Row], ratios: list[Row], proofs: list[Row]) -> None:
    print_table(
        anchoring,
        [
            ("design", "design", ""),
            ("settlements", "settlements", ","),
            ("transactions", "transactions", ","),
            ("gas", "gas", ","),
            ("gas_per_settlement", "gas/settlement", ",.0f"),
            ("seconds", "chain s", ".1f"),
        ],
    )
    print()
    for row in ratios:
        print(
            f"naive / {row['design']}: {row['transactions_ratio']:,.0f}x transactions, "
            f"{row['gas_ratio']:,.0f}x gas"
        )
    print()
    print_table(
        proofs,
        [
            ("leaves", "tree leaves", ","),
            ("build_root_s", "build root s", ".3f"),
            ("proof_bytes_min", "proof bytes min", ","),
            ("proof_bytes_max", "proof bytes max", ","),
            ("verify_median_us", "verify median µs", ".1f"),
        ],
    )
    print(f"\npeak RSS {peak_rss_mb():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--transfers", type=int, help=f"settlements to anchor (default {DEFAULT_TRANSFERS:,})"
    )
    parser.add_argument("--batches", help="comma-separated settlements per anchor (default 1000,10000)")
    parser.add_argument("--tree-sizes", help="comma-separated tree sizes for proofs (default 10k,100k,1M)")
    parser.add_argument("--quick", action="store_true", help="500 transfers, small trees: under a minute")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--csv", type=Path, help="also write one row per design and tree size here as CSV")
    args = parser.parse_args()
    transfers = args.transfers or (QUICK_TRANSFERS if args.quick else DEFAULT_TRANSFERS)
    batches = _sizes(args.batches, QUICK_BATCHES if args.quick else DEFAULT_BATCHES)
    tree_sizes = _sizes(args.tree_sizes, QUICK_TREE_SIZES if args.quick else DEFAULT_TREE_SIZES)

    leaves = [settlement_leaf_hash(settlement(i)) for i in range(transfers)]
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as folder, EmbeddedChain(Path(folder)) as chain:
        batched = [anchor_run(chain, f"batch of {b:,}", leaves, b) for b in batches]
        naive = anchor_run(chain, "one per transfer", leaves, None)
    ratios = [
        {
            "design": row["design"],
            "transactions_ratio": ratio(naive["transactions"], row["transactions"]),
            "gas_ratio": ratio(naive["gas"], row["gas"]),
        }
        for row in batched
    ]
    rng = random.Random(SEED)
    proofs = [proof_costs(size, rng) for size in tree_sizes]
    report([*batched, naive], ratios, proofs)
    write_json(
        args.json,
        {"anchoring": [*batched, naive], "ratios": ratios, "proofs": proofs, "peak_rss_mb": peak_rss_mb()},
    )
    write_csv(
        args.csv,
        [
            *({"table": "anchoring", **r} for r in [*batched, naive]),
            *({"table": "proofs", **r} for r in proofs),
        ],
    )


def _sizes(text: str | None, default: Sequence[int]) -> list[int]:
    return [int(s) for s in text.split(",")] if text else list(default)


if __name__ == "__main__":
    main()
