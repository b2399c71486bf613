"""China's national voluntary registry (CCER), run by the national climate strategy centre.

Besides CCERs it keeps CCER-side holding accounts for ITMOs from Belt-and-Road
partner countries, so it accepts the ITMO programme too. Which partner countries
qualify is policy, checked by the rule packs, not by the serial grammar.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import CN_CREDIT_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cn-ccer",
        name="China Certified Emission Reduction registry (CCER)",
        jurisdiction="CN",
        programme="CCER",
        unit_types=("CCER",),
    ),
    grammar=defined_grammar("CCER"),
    status_words=CN_CREDIT_WORDS,
    accepted_programmes=frozenset({"CCER", "ITMO"}),
)
