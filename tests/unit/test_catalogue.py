"""The catalogue: every registry by id, every programme's grammar, parsing for a registry."""

import pytest

from adapters.catalogue import (
    all_profiles,
    format_serial,
    grammar_for_programme,
    parse_serial,
    profile,
    programmes,
)
from domain.errors import InvalidInput, MalformedSerial, UnknownRegistry
from domain.registries import Capability
from domain.units import UnitStatus

NAMED = [
    "verra",
    "gold-standard",
    "cn-ccer",
    "cn-national-ets",
    "cn-sz-ets",
    "cn-sz-puhui",
    "cn-gd-ets",
    "cn-gd-puhui",
    "hk-core-climate",
    "mo-micx",
    "a64",
    "cdm",
]
NATIONAL = ["gh-national", "id-national", "ke-national", "sg-national", "th-national", "vu-national"]

VCU = "9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
VER = "GS1-1-KE-GS7495-16-2025-30645-608-30350"
CCER = "CCER-CN-100231-2024-3-1-50000"
SZA = "SZA-CN-0-2024-1-1-1000000"
SZPH = "SZPH-CN-2023017-2024-1-1-1200"
PHCER = "PHCER-CN-440115-2023-2-501-1500"
ITMO = "VU-ITMO-11-356-2022-0-27-35"


def test_all_profiles_in_a_stable_order():
    ids = [p.registry_id for p in all_profiles()]
    assert ids == NAMED + NATIONAL
    assert [p.registry_id for p in all_profiles()] == ids


def test_profile_by_id():
    assert profile("cn-sz-ets").info.name == "Shenzhen emissions trading registry"


def test_unknown_registry_is_refused_by_name():
    with pytest.raises(UnknownRegistry, match="'cn-bj-ets'") as refused:
        profile("cn-bj-ets")
    assert "cn-sz-ets" in str(refused.value)  # the message lists what is known


@pytest.mark.parametrize("registry", all_profiles(), ids=lambda p: p.registry_id)
def test_every_status_has_a_word(registry):
    for status in UnitStatus:
        assert registry.status_words[registry.word_for(status)] is status


@pytest.mark.parametrize("registry", all_profiles(), ids=lambda p: p.registry_id)
def test_a_registry_accepts_what_its_grammar_parses(registry):
    own = registry.grammar.programme
    assert own in registry.accepted_programmes or isinstance(
        getattr(registry.grammar, "issuers", None), tuple
    )
    for programme in registry.accepted_programmes:
        assert grammar_for_programme(programme).programme == programme


def test_evidence_based_registries():
    for registry in all_profiles():
        evidence = registry.registry_id in {"verra", "gold-standard"}
        assert registry.info.evidence_based is evidence
        expected = (
            {Capability.EVIDENCE} if evidence else {Capability.LOCK, Capability.CREDIT, Capability.FINALISE}
        )
        assert registry.info.capabilities == expected


@pytest.mark.parametrize(
    ("registry_id", "jurisdiction"),
    [
        ("verra", "XX"),
        ("cn-ccer", "CN"),
        ("cn-sz-ets", "CN-GD"),
        ("cn-gd-puhui", "CN-GD"),
        ("hk-core-climate", "HK"),
        ("mo-micx", "MO"),
        ("a64", "XX"),
        ("vu-national", "VU"),
    ],
)
def test_jurisdictions(registry_id, jurisdiction):
    assert profile(registry_id).info.jurisdiction == jurisdiction


@pytest.mark.parametrize(
    ("registry_id", "accepted"),
    [
        ("hk-core-climate", {"VCS", "GS"}),
        ("mo-micx", {"VCS", "GS"}),
        ("cn-sz-ets", {"SZA", "CCER", "SZ-PUHUI"}),
        ("cn-gd-ets", {"GDEA", "CCER", "PHCER"}),
        ("cn-ccer", {"CCER", "ITMO"}),
    ],
)
def test_accepted_programmes(registry_id, accepted):
    assert profile(registry_id).accepted_programmes == accepted


@pytest.mark.parametrize(
    ("registry_id", "serial", "programme"),
    [
        ("verra", VCU, "VCS"),
        ("gold-standard", VER, "GS"),
        ("hk-core-climate", VCU, "VCS"),
        ("hk-core-climate", VER, "GS"),
        ("mo-micx", VER, "GS"),
        ("cn-sz-ets", SZA, "SZA"),
        ("cn-sz-ets", CCER, "CCER"),
        ("cn-sz-ets", SZPH, "SZ-PUHUI"),
        ("cn-gd-ets", PHCER, "PHCER"),
        ("cn-ccer", ITMO, "ITMO"),
        ("vu-national", ITMO, "ITMO"),
        ("cdm", "CN-5-1000-2-2-0-1234 - CN-5-1999-2-2-0-1234", "CDM"),
    ],
)
def test_parse_serial_for_a_registry(registry_id, serial, programme):
    block = parse_serial(registry_id, serial)
    assert block.programme == programme
    # A held block is rendered in its issuing programme's grammar, wherever it is held.
    assert grammar_for_programme(block.programme).format(block) == serial
    assert format_serial(block) == serial


@pytest.mark.parametrize("serial", [VCU, VER])
def test_a_mirrored_registry_grammar_writes_every_programme_it_holds(serial):
    grammar = profile("hk-core-climate").grammar
    assert grammar.format(grammar.parse(serial)) == serial


def test_a_mirrored_registry_grammar_refuses_to_write_other_programmes():
    with pytest.raises(InvalidInput, match="holds VCS, GS units, not CCER"):
        profile("mo-micx").grammar.format(parse_serial("cn-ccer", CCER))


@pytest.mark.parametrize(
    ("registry_id", "serial"),
    [
        ("verra", VER),
        ("hk-core-climate", CCER),
        ("cn-sz-ets", PHCER),
        ("cn-gd-ets", SZPH),
        ("cn-sz-puhui", CCER),
    ],
)
def test_a_registry_refuses_programmes_it_does_not_hold(registry_id, serial):
    with pytest.raises(MalformedSerial):
        parse_serial(registry_id, serial)


def test_the_error_comes_from_the_grammar_the_serial_was_meant_for():
    # A CCER with a mistyped vintage, sent to Shenzhen ETS: the CCER grammar's complaint, not "not SZA".
    with pytest.raises(MalformedSerial) as refused:
        parse_serial("cn-sz-ets", "CCER-CN-100231-2O24-3-1-50000")
    assert refused.value.segment == "vintage"


def test_a_mirrored_registry_reports_the_issuers_error():
    with pytest.raises(MalformedSerial) as refused:
        parse_serial("hk-core-climate", VER.replace("-KE-", "-QQ-"))
    assert refused.value.segment == "host country"


def test_an_unclaimed_serial_gets_the_registrys_own_error():
    with pytest.raises(MalformedSerial) as refused:
        parse_serial("cn-sz-ets", "hello")
    assert refused.value.segment == "prefix"
    assert "'SZA'" in refused.value.reason


def test_mirrored_units_keep_their_serial_space():
    in_verra = parse_serial("verra", VCU)
    in_hk = parse_serial("hk-core-climate", VCU)
    assert in_hk.overlaps(in_verra)


def test_grammar_for_every_programme():
    assert set(programmes()) >= {
        "VCS",
        "GS",
        "CCER",
        "SZA",
        "SZ-PUHUI",
        "GDEA",
        "PHCER",
        "CEA",
        "A6.4ER",
        "CDM",
        "ITMO",
    }
    for programme in programmes():
        assert grammar_for_programme(programme).programme == programme


def test_unknown_programme_is_refused():
    with pytest.raises(InvalidInput, match="'CAR'"):
        grammar_for_programme("CAR")


def test_unknown_registry_in_parse_serial():
    with pytest.raises(UnknownRegistry):
        parse_serial("nowhere", VCU)
