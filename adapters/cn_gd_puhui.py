"""The Guangdong carbon-inclusive (碳普惠) platform: PHCERs from provincial low-carbon projects."""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_CREDIT_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-gd-puhui",
        name="Guangdong carbon-inclusive platform",
        jurisdiction="CN-GD",
        programme="PHCER",
        unit_types=("PHCER",),
    ),
    grammar=defined_grammar("PHCER"),
    status_words=CN_CREDIT_WORDS,
    accepted_programmes=frozenset({"PHCER"}),
)
