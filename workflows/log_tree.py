"""The settlement log's Merkle tree over the ledger, kept incrementally.

The ledger stores the roots of the tree's perfect subtrees and how many leaves
they cover (its frontier); `ledger_anchor.merkle` hashes. `extend` brings the
stored subtrees up to the log's size, reading only the leaves added since the
last extension (the anchor run calls it), and `hasher` answers roots and proofs
from the stored subtrees plus the few leaves past the frontier: O(log n) reads
and hashes, whatever the log's size.
"""

from __future__ import annotations

from ledger import Ledger
from ledger_anchor.merkle import Node, TreeHasher, compact_range, extend, leaf_hash

# Leaves read per ledger query while extending.
_EXTEND_CHUNK = 10_000


class _LedgerLeafHashes:
    """Leaf hashes of the first `size` leaves, each read from the ledger when asked for."""

    def __init__(self, ledger: Ledger, size: int) -> None:
        self._ledger = ledger
        self._size = size
        self._read: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        if index not in self._read:
            [leaf] = self._ledger.log_leaf_range(index, index + 1)
            self._read[index] = leaf_hash(leaf)
        return self._read[index]


class LedgerTree:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def _node(self, level: int, index: int) -> bytes | None:
        return self._ledger.log_tree_node(level, index)

    def _frontier_nodes(self, covered: int) -> list[Node]:
        leaves = _LedgerLeafHashes(self._ledger, covered)
        nodes = []
        for level, index in compact_range(covered):
            stored = leaves[index] if level == 0 else self._node(level, index)
            if stored is None:
                raise RuntimeError(f"the log tree's node {level}/{index} is missing below its frontier")
            nodes.append(Node(level, index, stored))
        return nodes

    def extend(self) -> int:
        """Store the subtree roots the log's new leaves complete; the leaves now covered.

        Idempotent: an extension that finds the frontier moved by another stores nothing.
        """
        size = self._ledger.log_size()
        covered = self._ledger.log_tree_frontier()
        while covered < size:
            upto = min(size, covered + _EXTEND_CHUNK)
            hashes = [leaf_hash(leaf) for leaf in self._ledger.log_leaf_range(covered, upto)]
            completed, _ = extend(self._frontier_nodes(covered), hashes, covered)
            self._ledger.extend_log_tree(covered, upto, [(n.level, n.position, n.hash) for n in completed])
            covered = self._ledger.log_tree_frontier()
        return covered

    def hasher(self, size: int) -> TreeHasher:
        """Roots and proofs for trees of up to `size` leaves, from the stored subtrees where they reach."""
        if not 0 <= size <= self._ledger.log_size():
            raise ValueError(f"the log holds no tree of size {size}")
        return TreeHasher(_LedgerLeafHashes(self._ledger, size), known=self._node)
