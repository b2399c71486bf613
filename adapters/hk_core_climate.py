"""HKEX Core Climate: holds, trades, settles and retires international voluntary credits.

It issues nothing of its own: VCUs and Gold Standard VERs are held under their
issuing serials, so its grammar is the union of those two and its programme
label, CORE-CLIMATE, names the marketplace rather than an issuer.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.mirrored import MirroredGrammar
from adapters.grammars.verra import VERRA
from domain.registries import RegistryInfo
from domain.units import UnitStatus

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="hk-core-climate",
        name="HKEX Core Climate",
        jurisdiction="HK",
        programme="CORE-CLIMATE",
        unit_types=("VCU", "VER"),
    ),
    grammar=MirroredGrammar("CORE-CLIMATE", (VERRA, GOLD_STANDARD)),
    status_words={
        "Available": UnitStatus.HELD,
        "Locked": UnitStatus.LOCKED,
        "Withdrawn": UnitStatus.EXPORTED,  # delivered out to a registry account
        "Retired": UnitStatus.RETIRED,
        "Cancelled": UnitStatus.CANCELLED,
        "Expired": UnitStatus.EXPIRED,
        "Pledged": UnitStatus.PLEDGED,
    },
    accepted_programmes=frozenset({"VCS", "GS"}),
)
