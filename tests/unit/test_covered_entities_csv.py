"""The covered-entity CSV a regulator loads: strict, every refusal naming its line and column."""

from __future__ import annotations

import pytest

from compliance_rules.covered_entities_csv import read_covered_entities_csv
from domain.errors import InvalidInput

HEADER = "entity_id,name,market,account,year,verified_emissions_t\n"


def test_rows_of_one_entity_merge_into_its_accounts_and_years():
    text = HEADER + (
        "sz-1,Shenzhen Steel,cn-sz-ets,cn-sz-ets:steel-a,2025,120000\n"
        "sz-1,Shenzhen Steel,cn-sz-ets,cn-sz-ets:steel-b,,\n"
        "sz-1,Shenzhen Steel,cn-sz-ets,,2026,118000\n"
        "gd-1,Guangzhou Cement,cn-gd-ets,cn-gd-ets:cement,2025,90000\n"
    )
    loads = read_covered_entities_csv(text)
    assert [load.entity.entity_id for load in loads] == ["sz-1", "gd-1"]
    assert [a.account_id for a in loads[0].accounts] == ["steel-a", "steel-b"]
    assert loads[0].verified_emissions == {2025: 120000, 2026: 118000}


@pytest.mark.parametrize(
    ("rows", "where"),
    [
        ("sz-1,Steel,cn-sz-ets,cn-sz-ets:a,2025,12.5\n", "line 2, column verified_emissions_t"),
        ("sz-1,Steel,cn-sz-ets,cn-sz-ets:a,20x5,100\n", "line 2, column year"),
        ("sz-1,Steel,cn-sz-ets,cn-sz-ets:a,2025,\n", "line 2, column verified_emissions_t"),
        ("sz-1,Steel,cn-sz-ets,cn-sz-ets:a b,,\n", "line 2, column account"),
        ("sz-1,Steel,cn-sz-ets,nocolon,,\n", "line 2, column account"),
        (",Steel,cn-sz-ets,,,\n", "line 2, column entity_id"),
        ("sz-1,Steel,cn-sz-ets,,2025,1\nsz-1,Other,cn-sz-ets,,,\n", "line 3, column name"),
        (
            "sz-1,Steel,cn-sz-ets,,2025,1\nsz-1,Steel,cn-sz-ets,,2025,2\n",
            "line 3, column verified_emissions_t",
        ),
        ("sz-1,Steel,cn-sz-ets\n", "line 2"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_column(rows, where):
    with pytest.raises(InvalidInput) as refused:
        read_covered_entities_csv(HEADER + rows)
    assert where in refused.value.message


def test_a_bad_header_and_bad_quoting_are_refused():
    with pytest.raises(InvalidInput, match="line 1, column year"):
        read_covered_entities_csv("entity_id,name,market,account,verified_emissions_t\n")
    with pytest.raises(InvalidInput, match="covered entities CSV"):
        read_covered_entities_csv(HEADER + 'sz-1,"Steel,cn-sz-ets,,,\n')
