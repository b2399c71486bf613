"""The Guangdong ETS registry: GDEA allowances, and the CCERs and PHCERs surrendered as offsets."""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_ALLOWANCE_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-gd-ets",
        name="Guangdong emissions trading registry",
        jurisdiction="CN-GD",
        programme="GDEA",
        unit_types=("GDEA",),
    ),
    grammar=defined_grammar("GDEA"),
    status_words=CN_ALLOWANCE_WORDS,
    accepted_programmes=frozenset({"GDEA", "CCER", "PHCER"}),
)
