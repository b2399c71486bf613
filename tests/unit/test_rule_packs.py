"""Rule packs load, and a malformed pack is refused with its file, rule and field named, in plain words."""

from importlib.resources import files
from pathlib import Path

import pytest

from compliance_rules import PACKS_FOLDER, RulePackError, check_pack_file, load_rulebook

SHIPPED = sorted(PACKS_FOLDER.glob("*.toml"))

VALID = """
id = "cn-sz-ets"
version = "9.9.9"
title = "A test pack"

[applies_to]
destinations = ["cn-sz-ets"]

[[rules]]
id = "RULE-SZ-OFFSET-TOTAL"
kind = "offset_cap"
meaning = "Offsets stay within a share of verified emissions."
effective_from = 2024-01-01
[rules.params]
share = 0.10
basis = "same_year"
[rules.source]
document = "A regulation"
article = "art. 1"
confirmed = true
"""

HOSTS_RULE = """
[[rules]]
id = "RULE-SZ-HOSTS"
kind = "host_countries"
meaning = "Units come from named hosts."
effective_from = 2024-01-01
[rules.params]
allowed = {allowed}
[rules.source]
document = "A regulation"
article = "art. 2"
confirmed = true
"""


def write(folder: Path, text: str, name: str = "cn-sz-ets.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulePackError) as refused:
        check_pack_file(write(tmp_path, text))
    message = str(refused.value)
    for pydantic_words in ("pydantic", "Input should", "Value error", "validation error", "Traceback"):
        assert pydantic_words not in message
    return message


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_pack_loads_and_cites_a_source_for_every_rule(path):
    pack = check_pack_file(path)
    assert pack.id == path.stem
    for rule in pack.rules:
        assert rule.id.startswith("RULE-")
        assert rule.source.document and rule.source.article
        assert rule.source.confirmed or rule.source.note


def test_the_shipped_rulebook_has_one_pack_per_jurisdiction_or_programme():
    book = load_rulebook()
    assert book.version_stamp == (
        "article6-bri@1.0.0,cn-gd-ets@1.0.0,cn-national-ets@1.0.0,cn-sz-ets@1.0.0,gba-cross-border@1.0.0"
    )


def test_the_shenzhen_cap_under_order_343_says_it_could_not_be_confirmed():
    rule = load_rulebook().rule("RULE-SZ-OFFSET-TOTAL")
    assert rule is not None and not rule.source.confirmed
    assert "order No. 343" in rule.source.document
    assert rule.source.note is not None and "could not be confirmed" in rule.source.note


def test_the_packs_ship_as_package_data():
    shipped = {
        entry.name for entry in files("compliance_rules.packs").iterdir() if entry.name.endswith(".toml")
    }
    assert shipped == {p.name for p in SHIPPED} and len(shipped) == 5


def test_a_valid_pack_loads(tmp_path):
    pack = check_pack_file(write(tmp_path, VALID))
    assert pack.stamp == "cn-sz-ets@9.9.9"


def test_a_share_above_one_names_file_rule_and_field(tmp_path):
    message = refusal(tmp_path, VALID.replace("share = 0.10", "share = 1.5"))
    assert message == "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: params.share: must be between 0 and 1"


def test_unknown_keys_are_refused_wherever_they_are(tmp_path):
    text = VALID.replace('basis = "same_year"', 'basis = "same_year"\ncap = 3').replace(
        'kind = "offset_cap"', 'kind = "offset_cap"\ncolour = "red"'
    )
    message = refusal(tmp_path, 'owner = "me"\n' + text)
    assert message.splitlines() == [
        "cn-sz-ets.toml: owner: unknown key",
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: params.cap: unknown key",
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: colour: unknown key",
    ]


def test_an_unknown_kind_is_refused_with_the_kinds_there_are(tmp_path):
    message = refusal(tmp_path, VALID.replace('kind = "offset_cap"', 'kind = "offset_limit"'))
    assert message.startswith(
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: kind: unknown kind 'offset_limit'; one of offset_cap, "
    )
    assert "gwp_set_required" in message


def test_a_rule_id_twice_in_a_pack_is_refused(tmp_path):
    rule = VALID[VALID.index("[[rules]]") :]
    message = refusal(tmp_path, VALID + rule)
    assert message == "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: id: appears more than once in the pack"


@pytest.mark.parametrize(
    ("allowed", "field", "problem"),
    [
        ('["CN", "XY"]', "params.allowed[1]", "'XY' is not an ISO 3166-1 alpha-2 country code"),
        ('["cn"]', "params.allowed[0]", "'cn' is not an ISO 3166-1 alpha-2 country code"),
        ('["CHN"]', "params.allowed[0]", "'CHN' is not an ISO 3166-1 alpha-2 country code"),
    ],
)
def test_host_countries_must_be_iso_alpha_2_codes(tmp_path, allowed, field, problem):
    message = refusal(tmp_path, VALID + HOSTS_RULE.format(allowed=allowed))
    assert message == f"cn-sz-ets.toml: rule RULE-SZ-HOSTS: {field}: {problem}"


def test_iso_codes_that_exist_are_accepted(tmp_path):
    pack = check_pack_file(write(tmp_path, VALID + HOSTS_RULE.format(allowed='["CN", "VU", "KE"]')))
    assert [rule.id for rule in pack.rules] == ["RULE-SZ-OFFSET-TOTAL", "RULE-SZ-HOSTS"]


def test_effective_to_before_effective_from_is_refused(tmp_path):
    text = VALID.replace(
        "effective_from = 2024-01-01", "effective_from = 2024-01-01\neffective_to = 2023-12-31"
    )
    message = refusal(tmp_path, text)
    assert message == (
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: effective_to: 2023-12-31 is before effective_from 2024-01-01"
    )


def test_a_rule_without_a_source_is_refused(tmp_path):
    text = VALID[: VALID.index("[rules.source]")]
    assert refusal(tmp_path, text) == "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: source: required"


def test_an_unconfirmed_source_must_say_what_is_not_confirmed(tmp_path):
    message = refusal(tmp_path, VALID.replace("confirmed = true", "confirmed = false"))
    assert message.startswith(
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: source.note: required when confirmed = false"
    )


def test_every_problem_of_a_pack_is_listed_at_once(tmp_path):
    text = VALID.replace("share = 0.10", "share = -0.1").replace('version = "9.9.9"', "version = 2")
    text = text.replace('basis = "same_year"', 'basis = "this_year"')
    assert refusal(tmp_path, text).splitlines() == [
        "cn-sz-ets.toml: version: must be a valid string",
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: params.share: must be between 0 and 1",
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: params.basis: must be 'same_year' or 'previous_year'",
    ]


def test_a_rule_without_an_id_is_named_by_its_position(tmp_path):
    message = refusal(tmp_path, VALID.replace('id = "RULE-SZ-OFFSET-TOTAL"', ""))
    assert message == "cn-sz-ets.toml: rule #1: id: required"


def test_a_rule_id_must_start_with_rule(tmp_path):
    message = refusal(tmp_path, VALID.replace('id = "RULE-SZ-OFFSET-TOTAL"', 'id = "SZ-OFFSET"'))
    assert message.startswith("cn-sz-ets.toml: rule SZ-OFFSET: id: must be RULE- followed by")


def test_a_pack_must_be_named_after_its_file_and_say_where_it_applies(tmp_path):
    text = VALID.replace('id = "cn-sz-ets"', 'id = "cn-gd-ets"').replace(
        'destinations = ["cn-sz-ets"]', 'routes = [{ from = ["CN-ZZ"], to = ["HK"] }]'
    )
    assert refusal(tmp_path, text).splitlines() == [
        "cn-sz-ets.toml: applies_to.routes[0].from[0]: 'CN-ZZ' is not an ISO 3166-2 subdivision code",
    ]
    assert refusal(tmp_path, text.replace("CN-ZZ", "CN-GD")) == (
        "cn-sz-ets.toml: id: 'cn-gd-ets' must be the file's name, 'cn-sz-ets'"
    )
    no_scope = VALID.replace('destinations = ["cn-sz-ets"]', "")
    assert refusal(tmp_path, no_scope) == "cn-sz-ets.toml: applies_to: name destinations or routes"


def test_a_pack_with_no_rules_or_broken_toml_is_refused(tmp_path):
    assert refusal(tmp_path, VALID[: VALID.index("[[rules]]")]) == (
        "cn-sz-ets.toml: rules: required: at least one [[rules]] table"
    )
    assert refusal(tmp_path, VALID.replace("share = 0.10", "share = ")).startswith(
        "cn-sz-ets.toml: (file): not TOML: "
    )


def test_kind_specific_params_are_checked(tmp_path):
    eligible = """
[[rules]]
id = "RULE-SZ-ELIGIBLE"
kind = "eligible_units"
meaning = "Only named programmes."
effective_from = 2024-01-01
[rules.params]
excluded_project_types = ["hydropower"]
[rules.source]
document = "A regulation"
article = "art. 3"
confirmed = true
"""
    message = refusal(tmp_path, VALID + eligible)
    assert message == (
        "cn-sz-ets.toml: rule RULE-SZ-ELIGIBLE: params.unknown_project_type: "
        'required when excluded_project_types is set: "allow" or "refuse"'
    )
    offset_with_purposes = VALID.replace(
        'kind = "offset_cap"', 'kind = "offset_cap"\npurposes = ["voluntary"]'
    )
    assert refusal(tmp_path, offset_with_purposes) == (
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: purposes: an offset rule judges offset use only; "
        "leave purposes out"
    )


def test_the_rulebook_refuses_a_rule_id_two_packs_define(tmp_path):
    write(tmp_path, VALID)
    write(tmp_path, VALID.replace('id = "cn-sz-ets"', 'id = "cn-gd-ets"'), name="cn-gd-ets.toml")
    with pytest.raises(RulePackError) as refused:
        load_rulebook(tmp_path)
    assert (
        str(refused.value) == "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: id: also defined in cn-gd-ets.toml"
    )


def test_the_rulebook_lists_the_problems_of_every_bad_pack(tmp_path):
    write(tmp_path, VALID.replace("share = 0.10", "share = 2"))
    write(tmp_path, 'id = "cn-gd-ets"\n', name="cn-gd-ets.toml")
    with pytest.raises(RulePackError) as refused:
        load_rulebook(tmp_path)
    assert [(p.file, p.rule_id, p.field) for p in refused.value.problems] == [
        ("cn-gd-ets.toml", None, "version"),
        ("cn-gd-ets.toml", None, "title"),
        ("cn-gd-ets.toml", None, "applies_to"),
        ("cn-gd-ets.toml", None, "rules"),
        ("cn-sz-ets.toml", "RULE-SZ-OFFSET-TOTAL", "params.share"),
    ]
    assert refused.value.code == "INVALID-RULE-PACK"


def test_a_pack_id_and_a_rules_list_are_refused_in_plain_words(tmp_path):
    text = VALID.replace('id = "cn-sz-ets"', 'id = "CN SZ"')
    text = text.replace('basis = "same_year"', 'basis = "same_year"\nprogrammes = "CCER"')
    assert refusal(tmp_path, text).splitlines() == [
        "cn-sz-ets.toml: id: must match pattern '^[a-z0-9]+(-[a-z0-9]+)*$'",
        "cn-sz-ets.toml: rule RULE-SZ-OFFSET-TOTAL: params.programmes: must be a valid list",
    ]
