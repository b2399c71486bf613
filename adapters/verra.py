"""The Verra VCS registry: VCUs, read-only to the gateway.

Verra has no write API: the holder immobilises units in the registry naming the
transfer, and the gateway verifies that evidence. Verra's May 2022 decision bars
tokens of retired credits, so "Immobilised" is never retired. Units immobilised
for a transfer have left Verra from the conservation point of view (the
destination holds their mirror), so the word maps to exported; "On Hold" is the
registry's own freeze, our locked.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.verra import VERRA
from domain.registries import Capability, RegistryInfo
from domain.units import UnitStatus

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="verra",
        name="Verra Registry (Verified Carbon Standard)",
        jurisdiction="XX",
        programme="VCS",
        unit_types=("VCU",),
        evidence_based=True,
        capabilities=frozenset({Capability.EVIDENCE}),
    ),
    grammar=VERRA,
    status_words={
        "Active": UnitStatus.HELD,
        "Immobilised": UnitStatus.EXPORTED,
        "Transferred": UnitStatus.EXPORTED,
        "On Hold": UnitStatus.LOCKED,
        "Retired": UnitStatus.RETIRED,
        "Cancelled": UnitStatus.CANCELLED,
        "Expired": UnitStatus.EXPIRED,
        "Pledged": UnitStatus.PLEDGED,
    },
    accepted_programmes=frozenset({"VCS"}),
)


def asset_status(word: str) -> str:
    """How the public asset search writes one of the registry's words: "On Hold" is `ON_HOLD`."""
    return word.upper().replace(" ", "_")
