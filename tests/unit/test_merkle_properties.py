"""Every generated proof verifies, and any single change to it, its index or its sizes is refused."""

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_anchor.merkle import (
    TreeHasher,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

MAX_LEAVES = 300
_ALL = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_LEAVES)]


def _naive_root(hashes: list[bytes]) -> bytes:
    """The RFC's definition read literally, for comparison (small inputs only)."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return node_hash(_naive_root(hashes[:k]), _naive_root(hashes[k:]))


@st.composite
def tree_and_index(draw):
    size = draw(st.integers(min_value=1, max_value=MAX_LEAVES))
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw):
    new = draw(st.integers(min_value=2, max_value=MAX_LEAVES))
    return draw(st.integers(min_value=1, max_value=new - 1)), new


@given(st.integers(min_value=0, max_value=64))
def test_root_matches_the_rfc_definition(size):
    assert tree_root(_ALL, size) == _naive_root(_ALL[:size])


@settings(max_examples=150)
@given(tree_and_index(), st.data())
def test_inclusion_proofs_verify_and_tampering_fails(case, data):
    size, index = case
    tree = TreeHasher(_ALL)
    root, leaf = tree.root(size), _ALL[index]
    proof = tree.inclusion_proof(index, size)
    assert verify_inclusion(leaf, index, size, proof, root)

    other_index = data.draw(st.integers(min_value=0, max_value=size).filter(lambda i: i != index))
    assert not verify_inclusion(leaf, other_index, size, proof, root)

    other_size = data.draw(st.integers(min_value=1, max_value=MAX_LEAVES).filter(lambda s: s != size))
    # A different size may share this proof's shape; it must then lead to a different root.
    assert not verify_inclusion(leaf, index, other_size, proof, root) or tree.root(other_size) != root

    assert not verify_inclusion(_flip_bit(leaf, data), index, size, proof, root)
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        tampered = list(proof)
        tampered[i] = _flip_bit(proof[i], data)
        assert not verify_inclusion(leaf, index, size, tampered, root)


@settings(max_examples=150)
@given(two_sizes(), st.data())
def test_consistency_proofs_verify_and_tampering_fails(sizes, data):
    old, new = sizes
    tree = TreeHasher(_ALL)
    old_root, new_root = tree.root(old), tree.root(new)
    proof = tree.consistency_proof(old, new)
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert proof == consistency_proof(_ALL, old, new)

    i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
    tampered = list(proof)
    tampered[i] = _flip_bit(proof[i], data)
    assert not verify_consistency(old, new, old_root, new_root, tampered)

    # As for inclusion, a wrong size can share the proof's shape; it then claims roots that are not
    # that size's real roots, which a verifier holding the anchored heads refuses.
    wrong_old = data.draw(st.integers(min_value=1, max_value=new - 1).filter(lambda s: s != old))
    assert (
        not verify_consistency(wrong_old, new, old_root, new_root, proof) or tree.root(wrong_old) != old_root
    )
    wrong_new = data.draw(st.integers(min_value=old + 1, max_value=MAX_LEAVES).filter(lambda s: s != new))
    assert (
        not verify_consistency(old, wrong_new, old_root, new_root, proof) or tree.root(wrong_new) != new_root
    )
    assert not verify_consistency(old, new, _flip_bit(old_root, data), new_root, proof)
    assert not verify_consistency(old, new, old_root, _flip_bit(new_root, data), proof)


@given(tree_and_index())
def test_proofs_over_a_list_match_the_shared_hasher(case):
    size, index = case
    assert inclusion_proof(_ALL, index, size) == TreeHasher(_ALL).inclusion_proof(index, size)


def _flip_bit(value: bytes, data) -> bytes:
    bit = data.draw(st.integers(min_value=0, max_value=len(value) * 8 - 1))
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)
