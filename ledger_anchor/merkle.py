"""The settlement log's Merkle tree, hashed exactly as RFC 9162 (and RFC 6962) say.

Only the tree head (size, root) goes on-chain; everything else a verifier needs
is an inclusion proof (this leaf is in that tree) or a consistency proof (the
larger tree extends the smaller one, so nothing anchored earlier was rewritten).
Keeping to the RFC means any certificate-transparency tool can check our proofs.

Generation works over any indexable source of leaf hashes (a list, or a ledger
view that reads them lazily). Subtrees split at the largest power of two below
their size, as the RFC defines. Every subtree a root or proof needs is either
perfect (2^level leaves starting at a multiple of 2^level) or runs to the tree's
right edge, which splits into O(log n) perfect ones. So with the perfect
subtrees' roots stored (`extend` computes them as leaves arrive, from the
log's compact range) a root or proof costs O(log n) lookups and hashes;
without them, a root costs n - 1 hashes, and a `TreeHasher` remembers the
larger subtree roots so many proofs against one tree size share that work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol

from domain.errors import GatewayError

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# Subtrees at least this large are remembered; smaller ones are cheaper to rehash than to store.
_CACHED_SUBTREE_MIN = 16


class ProofError(GatewayError):
    """A proof does not fit the sizes or index it claims; nothing about the root can be concluded."""

    code = "MERKLE-PROOF"


class LeafHashSource(Protocol):
    """Leaf hashes by position: a list, or a lazy view over the settlement log."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int, /) -> bytes: ...


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf): the prefix keeps a leaf from ever posing as an interior node."""
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly below `size` (size > 1): where the RFC splits a subtree."""
    return 1 << ((size - 1).bit_length() - 1)


class Node(NamedTuple):
    """The root of the perfect subtree over leaves [position * 2^level, (position + 1) * 2^level)."""

    level: int
    position: int
    hash: bytes


# A perfect subtree's root by (level, index), when it is known; None sends the hasher to the leaves.
KnownNodes = Callable[[int, int], bytes | None]


class TreeHasher:
    """Subtree roots over one leaf-hash source, remembering the large ones across calls.

    With `known`, perfect subtrees are looked up rather than hashed from their leaves.
    """

    def __init__(self, leaves: LeafHashSource, known: KnownNodes | None = None) -> None:
        self._leaves = leaves
        self._known = known
        self._cache: dict[tuple[int, int], bytes] = {}

    def subtree_root(self, start: int, size: int) -> bytes:
        """MTH of leaves[start : start + size]; `size` must be at least 1."""
        if size == 1:
            return self._leaves[start]
        key = (start, size)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if self._known is not None and size & (size - 1) == 0 and start % size == 0:
            level = size.bit_length() - 1
            stored = self._known(level, start >> level)
            if stored is not None:
                self._cache[key] = stored
                return stored
        k = split_point(size)
        root = node_hash(self.subtree_root(start, k), self.subtree_root(start + k, size - k))
        if size >= _CACHED_SUBTREE_MIN:
            self._cache[key] = root
        return root

    def root(self, size: int) -> bytes:
        """The tree head of the first `size` leaves (the empty tree hashes to SHA-256 of nothing)."""
        _check_size(size, len(self._leaves))
        return EMPTY_ROOT if size == 0 else self.subtree_root(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """RFC 9162 PATH(index, D[0:size]), leaf side first."""
        _check_size(size, len(self._leaves))
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is outside a tree of size {size}")
        proof: list[bytes] = []
        start, n, m = 0, size, index
        # Walk down from the root; siblings are collected top-down, so reverse at the end.
        while n > 1:
            k = split_point(n)
            if m < k:
                proof.append(self.subtree_root(start + k, n - k))
                n = k
            else:
                proof.append(self.subtree_root(start, k))
                start, n, m = start + k, n - k, m - k
        proof.reverse()
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[0:new_size]), innermost node first."""
        _check_size(new_size, len(self._leaves))
        if not 0 <= old_size <= new_size:
            raise ProofError(f"cannot prove tree size {old_size} consistent with smaller size {new_size}")
        if old_size in (0, new_size):
            return []
        proof: list[bytes] = []
        start, n, m, whole = 0, new_size, old_size, True
        while m != n:
            k = split_point(n)
            if m <= k:
                proof.append(self.subtree_root(start + k, n - k))
                n = k
            else:
                proof.append(self.subtree_root(start, k))
                start, n, m, whole = start + k, n - k, m - k, False
        if not whole:
            # The old tree's last complete subtree is not the old root itself, so the verifier needs it.
            proof.append(self.subtree_root(start, n))
        proof.reverse()
        return proof


def compact_range(size: int) -> list[tuple[int, int]]:
    """(level, index) of the perfect subtrees that tile leaves [0, size), left to right: at most log2 n."""
    tiles, start = [], 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size & (1 << level):
            tiles.append((level, start >> level))
            start += 1 << level
    return tiles


def extend(
    frontier: Sequence[Node], leaf_hashes: Iterable[bytes], first_index: int
) -> tuple[list[Node], list[Node]]:
    """Append leaves to a tree whose compact range is `frontier` (`compact_range` of `first_index`).

    Returns the perfect subtrees the new leaves complete (level 1 and up, each
    once) and the new compact range. O(1) hashes per leaf, amortised.
    """
    stack = list(frontier)
    completed: list[Node] = []
    for offset, leaf in enumerate(leaf_hashes):
        node = Node(0, first_index + offset, leaf)
        while stack and stack[-1].level == node.level:
            left = stack.pop()
            node = Node(node.level + 1, left.position >> 1, node_hash(left.hash, node.hash))
            completed.append(node)
        stack.append(node)
    return completed, stack


def tree_root(leaf_hashes: LeafHashSource, size: int | None = None) -> bytes:
    """The RFC 9162 tree head over the first `size` leaf hashes (all of them by default)."""
    return TreeHasher(leaf_hashes).root(len(leaf_hashes) if size is None else size)


def inclusion_proof(leaf_hashes: LeafHashSource, index: int, size: int | None = None) -> list[bytes]:
    """The audit path proving leaf `index` is in the tree of `size` leaves."""
    return TreeHasher(leaf_hashes).inclusion_proof(index, len(leaf_hashes) if size is None else size)


def consistency_proof(leaf_hashes: LeafHashSource, old_size: int, new_size: int | None = None) -> list[bytes]:
    """The proof that the tree of `new_size` leaves extends the tree of `old_size` leaves."""
    return TreeHasher(leaf_hashes).consistency_proof(
        old_size, len(leaf_hashes) if new_size is None else new_size
    )


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads to from leaf hash `leaf` (RFC 9162 section 2.1.3.2).

    Raises ProofError when the proof's length or hashes cannot fit `index` in `size`.
    """
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes([leaf, *proof])
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"the proof is longer than a tree of size {size} allows")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than a tree of size {size} needs")
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True when `proof` shows leaf hash `leaf` at `index` in the tree of `size` leaves with `root`."""
    try:
        return root_from_inclusion_proof(leaf, index, size, proof) == root
    except ProofError:
        return False


def roots_from_consistency_proof(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """The (old, new) roots that `proof` leads to (RFC 9162 section 2.1.4.2), for 0 < old < new.

    Raises ProofError when the proof's length cannot fit the two sizes.
    """
    if not 0 < old_size < new_size:
        raise ProofError(f"a consistency proof needs 0 < old size < new size, got {old_size}, {new_size}")
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_hashes([old_root, *proof])
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one, so its root is the path's starting node.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the sizes allow")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is shorter than the sizes need")
    return fr, sr


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when `proof` shows the tree (new_size, new_root) extends (old_size, old_root)."""
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == 0:
        # Every tree extends the empty tree; the RFC's proof for it is empty.
        return not proof
    if old_size == new_size:
        return not proof and old_root == new_root
    try:
        return roots_from_consistency_proof(old_size, new_size, old_root, proof) == (old_root, new_root)
    except ProofError:
        return False


def _check_size(size: int, available: int) -> None:
    if not 0 <= size <= available:
        raise ProofError(f"tree size {size} is outside the {available} leaves at hand")


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for h in hashes:
        if len(h) != HASH_SIZE:
            raise ProofError(f"a hash is {len(h)} bytes, not {HASH_SIZE}")
