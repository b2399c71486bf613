"""Crosswalk CSV: strict import with line and column, idempotent duplicates, exact round trip."""

import pytest

from compliance_rules.crosswalk_csv import COLUMNS, read_crosswalk_csv, write_crosswalk_csv
from domain.errors import InvalidInput

HEADER = ",".join(COLUMNS)
GOOD = (
    f"{HEADER}\n"
    "CCER,123,VCS,1060,2019-01-01,2020-12-31,MEE notice 2024-17,regulator-cn\n"
    "SZ-PUHUI,88,CCER,456,,,SZ EEB letter 12,regulator-sz\n"
)


def test_import_reads_every_entry():
    first, second = read_crosswalk_csv(GOOD)
    assert (first.programme_a, first.project_a, first.programme_b, first.project_b) == (
        "CCER",
        "123",
        "VCS",
        "1060",
    )
    assert first.period is not None
    assert str(first.period) == "2019-01-01..2020-12-31"
    assert second.period is None
    assert second.source_reference == "SZ EEB letter 12"


def test_export_then_import_gives_the_same_entries_and_text():
    entries = read_crosswalk_csv(GOOD)
    text = write_crosswalk_csv(entries)
    assert text.splitlines()[0] == HEADER
    assert sorted(read_crosswalk_csv(text), key=str) == sorted(entries, key=str)
    assert write_crosswalk_csv(read_crosswalk_csv(text)) == text


def test_the_same_link_twice_either_way_round_is_loaded_once():
    text = GOOD + "VCS,1060,CCER,123,2019-01-01,2020-12-31,MEE notice 2024-17,regulator-cn\n"
    assert len(read_crosswalk_csv(text)) == 2


def test_the_same_link_with_another_source_is_refused():
    text = GOOD + "VCS,1060,CCER,123,2019-01-01,2020-12-31,another notice,regulator-cn\n"
    with pytest.raises(InvalidInput, match="line 4, column source_reference: the same link as line 2"):
        read_crosswalk_csv(text)


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ("CCER,,VCS,1060,,,ref,reg", "line 3, column project_a"),
        ("CCER,123,VCS,1060,2019-13-01,2020-12-31,ref,reg", "line 3, column period_start"),
        ("CCER,123,VCS,1060,20190101,2020-12-31,ref,reg", "line 3, column period_start"),
        ("CCER,123,VCS,1060,2019-01-01,,ref,reg", "line 3, column period_end"),
        ("CCER,123,VCS,1060,2021-01-01,2020-12-31,ref,reg", "line 3, column period_end"),
        ("CCER,123,VCS,1060,,,,reg", "line 3, column source_reference"),
        ("CCER,123,CCER,123,,,ref,reg", "line 3, column project_b"),
        ("CCER,123,VCS,1060,,,ref", "line 3"),
    ],
)
def test_a_bad_row_is_refused_with_its_line_and_column(row, where):
    text = f"{HEADER}\nCCER,9,VCS,9,,,ref,reg\n{row}\n"
    with pytest.raises(InvalidInput, match=f"crosswalk CSV {where}"):
        read_crosswalk_csv(text)


def test_a_header_missing_a_column_is_refused():
    with pytest.raises(InvalidInput, match="line 1, column loaded_by: missing column"):
        read_crosswalk_csv(HEADER.replace(",loaded_by", "") + "\n")


def test_an_unknown_column_is_refused():
    with pytest.raises(InvalidInput, match="line 1, column note: unknown column"):
        read_crosswalk_csv(HEADER + ",note\n")
