"""The comparison engine: totals first, then blocks behind the totals that disagree."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from domain.reconciliation import (
    FindingCode,
    Resolution,
    ResultState,
    Span,
    compare,
    registry_span,
    result_state,
)
from domain.transfers import RETIRED_ACCOUNT_ID
from domain.units import UnitStatus

SPACE = "CCER:P1"


def ledger(start: int, end: int, registry: str = "cn-sz-ets", account: str = "a", tid: str = "t1") -> Span:
    return Span(SPACE, start, end, registry, account, "live", "CCER/CCER", "2021", tid)


def shown(
    start: int,
    end: int,
    registry: str = "cn-sz-ets",
    account: str = "a",
    status: UnitStatus = UnitStatus.HELD,
    vintage: str = "2021",
) -> Span:
    span = registry_span(SPACE, start, end, registry, account, status, "CCER/CCER", vintage)
    assert span is not None
    return span


def codes(expected: list[Span], actual: list[Span], in_flight: list[Span] | None = None) -> list[str]:
    return [f.code.value for f in compare(expected, actual, in_flight or []).findings]


def test_a_registry_showing_what_the_ledger_says_is_consistent() -> None:
    # The registry's own untracked holdings (another space, serials never moved) are not judged.
    untracked = Span("VCS:9", 1, 50, "verra", "z", "live", "VCS/VCU", "2019")
    comparison = compare([ledger(1, 10), ledger(20, 29)], [shown(1, 10), shown(20, 35), untracked])
    assert comparison.findings == []
    assert comparison.inconsistent_totals == []
    assert result_state(comparison.findings) is ResultState.CONSISTENT


def test_split_rows_in_the_registry_match_one_ledger_block() -> None:
    assert codes([ledger(1, 10)], [shown(1, 4), shown(5, 10)]) == []


def test_units_the_registry_lost_are_missing() -> None:
    [found] = compare([ledger(1, 10)], []).findings
    assert (found.code, found.registry_id, found.account_id, found.quantity) == (
        FindingCode.MISSING,
        "cn-sz-ets",
        "a",
        10,
    )
    assert found.transfer_ids == ["t1"]


def test_part_of_a_block_missing_is_a_quantity_mismatch() -> None:
    [found] = compare([ledger(1, 10)], [shown(1, 6)]).findings
    assert (found.code, found.start, found.end, found.quantity) == (FindingCode.QUANTITY, 7, 10, 4)


def test_units_in_another_account_are_extra_there_and_missing_here() -> None:
    assert sorted(codes([ledger(1, 10)], [shown(1, 10, account="b")])) == ["REC-EXTRA", "REC-MISSING"]


def test_retired_units_the_ledger_holds_live_are_a_status_mismatch() -> None:
    [found] = compare([ledger(1, 10)], [shown(1, 10, status=UnitStatus.RETIRED)]).findings
    assert found.code is FindingCode.STATUS
    assert found.account_id == RETIRED_ACCOUNT_ID


def test_units_live_at_the_source_again_are_live_twice() -> None:
    # Verra released the immobilised units after the gateway credited Shenzhen.
    [found] = compare([ledger(1, 10)], [shown(1, 10), shown(1, 10, registry="verra", account="src")]).findings
    assert (found.code, found.registry_id, found.account_id) == (FindingCode.LIVE_TWICE, "verra", "src")
    assert compare([ledger(1, 10)], [shown(1, 10)]).findings == []


def test_units_moved_without_the_gateway_are_extra_and_missing() -> None:
    assert sorted(codes([ledger(1, 10)], [shown(1, 10, registry="verra", account="src")])) == [
        "REC-EXTRA",
        "REC-MISSING",
    ]


def test_a_missing_block_is_found_even_when_a_misplaced_one_balances_its_account() -> None:
    # The registry shows B's block in A's account: A's total still reads 10 units.
    expected = [ledger(1, 10, account="a", tid="ta"), ledger(21, 30, account="b", tid="tb")]
    found = sorted((f.code.value, f.account_id, f.start) for f in compare(expected, [shown(21, 30)]).findings)
    assert found == [("REC-EXTRA", "a", 21), ("REC-MISSING", "a", 1), ("REC-MISSING", "b", 21)]


def test_serials_in_flight_are_left_out() -> None:
    moving = Span(SPACE, 1, 10, "", "", "", "", "")
    assert codes([ledger(1, 10)], [shown(1, 10, registry="cn-gd-ets", account="dest")], [moving]) == []


def test_totals_that_differ_with_every_serial_in_place_are_a_totals_finding() -> None:
    found = compare([ledger(1, 10)], [shown(1, 10, vintage="2020")]).findings
    assert {f.code for f in found} == {FindingCode.TOTALS}
    assert result_state(found) is ResultState.TOTALS_INCONSISTENT


def test_result_states_follow_the_worst_open_finding() -> None:
    blocks = compare([ledger(1, 10)], []).findings
    assert result_state(blocks) is ResultState.UNIT_BLOCKS_INCONSISTENT
    twice = compare([ledger(1, 10)], [shown(1, 10), shown(1, 10, registry="verra")]).findings
    assert result_state(twice) is ResultState.MANUAL_INTERVENTION_REQUIRED
    resolution = Resolution(
        note="fixed", resolved_by="csrc", resolved_at=datetime.now(UTC), reconciliation_id="r"
    )
    settled = [f.model_copy(update={"resolution": resolution}) for f in twice]
    assert result_state(settled) is ResultState.COMPLETED_WITH_MANUAL_INTERVENTION


def test_the_same_discrepancy_has_the_same_fingerprint_in_every_run() -> None:
    first = compare([ledger(1, 10)], [shown(1, 6)]).findings
    again = compare([ledger(1, 10)], [shown(1, 6)]).findings
    other = compare([ledger(1, 10)], [shown(1, 5)]).findings
    assert [f.fingerprint for f in first] == [f.fingerprint for f in again]
    assert first[0].fingerprint != other[0].fingerprint


@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 30)), min_size=1, max_size=12),
    st.data(),
)
def test_every_unit_the_ledger_tracks_is_accounted_for(
    blocks: list[tuple[int, int]], data: st.DataObject
) -> None:
    """Missing, partly missing, misplaced: the findings name exactly the units not where they should be."""
    expected: list[Span] = []
    cursor = 0
    for gap, size in blocks:
        start = cursor + gap
        expected.append(ledger(start, start + size, tid=f"t{start}"))
        cursor = start + size + 1
    kept = [data.draw(st.booleans(), label=f"kept {e.start}") for e in expected]
    actual = [shown(e.start, e.end) for e, keep in zip(expected, kept, strict=True) if keep]
    lost = sum(e.quantity for e, keep in zip(expected, kept, strict=True) if not keep)
    comparison = compare(expected, actual)
    assert sum(f.quantity for f in comparison.findings) == lost
    assert all(f.code is FindingCode.MISSING for f in comparison.findings)
