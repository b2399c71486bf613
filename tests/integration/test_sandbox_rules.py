"""Properties of one registry's rules under any sequence of operations, on a real SQLite store.

Whatever is asked and whatever is refused: live serials never overlap, and the live
total moves only by what credits added and finalises or reversals took away.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.base import AccountState
from adapters.sandbox.refusals import Refusal
from adapters.sandbox.registry import SandboxRegistry
from adapters.sandbox.store import SandboxStore
from domain.units import LIVE_STATUSES, UnitStatus
from tests.integration.sandbox_fixtures import REG_B, tst

ACCOUNTS = ("erin", "finn")
spans = st.tuples(st.integers(1, 60), st.integers(0, 15)).map(lambda s: (s[0], s[0] + s[1]))
steps = st.one_of(
    st.tuples(st.just("lock"), st.integers(0, 7), st.sampled_from(ACCOUNTS), spans),
    st.tuples(st.just("credit"), st.integers(0, 7), st.sampled_from(ACCOUNTS), spans),
    st.tuples(st.sampled_from(["release", "finalise", "reverse"]), st.integers(0, 7)),
)


def apply(registry: SandboxRegistry, store: SandboxStore, step: tuple) -> int:
    """Run one step; the change it made to the live total (0 when refused)."""
    kind, key = step[0], f"k{step[1]}"
    try:
        with store.writing() as tx:
            if kind == "lock":
                registry.lock(tx, key, step[2], tst(*step[3]))
                return 0
            if kind == "credit":
                block = tst(*step[3])
                registry.credit(tx, key, step[2], block)
                return block.quantity
            if kind == "release":
                registry.release(tx, key)
                return 0
            record = tx.key_record(registry.registry_id, "lock" if kind == "finalise" else "credit", key)
            result = registry.finalise(tx, key) if kind == "finalise" else registry.reverse(tx, key)
            moved = record.block.quantity if record and record.block and result.changed else 0
            return -moved
    except Refusal:
        return 0


def live_rows(store: SandboxStore) -> list:
    with store.reading() as tx:
        return [r for r in tx.holdings(REG_B.registry_id) if r.status in LIVE_STATUSES]


@settings(max_examples=60, deadline=None)
@given(st.lists(steps, max_size=25))
def test_live_serials_never_overlap_and_totals_move_only_by_credits_and_exits(tmp_path_factory, plan):
    store = SandboxStore(tmp_path_factory.mktemp("rules") / "sandbox.db")
    registry = SandboxRegistry(REG_B)
    try:
        with store.writing() as tx:
            registry.seed(tx, "base", "erin", tst(20, 40), UnitStatus.HELD)
            registry.set_account(tx, "finn", AccountState.OPEN)
        expected = 21
        for step in plan:
            expected += apply(registry, store, step)
            rows = live_rows(store)
            assert sum(r.block.quantity for r in rows) == expected
            ordered = sorted(rows, key=lambda r: r.block.start)
            for left, right in itertools.pairwise(ordered):
                assert left.block.end < right.block.start, (left, right)
    finally:
        store.close()
