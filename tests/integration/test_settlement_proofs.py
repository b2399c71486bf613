"""The oversight facts refuse what the log cannot answer yet, naming each bad size; the tree they are
answered from, kept incrementally in the ledger, agrees with a full rebuild; a SQLite ledger says when
it has outgrown SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, text

from domain.errors import InvalidInput, PreconditionFailed
from gateway.settlement_proofs import audit, consistency, latest_tree_head
from ledger import Ledger
from ledger.store import SQLITE_COMFORTABLE_BLOCKS
from ledger_anchor.merkle import TreeHasher, leaf_hash
from tests.integration.test_anchor_recovery import settle
from workflows.log_tree import LedgerTree


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    yield opened
    opened.close()


def test_no_tree_head_before_the_first_final_anchor(ledger: Ledger) -> None:
    with pytest.raises(PreconditionFailed) as refused:
        latest_tree_head(ledger)
    assert "no tree head" in refused.value.message


def test_consistency_names_every_bad_size(ledger: Ledger) -> None:
    with pytest.raises(InvalidInput) as refused:
        consistency(ledger, 0, 3)
    assert [v.field for v in refused.value.violations] == ["from_size", "to_size"]  # the log is empty
    with pytest.raises(InvalidInput) as refused:
        consistency(ledger, 5, 2)
    assert [v.field for v in refused.value.violations] == ["to_size", "to_size"]


def test_proofs_from_the_stored_tree_equal_a_full_rebuild_as_the_log_grows(ledger: Ledger) -> None:
    """Extended at uneven points, with leaves past the frontier, the ledger's tree answers as a rebuild."""
    tree = LedgerTree(ledger)
    settled = 0
    for grow_to, extend_after in ((5, True), (12, False), (33, True), (40, False)):
        while settled < grow_to:
            settle(ledger, settled)
            settled += 1
        if extend_after:
            assert tree.extend() == settled
        full = TreeHasher([leaf_hash(leaf) for leaf in ledger.log_leaves()])
        with tree.reading(settled) as kept:
            for size in range(1, settled + 1):
                assert kept.root(size) == full.root(size)
                assert kept.inclusion_proof(size - 1, size) == full.inclusion_proof(size - 1, size)
                assert kept.consistency_proof(size // 2, settled) == full.consistency_proof(
                    size // 2, settled
                )
    assert ledger.log_tree_frontier() == 33, "only an extension moves the frontier"
    facts = consistency(ledger, 7, 40)
    assert facts.to_root == TreeHasher([leaf_hash(leaf) for leaf in ledger.log_leaves()]).root(40)


def test_a_proof_reads_the_ledger_in_a_few_queries_whatever_its_depth(ledger: Ledger) -> None:
    """Planned, then read at once: the size, the frontier, the subtrees, the leaves below the frontier
    and those past it, not one query per subtree (a proof at 10 million leaves needs about 30)."""
    for index in range(70):
        settle(ledger, index)
    LedgerTree(ledger).extend()
    for index in range(70, 75):
        settle(ledger, index)  # past the frontier: the last anchor run did not cover them
    full = TreeHasher([leaf_hash(leaf) for leaf in ledger.log_leaves()])
    statements: list[tuple[str, object]] = []
    event.listen(ledger._engine, "before_cursor_execute", lambda *args: statements.append((args[2], args[3])))
    with LedgerTree(ledger).reading(75) as tree:
        for answer, expected in (
            (tree.inclusion_proof(37, 75), full.inclusion_proof(37, 75)),
            (tree.consistency_proof(33, 75), full.consistency_proof(33, 75)),
            (tree.root(75), full.root(75)),
        ):
            assert answer == expected
    selects = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2 + 3 * 3, selects
    # Each query searches an index: a table scan costs O(n) however few queries there are.
    with ledger._engine.connect() as db:
        for statement, parameters in selects:
            plan = db.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            scans = [step[3] for step in plan if step[3].startswith("SCAN") and "CONSTANT ROW" not in step[3]]
            assert not scans, (statement, scans)


def test_the_audit_finds_a_stored_subtree_root_that_was_changed(ledger: Ledger) -> None:
    for index in range(6):
        settle(ledger, index)
    LedgerTree(ledger).extend()
    assert audit(ledger, None, None) == []
    with ledger._engine.begin() as db:
        changed_root = text('UPDATE log_tree_nodes SET hash = :h WHERE level = 2 AND "index" = 0')
        db.execute(changed_root, {"h": bytes(32)})
    [changed] = audit(ledger, None, None)
    assert changed.code == "LOG-TREE-NODE-CHANGED" and "leaves 0-3" in changed.message


def test_a_sqlite_ledger_past_a_million_tracked_blocks_says_so(ledger: Ledger) -> None:
    settle(ledger, 0)
    assert ledger.outgrows_sqlite() is None
    with ledger._engine.begin() as db:
        db.execute(
            text("UPDATE serial_locations SET location_id = :big"), {"big": SQLITE_COMFORTABLE_BLOCKS + 7}
        )
    assert ledger.outgrows_sqlite() == SQLITE_COMFORTABLE_BLOCKS + 7
