"""The settlement log's Merkle tree over the ledger, kept incrementally.

The ledger stores the roots of the tree's perfect subtrees and how many leaves
they cover (its frontier); `ledger_anchor.merkle` hashes. `extend` brings the
stored subtrees up to the log's size, reading only the leaves added since the
last extension (the anchor run calls it), and `reading` answers roots and proofs
from the stored subtrees plus the few leaves past the frontier: O(log n) hashes
and at most three queries (nodes, leaves below the frontier, leaves past it) in
one read transaction, whatever the log's size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from ledger import Ledger
from ledger.store import LogTreeReader
from ledger_anchor.merkle import Node, TreeHasher, compact_range, extend, leaf_hash

T = TypeVar("T")

# Leaves read per ledger query while extending.
_EXTEND_CHUNK = 10_000
# Stands in for every hash while a root or proof is planned: the walk depends on sizes, not hashes.
_PLACEHOLDER = bytes(32)


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

    def preload(self, indices: set[int], covered: int) -> None:
        """Read the leaves a planned answer needs: the few below the frontier by index, those past it
        (the last anchor run did not cover them) as one range."""
        below = {i for i in indices if i < covered}
        past = indices - below
        for index, leaf in self._reader.leaves(below).items():
            self._read[index] = leaf_hash(leaf)
        if past:
            first = min(past)
            for offset, leaf in enumerate(self._reader.leaf_range(first, max(past) + 1)):
                self._read[first + offset] = leaf_hash(leaf)


class _Plan:
    """Runs a root or proof over placeholders to learn which leaves and stored subtrees it reads."""

    def __init__(self, size: int, covered: int) -> None:
        self._size = size
        self._covered = covered
        self.leaves: set[int] = set()
        self.nodes: set[tuple[int, int]] = set()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, index: int) -> bytes:
        if not 0 <= index < self._size:
            raise IndexError(index)
        self.leaves.add(index)
        return _PLACEHOLDER

    def known(self, level: int, index: int) -> bytes | None:
        """Every perfect subtree below the frontier is stored (`extend` stores them all)."""
        if (index + 1) << level > self._covered:
            return None
        self.nodes.add((level, index))
        return _PLACEHOLDER


class StoredTree:
    """Roots and proofs of trees of up to `size` leaves, each read from the ledger in a few queries.

    Each answer is planned first (which subtrees and leaves it needs), then read in
    one go and hashed; a node missing below the frontier falls back to its leaves.
    """

    def __init__(self, reader: LogTreeReader, size: int) -> None:
        self._reader = reader
        self._size = size
        self._covered = reader.frontier()

    def root(self, size: int) -> bytes:
        return self._answer(lambda tree: tree.root(size))

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._answer(lambda tree: tree.inclusion_proof(index, size))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return self._answer(lambda tree: tree.consistency_proof(old_size, new_size))

    def _answer(self, compute: Callable[[TreeHasher], T]) -> T:
        plan = _Plan(self._size, self._covered)
        compute(TreeHasher(plan, known=plan.known))
        nodes = self._reader.nodes(plan.nodes)
        leaves = _LeafHashes(self._reader, self._size)
        leaves.preload(plan.leaves, self._covered)
        return compute(TreeHasher(leaves, known=lambda level, index: nodes.get((level, index))))


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
    def reading(self, size: int) -> Iterator[StoredTree]:
        """Roots and proofs for trees of up to `size` leaves, from the stored subtrees where they reach."""
        with self._ledger.log_tree_reading() as reader:
            if not 0 <= size <= reader.size():
                raise ValueError(f"the log holds no tree of size {size}")
            yield StoredTree(reader, size)
