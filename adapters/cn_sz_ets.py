"""The Shenzhen ETS registry: SZA allowances and the offsets surrendered against them.

Shenzhen is a city, not an ISO 3166-2 subdivision, so its jurisdiction is the
province, CN-GD. Covered entities may surrender CCERs and Shenzhen carbon-inclusive
CERs as offsets, so the registry holds those programmes as well.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_ALLOWANCE_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-sz-ets",
        name="Shenzhen emissions trading registry",
        jurisdiction="CN-GD",
        programme="SZA",
        unit_types=("SZA",),
    ),
    grammar=defined_grammar("SZA"),
    status_words=CN_ALLOWANCE_WORDS,
    accepted_programmes=frozenset({"SZA", "CCER", "SZ-PUHUI"}),
)
