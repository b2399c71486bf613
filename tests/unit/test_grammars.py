"""The real serials quoted in DOMAIN.md, and our defined formats, parse to the right fields."""

from pathlib import Path

import pytest

from adapters.grammars.gateway_defined import DEFINED_FORMATS, defined_grammar
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.itmo import ITMO
from adapters.grammars.kyoto import CDM
from adapters.grammars.verra import VERRA
from domain.errors import InvalidInput

VERRA_13 = "9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
VERRA_12 = "8040-449402275-449402275-VCU-042-MER-PE-14-1360-01072013-30062014-1"
GOLD = "GS1-1-KE-GS7495-16-2025-30645-608-30350"
KYOTO = "CN-5-1000-2-2-0-1234 - CN-5-1999-2-2-0-1234"
ITMO_SECTORAL = "VU-ITMO-11-356-2022-0-27-35"
ITMO_CREDIT = "CA0004-VU-CH-356-1-3000-2023"

DEFINED_EXAMPLES = {
    "CCER": "CCER-CN-100231-2024-3-1-50000",
    "SZ-PUHUI": "SZPH-CN-2023017-2024-1-1-1200",
    "PHCER": "PHCER-CN-440115-2023-2-501-1500",
    "A6.4ER": "A6.4ER-GH-12-2026-1-1-10000",
    "SZA": "SZA-CN-0-2024-1-1-1000000",
    "GDEA": "GDEA-CN-0-2024-2-1-500000",
    "CEA": "CEA-CN-0-2023-1-1-4000000",
}


def test_verra_13_segments():
    block = VERRA.parse(VERRA_13)
    assert (block.programme, block.unit_type, block.serial_space) == ("VCS", "VCU", "VCS")
    assert (block.start, block.end, block.quantity) == (115597313, 115618057, 20745)
    assert (block.project_id, block.country, block.vintage) == ("1060", "US", "01012019-31122019")
    assert block.attributes == {
        "form": "13",
        "issuance_id": "9660",
        "code": "261",
        "registry_code": "VER",
        "sectoral_scope": "14",
        "flag": "0",
    }
    assert VERRA.format(block) == VERRA_13


def test_verra_older_12_segments_from_markit():
    block = VERRA.parse(VERRA_12)
    assert (block.start, block.end, block.quantity) == (449402275, 449402275, 1)
    assert (block.project_id, block.country, block.vintage) == ("1360", "PE", "01072013-30062014")
    assert block.attributes["registry_code"] == "MER"
    assert block.attributes["form"] == "12"
    assert block.attributes["flag"] == "1"
    assert VERRA.format(block) == VERRA_12


def test_verra_vintage_crossing_a_year_boundary_is_kept_as_written():
    serial = "1-1-10-VCS-VCU-1234-VER-BR-14-981-01112020-31102021-0"
    assert VERRA.parse(serial).vintage == "01112020-31102021"


def test_gold_standard():
    block = GOLD_STANDARD.parse(GOLD)
    assert (block.programme, block.unit_type) == ("GS", "VER")
    assert (block.country, block.project_id, block.vintage) == ("KE", "GS7495", "2025")
    assert (block.start, block.end, block.quantity) == (608, 30350, 29743)
    assert block.serial_space == "GS:30645"
    assert block.attributes == {"project_type": "16", "batch": "30645"}
    assert GOLD_STANDARD.format(block) == GOLD


def test_gold_standard_batches_are_separate_serial_spaces():
    other_batch = GOLD_STANDARD.parse("GS1-1-KE-GS7495-16-2025-30646-608-30350")
    assert not GOLD_STANDARD.parse(GOLD).overlaps(other_batch)


def test_kyoto_cer_block():
    block = CDM.parse(KYOTO)
    assert (block.programme, block.unit_type, block.country) == ("CDM", "CER", "CN")
    assert (block.start, block.end, block.quantity) == (1000, 1999, 1000)
    assert (block.project_id, block.vintage, block.serial_space) == ("1234", "CP2", "KYOTO:CN:2")
    assert block.attributes["applicable_commitment_period"] == "2"
    assert block.attributes["lulucf_activity"] == "0"
    assert CDM.format(block) == KYOTO


def test_kyoto_temporary_cer():
    block = CDM.parse("CO-6-1-1-1-1-77 - CO-6-50-1-1-1-77")
    assert block.unit_type == "tCER" and block.quantity == 50


def test_itmo_sectoral_form():
    block = ITMO.parse(ITMO_SECTORAL)
    assert (block.programme, block.unit_type, block.country) == ("ITMO", "ITMO", "VU")
    assert (block.project_id, block.vintage, block.start, block.end) == ("356", "2022", 27, 35)
    assert block.quantity == 9
    assert block.serial_space == "ITMO:VU:356:2022"
    assert block.attributes["sectoral_scope"] == "11"
    assert ITMO.format(block) == ITMO_SECTORAL


def test_itmo_credit_form():
    block = ITMO.parse(ITMO_CREDIT)
    assert (block.country, block.project_id, block.vintage) == ("VU", "356", "2023")
    assert (block.start, block.end, block.quantity) == (1, 3000, 3000)
    assert block.attributes["credit_id"] == "CA0004"
    assert block.attributes["first_transferring_party"] == "CH"
    assert block.serial_space == "ITMO:VU:356:2023"
    assert ITMO.format(block) == ITMO_CREDIT


def test_both_itmo_printings_of_one_project_and_vintage_share_a_serial_space():
    sectoral = ITMO.parse("VU-ITMO-11-356-2023-0-27-35")
    credit = ITMO.parse(ITMO_CREDIT)
    assert sectoral.overlaps(credit)


def test_itmo_partial_transfer_keeps_the_lower_part_writable():
    head, tail = ITMO.parse(ITMO_CREDIT).split(1000)
    assert tail is not None
    assert ITMO.format(head) == "CA0004-VU-CH-356-1-1000-2023"
    assert ITMO.format(tail) == "CA0004-VU-CH-356-1001-3000-2023"


@pytest.mark.parametrize(
    ("grammar", "serial", "head_serial", "tail_serial"),
    [
        (
            VERRA,
            VERRA_13,
            "9660-115597313-115597412-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0",
            "9660-115597413-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0",
        ),
        (
            GOLD_STANDARD,
            GOLD,
            "GS1-1-KE-GS7495-16-2025-30645-608-707",
            "GS1-1-KE-GS7495-16-2025-30645-708-30350",
        ),
        (
            CDM,
            KYOTO,
            "CN-5-1000-2-2-0-1234 - CN-5-1099-2-2-0-1234",
            "CN-5-1100-2-2-0-1234 - CN-5-1999-2-2-0-1234",
        ),
    ],
)
def test_split_halves_are_serials_of_the_same_grammar(grammar, serial, head_serial, tail_serial):
    head, tail = grammar.parse(serial).split(100)
    assert grammar.format(head) == head_serial
    assert grammar.format(tail) == tail_serial
    assert grammar.parse(head_serial) == head and grammar.parse(tail_serial) == tail


def test_every_defined_format_has_an_example():
    assert set(DEFINED_EXAMPLES) == set(DEFINED_FORMATS)


@pytest.mark.parametrize(("programme", "serial"), sorted(DEFINED_EXAMPLES.items()))
def test_defined_examples(programme, serial):
    grammar = defined_grammar(programme)
    block = grammar.parse(serial)
    _, country, project, vintage, batch, start, end = serial.rsplit("-", 6)
    assert block.programme == programme
    assert block.unit_type == DEFINED_FORMATS[programme].unit_type
    assert (block.country, block.project_id, block.vintage) == (country, project, vintage)
    assert (block.start, block.end) == (int(start), int(end))
    assert block.serial_space == f"{programme}:{project}:{vintage}:{batch}"
    assert grammar.format(block) == serial


def test_defined_serial_spaces_restart_per_batch():
    first = defined_grammar("CCER").parse("CCER-CN-100231-2024-3-1-50000")
    second = defined_grammar("CCER").parse("CCER-CN-100231-2024-4-1-50000")
    assert not first.overlaps(second)


def test_a_grammar_refuses_to_write_another_programmes_block():
    with pytest.raises(InvalidInput, match="GS block cannot be written as a VCS serial"):
        VERRA.format(GOLD_STANDARD.parse(GOLD))


def test_a_block_without_the_grammars_attributes_cannot_be_written():
    block = VERRA.parse(VERRA_13).model_copy(update={"attributes": {}})
    with pytest.raises(InvalidInput, match="form"):
        VERRA.format(block)


def test_docs_show_every_example():
    docs = (Path(__file__).parents[2] / "docs" / "serials.md").read_text(encoding="utf-8")
    examples = [VERRA_13, VERRA_12, GOLD, KYOTO, ITMO_SECTORAL, ITMO_CREDIT, *DEFINED_EXAMPLES.values()]
    assert [e for e in examples if f"`{e}`" not in docs] == []
