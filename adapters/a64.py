"""The Paris Agreement Article 6.4 mechanism registry (PACM): A6.4ERs.

Whether an A6.4ER is authorised (for NDC or other international use) or a
mitigation contribution unit is a property of the holding that the host Party can
change, not of the serial, so both kinds share the unit type A6.4ER here.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gateway_defined import defined_grammar
from adapters.status_words import ARTICLE6_WORDS
from domain.registries import RegistryInfo

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="a64",
        name="Article 6.4 mechanism registry",
        jurisdiction="XX",
        programme="A6.4ER",
        unit_types=("A6.4ER",),
    ),
    grammar=defined_grammar("A6.4ER"),
    status_words=ARTICLE6_WORDS,
    accepted_programmes=frozenset({"A6.4ER"}),
)
