"""National Article 6.2 registries: one adapter, configured per country from a data file.

Belt-and-Road partners keep their own national registries, most on UNDP's open
national registry software, so they differ only in data: the Party, the
registry's name, its programme and serial grammar, and whether it records
Article 6 authorisations. Adding a country is therefore a change to
`data/national_registries.toml`, checked when it loads: an unknown country code
stops the gateway at start-up rather than at the first transfer.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pycountry
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from adapters.base import RegistryProfile
from adapters.grammars.itmo import ITMO
from adapters.status_words import ARTICLE6_WORDS
from domain.registries import RegistryInfo
from domain.serials import SerialGrammar

DATA_FILE = Path(__file__).parent / "data" / "national_registries.toml"

GRAMMARS: dict[str, SerialGrammar] = {"itmo": ITMO}


class InvalidRegistryData(ValueError):
    """The national registry data file is wrong; the message names the entry."""


class NationalRegistry(BaseModel):
    """One `[[registry]]` entry of the data file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    name: str
    programme: str
    grammar: str
    article6_authorised: bool
    unit_types: tuple[str, ...] = ("ITMO",)

    @field_validator("country")
    @classmethod
    def _iso3166(cls, code: str) -> str:
        if len(code) != 2 or not code.isascii() or not code.isupper():
            raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 code in capitals")
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166 country")
        return code

    @field_validator("grammar")
    @classmethod
    def _known_grammar(cls, name: str) -> str:
        if name not in GRAMMARS:
            raise ValueError(f"unknown grammar {name!r}; known: {', '.join(sorted(GRAMMARS))}")
        return name

    @property
    def registry_id(self) -> str:
        return f"{self.country.lower()}-national"


def load(path: Path = DATA_FILE) -> list[NationalRegistry]:
    """Every entry of the data file, refusing the first bad one by its position and name."""
    with path.open("rb") as data:
        entries = tomllib.load(data).get("registry", [])
    registries = [_entry(path, index, raw) for index, raw in enumerate(entries, start=1)]
    _refuse_duplicates(path, registries)
    return registries


def _entry(path: Path, index: int, raw: Any) -> NationalRegistry:
    label = f"{path.name}: registry entry {index}"
    if isinstance(raw, dict):
        label += f" (country {raw.get('country')!r}, name {raw.get('name')!r})"
    try:
        registry = NationalRegistry.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors())
        raise InvalidRegistryData(f"{label}: {problems}") from None
    grammar = GRAMMARS[registry.grammar]
    if registry.programme != grammar.programme:
        raise InvalidRegistryData(
            f"{label}: programme {registry.programme!r} is not the {registry.grammar!r} grammar's "
            f"{grammar.programme!r}"
        )
    return registry


def _refuse_duplicates(path: Path, registries: list[NationalRegistry]) -> None:
    seen: set[str] = set()
    for registry in registries:
        if registry.country in seen:
            raise InvalidRegistryData(f"{path.name}: country {registry.country!r} appears twice")
        seen.add(registry.country)


def profile_of(registry: NationalRegistry) -> RegistryProfile:
    return RegistryProfile(
        info=RegistryInfo(
            registry_id=registry.registry_id,
            name=registry.name,
            jurisdiction=registry.country,
            programme=registry.programme,
            unit_types=registry.unit_types,
        ),
        grammar=GRAMMARS[registry.grammar],
        status_words=ARTICLE6_WORDS,
        accepted_programmes=frozenset({registry.programme}),
    )


def profiles(path: Path = DATA_FILE) -> list[RegistryProfile]:
    """One profile per country in the data file, ordered by registry id."""
    return sorted((profile_of(r) for r in load(path)), key=lambda p: p.registry_id)


def article6_authorised(path: Path = DATA_FILE) -> dict[str, bool]:
    """Registry id -> whether that registry records Article 6 authorisations."""
    return {r.registry_id: r.article6_authorised for r in load(path)}
