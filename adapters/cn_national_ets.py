"""China's national ETS registry: CEA allowances, and the CCERs surrendered as offsets."""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_ALLOWANCE_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-national-ets",
        name="China national carbon emissions trading registry",
        jurisdiction="CN",
        programme="CEA",
        unit_types=("CEA",),
    ),
    grammar=defined_grammar("CEA"),
    status_words=CN_ALLOWANCE_WORDS,
    accepted_programmes=frozenset({"CEA", "CCER"}),
)
