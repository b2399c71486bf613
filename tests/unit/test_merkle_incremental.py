"""The tree kept incrementally (stored perfect subtrees, extended from a compact range) answers exactly
what a full rebuild answers: on random sizes, extension points and probes, and on the RFC vectors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_anchor.merkle import Node, TreeHasher, compact_range, extend, leaf_hash
from tests.unit.test_merkle_vectors import CONSISTENCY, HASHES, INCLUSION, ROOTS


def stored_tree(hashes: list[bytes], cuts: list[int]) -> dict[tuple[int, int], bytes]:
    """The perfect subtrees `extend` stores when the log is extended at each of `cuts`, then to its end."""
    known: dict[tuple[int, int], bytes] = {}
    covered = 0
    for cut in [*sorted(set(cuts)), len(hashes)]:
        if cut <= covered:
            continue
        frontier = [
            Node(level, position, hashes[position] if level == 0 else known[(level, position)])
            for level, position in compact_range(covered)
        ]
        completed, after = extend(frontier, hashes[covered:cut], covered)
        for node in completed:
            assert (node.level, node.position) not in known, "a subtree is completed once"
            known[(node.level, node.position)] = node.hash
        assert [(n.level, n.position) for n in after] == compact_range(cut)
        covered = cut
    return known


def test_the_compact_range_tiles_the_leaves_left_to_right() -> None:
    assert compact_range(0) == []
    assert compact_range(1) == [(0, 0)]
    assert compact_range(6) == [(2, 0), (1, 2)]
    assert compact_range(13) == [(3, 0), (2, 2), (0, 12)]


def test_the_rfc_vectors_hold_over_stored_subtrees() -> None:
    known = stored_tree(HASHES, [3, 5])
    tree = TreeHasher(HASHES, known=lambda level, position: known.get((level, position)))
    for size, root in ROOTS.items():
        assert tree.root(size).hex() == root
    for index, size, proof in INCLUSION:
        assert [p.hex() for p in tree.inclusion_proof(index, size)] == proof
    for old, new, proof in CONSISTENCY:
        assert [p.hex() for p in tree.consistency_proof(old, new)] == proof


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.lists(st.integers(0, 300), max_size=6), st.data())
def test_stored_subtrees_answer_as_a_full_rebuild(n: int, cuts: list[int], data: st.DataObject) -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    known = stored_tree(hashes, [c for c in cuts if c < n])
    # Only some of the log may be covered yet: the tree falls back to the leaves past the frontier.
    frontier = data.draw(st.integers(0, n), label="frontier")
    below = {key: h for key, h in known.items() if (key[1] + 1) << key[0] <= frontier}
    looked: list[tuple[int, int]] = []

    def lookup(level: int, position: int) -> bytes | None:
        looked.append((level, position))
        return below.get((level, position))

    full, kept = TreeHasher(hashes), TreeHasher(hashes, known=lookup)
    size = data.draw(st.integers(1, n), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(0, size), label="old")
    assert kept.root(size) == full.root(size)
    assert kept.inclusion_proof(index, size) == full.inclusion_proof(index, size)
    assert kept.consistency_proof(old, size) == full.consistency_proof(old, size)
    if frontier == n:  # all stored: a few dozen lookups, never a walk over the leaves
        assert len(looked) <= 4 * max(n.bit_length(), 1) ** 2
