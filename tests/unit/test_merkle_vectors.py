"""RFC 9162 / RFC 6962 known answers: the certificate-transparency reference tree of eight leaves.

Roots, inclusion proofs and consistency proofs are the published numbers of the
transparency-dev/merkle reference tests (proof/verify_test.go); the corruption
probes follow the ones applied there.
"""

import hashlib

import pytest

from ledger_anchor.merkle import (
    EMPTY_ROOT,
    ProofError,
    TreeHasher,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
HASHES = [leaf_hash(leaf) for leaf in LEAVES]

ROOTS = {
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

# (leaf index, tree size, proof); the reference numbers its leaves from 1, these from 0.
INCLUSION = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

# (old size, new size, proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _hashes(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def _flip(proof: list[bytes], i: int, mask: int) -> list[bytes]:
    wrong = list(proof)
    wrong[i] = bytes([wrong[i][0] ^ mask]) + wrong[i][1:]
    return wrong


def test_hash_prefixes_are_rfc_9162():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert tree_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", sorted(ROOTS))
def test_roots_of_the_reference_tree(size):
    assert tree_root(HASHES, size).hex() == ROOTS[size]
    assert tree_root(HASHES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_and_verify(index, size, proof):
    expected = _hashes(proof)
    assert inclusion_proof(HASHES, index, size) == expected
    root = bytes.fromhex(ROOTS[size])
    assert root_from_inclusion_proof(HASHES[index], index, size, expected) == root
    assert verify_inclusion(HASHES[index], index, size, expected, root)


@pytest.mark.parametrize(("index", "size", "proof"), [v for v in INCLUSION if v[2]])
def test_corrupted_inclusion_proofs_fail(index, size, proof):
    good = _hashes(proof)
    root = bytes.fromhex(ROOTS[size])
    leaf = HASHES[index]
    probes = [
        (leaf, index - 1, size, good, root),
        (leaf, index + 1, size, good, root),
        (leaf, index ^ 2, size, good, root),
        (leaf, index, size * 2, good, root),
        (leaf, index, size // 2, good, root),
        (b"WrongLeaf", index, size, good, root),
        (leaf, index, size, good, EMPTY_ROOT),
        (leaf, index, size, good, SOME_HASH),
        (leaf, index, size, [*good, b""], root),
        (leaf, index, size, [*good, root], root),
        (leaf, index, size, [b"", *good], root),
        (leaf, index, size, [root, *good], root),
        (leaf, index, size, good[:-1], root),
        (leaf, index, size, [good[0], SOME_HASH, *good[1:]], root),
    ]
    probes += [(leaf, index, size, _flip(good, i, 8), root) for i in range(len(good))]
    for probe in probes:
        assert not verify_inclusion(*probe), probe


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_and_verify(old, new, proof):
    expected = _hashes(proof)
    assert consistency_proof(HASHES, old, new) == expected
    assert verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), expected)


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY if v[2]])
def test_corrupted_consistency_proofs_fail(old, new, proof):
    good = _hashes(proof)
    root1, root2 = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    probes = [
        (old - 1, new, root1, root2, good),
        (old + 1, new, root1, root2, good),
        (old ^ 2, new, root1, root2, good),
        (old, new * 2, root1, root2, good),
        (old, new // 2, root1, root2, good),
        (old, new, b"WrongRoot", root2, good),
        (old, new, root1, b"WrongRoot", good),
        (old, new, root2, root1, good),
        (old, new, root1, root2, []),
        (old, new, root1, root2, [*good, b""]),
        (old, new, root1, root2, [*good, root1]),
        (old, new, root1, root2, [*good, root2]),
        (old, new, root1, root2, [b"", *good]),
        (old, new, root1, root2, [root1, *good]),
        (old, new, root1, root2, [root2, *good]),
        (old, new, root1, root2, [good[0], *good]),
        (old, new, root1, root2, good[:-1]),
    ]
    probes += [(old, new, root1, root2, _flip(good, i, 16)) for i in range(len(good))]
    for probe in probes:
        assert not verify_consistency(*probe), probe


def test_trivial_consistency_cases():
    r1, r2 = bytes.fromhex(ROOTS[1]), bytes.fromhex(ROOTS[2])
    assert verify_consistency(0, 0, r1, r1, [])
    assert verify_consistency(0, 1, r1, r2, [])
    assert verify_consistency(1, 1, r2, r2, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 0, r1, r2, [])
    assert not verify_consistency(2, 1, r1, r2, [])
    assert not verify_consistency(1, 2, r1, r2, [])
    assert not verify_consistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])


def test_single_leaf_tree_and_impossible_indices():
    h = leaf_hash(b"data")
    assert verify_inclusion(h, 0, 1, [], h)
    assert not verify_inclusion(h, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], h)
    for index, size in [(0, 0), (1, 0), (2, 1), (-1, 3)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
        with pytest.raises(ProofError):
            root_from_inclusion_proof(SOME_HASH, index, size, [])


def test_generation_refuses_sizes_beyond_the_leaves():
    with pytest.raises(ProofError):
        tree_root(HASHES, 9)
    with pytest.raises(ProofError):
        inclusion_proof(HASHES, 8, 8)
    with pytest.raises(ProofError):
        consistency_proof(HASHES, 5, 4)


def test_a_hundred_thousand_leaves_stay_fast():
    import time

    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(100_000)]
    began = time.perf_counter()
    tree = TreeHasher(leaves)
    root = tree.root(100_000)
    for index in range(0, 100_000, 4_999):
        assert verify_inclusion(leaves[index], index, 100_000, tree.inclusion_proof(index, 100_000), root)
    proof = tree.consistency_proof(77_777, 100_000)
    assert verify_consistency(77_777, 100_000, tree.root(77_777), root, proof)
    assert time.perf_counter() - began < 5
