"""Block algebra: split, subtract, merge and overlap keep every unit exactly once."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.serials import SerialBlock


def block(start: int, end: int, space: str = "VCS", **kw: str) -> SerialBlock:
    return SerialBlock(
        programme="VCS",
        serial_space=space,
        project_id=kw.get("project", "1060"),
        vintage="2019",
        unit_type="VCU",
        country="US",
        start=start,
        end=end,
    )


def test_quantity_counts_both_ends():
    assert block(10, 19).quantity == 10


def test_end_before_start_is_refused():
    with pytest.raises(InvalidInput):
        block(5, 4)


def test_split_takes_the_first_units():
    head, tail = block(1, 100).split(30)
    assert (head.start, head.end) == (1, 30)
    assert tail is not None and (tail.start, tail.end) == (31, 100)


def test_split_whole_block_leaves_nothing():
    head, tail = block(1, 100).split(100)
    assert head == block(1, 100) and tail is None


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_split_refuses_impossible_quantities(quantity):
    with pytest.raises(InvalidInput):
        block(1, 100).split(quantity)


def test_overlap_needs_the_same_serial_space():
    assert block(1, 10).overlaps(block(10, 20))
    assert not block(1, 10).overlaps(block(11, 20))
    assert not block(1, 10).overlaps(block(1, 10, space="GS:1"))


def test_merge_joins_adjacent_blocks_of_one_issuance():
    assert block(1, 10).merge(block(11, 20)) == block(1, 20)
    with pytest.raises(InvalidInput):
        block(1, 10).merge(block(12, 20))
    with pytest.raises(InvalidInput):
        block(1, 10).merge(block(11, 20, project="999"))


@given(
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)
def test_subtract_keeps_exactly_the_units_outside(a, b, c, d):
    whole = block(min(a, b), max(a, b))
    taken = block(min(c, d), max(c, d))
    rest = whole.subtract(taken)
    kept = {u for r in rest for u in range(r.start, r.end + 1)}
    expected = set(range(whole.start, whole.end + 1)) - set(range(taken.start, taken.end + 1))
    assert kept == expected
    assert sum(r.quantity for r in rest) == len(expected)


@given(st.integers(1, 5000), st.integers(0, 5000))
def test_split_then_merge_round_trips(size, cut):
    whole = block(1000, 1000 + size - 1)
    quantity = 1 + cut % size
    head, tail = whole.split(quantity)
    assert head.quantity == quantity
    assert (head if tail is None else head.merge(tail)) == whole


def test_units_of_another_gas_name_their_gwp_set():
    with pytest.raises(InvalidInput) as refused:
        SerialBlock(**{**block(1, 10).model_dump(), "gas": "CH4"})
    assert refused.value.field == "gwp_set"


def test_the_conversion_back_to_tonnes_of_gas_is_explicit():
    methane = SerialBlock(**{**block(1, 280).model_dump(), "gas": "CH4", "gwp_set": "AR5"})
    assert methane.quantity == 280  # units are tCO2e
    assert methane.gas_tonnes() == 10  # 280 tCO2e of methane at AR5's GWP of 28
    assert block(1, 280).gas_tonnes() == 280
    head, tail = methane.split(28)
    assert (head.gas, head.gwp_set, head.gas_tonnes()) == ("CH4", "AR5", 1)
    assert tail is not None and tail.gas == "CH4"


def test_the_gas_is_not_part_of_the_serial():
    methane = SerialBlock(**{**block(1, 10).model_dump(), "gas": "CH4", "gwp_set": "AR6"})
    assert methane.same_serials(block(1, 10))
    assert not methane.same_issuance(block(1, 10))
