"""The Shenzhen carbon-inclusive (碳普惠) platform: issues, registers, transfers and consumes
Shenzhen carbon-inclusive CERs.

Shenzhen is a city, not an ISO 3166-2 subdivision, so its jurisdiction is the
province, CN-GD.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_CREDIT_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-sz-puhui",
        name="Shenzhen carbon-inclusive platform",
        jurisdiction="CN-GD",
        programme="SZ-PUHUI",
        unit_types=("SZ-PHCER",),
    ),
    grammar=defined_grammar("SZ-PUHUI"),
    status_words=CN_CREDIT_WORDS,
    accepted_programmes=frozenset({"SZ-PUHUI"}),
)
