"""National Article 6.2 registries come from a data file that is checked when it loads."""

from pathlib import Path

import pytest

from adapters import national
from adapters.national import InvalidRegistryData, load, profiles

GOOD = """
[[registry]]
country = "KE"
name = "Kenya national carbon registry"
programme = "ITMO"
grammar = "itmo"
article6_authorised = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "national_registries.toml"
    path.write_text(text, encoding="utf-8")
    return path


def entry(country: str, *, grammar: str = "itmo", programme: str = "ITMO", name: str = "Somewhere") -> str:
    return (
        f'\n[[registry]]\ncountry = "{country}"\nname = "{name}"\nprogramme = "{programme}"\n'
        f'grammar = "{grammar}"\narticle6_authorised = false\n'
    )


def test_shipped_file_has_the_belt_and_road_partners():
    ids = [p.registry_id for p in profiles()]
    assert ids == sorted(ids)
    for iso2 in ("id", "th", "gh", "ke", "vu", "sg"):
        assert f"{iso2}-national" in ids


def test_profile_fields_come_from_the_entry(tmp_path):
    [kenya] = profiles(write(tmp_path, GOOD))
    assert kenya.registry_id == "ke-national"
    assert kenya.info.jurisdiction == "KE"
    assert kenya.info.name == "Kenya national carbon registry"
    assert kenya.info.unit_types == ("ITMO",)
    assert kenya.accepted_programmes == {"ITMO"}
    assert kenya.grammar.parse("KE-ITMO-1-7-2024-0-1-10").quantity == 10
    assert national.article6_authorised(write(tmp_path, GOOD)) == {"ke-national": True}


@pytest.mark.parametrize(
    ("country", "complaint"),
    [("ZZ", "'ZZ' is not an ISO 3166 country"), ("ke", "in capitals"), ("KEN", "alpha-2"), ("", "alpha-2")],
)
def test_bad_country_code_is_refused_naming_the_entry(tmp_path, country, complaint):
    path = write(tmp_path, GOOD + entry(country, name="Nowhere registry"))
    with pytest.raises(InvalidRegistryData) as refused:
        load(path)
    message = str(refused.value)
    assert "registry entry 2" in message
    assert "Nowhere registry" in message
    assert complaint in message


def test_unknown_grammar_is_refused(tmp_path):
    with pytest.raises(InvalidRegistryData, match=r"registry entry 1.*unknown grammar 'car'"):
        load(write(tmp_path, entry("GH", grammar="car")))


def test_programme_must_match_the_grammar(tmp_path):
    with pytest.raises(InvalidRegistryData, match="programme 'VCS'"):
        load(write(tmp_path, entry("GH", programme="VCS")))


def test_missing_field_is_refused(tmp_path):
    with pytest.raises(InvalidRegistryData, match="article6_authorised"):
        load(
            write(
                tmp_path, '[[registry]]\ncountry = "GH"\nname = "x"\nprogramme = "ITMO"\ngrammar = "itmo"\n'
            )
        )


def test_unknown_field_is_refused(tmp_path):
    with pytest.raises(InvalidRegistryData, match=r"registry entry 1.*colour"):
        load(write(tmp_path, entry("GH") + 'colour = "green"\n'))


def test_a_country_listed_twice_is_refused(tmp_path):
    with pytest.raises(InvalidRegistryData, match="'GH' appears twice"):
        load(write(tmp_path, entry("GH") + entry("GH")))
