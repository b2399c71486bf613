"""The settlement log's Merkle tree over the ledger, kept incrementally.

The ledger stores the roots of the tree's perfect subtrees and how many leaves
they cover (its frontier); `ledger_anchor.merkle` hashes. `extend` brings the
stored subtrees up to the log's size, reading only the leaves added since the
last extension (the anchor run calls it), and `reading` answers roots and proofs
from the stored subtrees plus the few leaves past the frontier: O(log n) reads
and hashes in one read transaction, whatever the log's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ledger import Ledger
from ledger.store import LogTreeReader
from ledger_anchor.merkle import Node, TreeHasher, compact_range, extend, leaf_hash

# Leaves read per ledger query while extending.
_EXTEND_CHUNK = 10_000


class _LeafHashes:
    """Leaf hashes of the first `size` leaves, each read when asked for (a proof wants a few)."""

    def __init__(self, reader: LogTreeReader, size: int) -> None:
        self._reader = reader
        self._size = size
        self._read: dict[int, bytes] = {}

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        if index not in self._read:
            self._read[index] = leaf_hash(self._reader.leaf(index))
        return self._read[index]


class LedgerTree:
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def _frontier_nodes(self, reader: LogTreeReader, covered: int) -> list[Node]:
        leaves = _LeafHashes(reader, covered)
        nodes = []
        for level, index in compact_range(covered):
            stored = leaves[index] if level == 0 else reader.node(level, index)
            if stored is None:
                raise RuntimeError(f"the log tree's node {level}/{index} is missing below its frontier")
            nodes.append(Node(level, index, stored))
        return nodes

    def extend(self, on_chunk: Callable[[], object] = lambda: None) -> int:
        """Store the subtree roots the log's new leaves complete; the leaves now covered.

        Idempotent: an extension that finds the frontier moved by another stores nothing.
        `on_chunk` is called after each stored chunk (the anchor run heartbeats there).
        """
        size = self._ledger.log_size()
        covered = self._ledger.log_tree_frontier()
        while covered < size:
            upto = min(size, covered + _EXTEND_CHUNK)
            hashes = [leaf_hash(leaf) for leaf in self._ledger.log_leaf_range(covered, upto)]
            with self._ledger.log_tree_reading() as reader:
                frontier = self._frontier_nodes(reader, covered)
            completed, _ = extend(frontier, hashes, covered)
            self._ledger.extend_log_tree(covered, upto, [(n.level, n.position, n.hash) for n in completed])
            covered = self._ledger.log_tree_frontier()
            on_chunk()
        return covered

    @contextmanager
    def reading(self, size: int) -> Iterator[TreeHasher]:
        """Roots and proofs for trees of up to `size` leaves, from the stored subtrees where they reach."""
        with self._ledger.log_tree_reading() as reader:
            if not 0 <= size <= reader.size():
                raise ValueError(f"the log holds no tree of size {size}")
            yield TreeHasher(_LeafHashes(reader, size), known=reader.node)
