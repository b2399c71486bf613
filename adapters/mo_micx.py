"""Macau International Carbon Exchange (MICX): holds and trades international voluntary credits.

Like Core Climate it issues nothing of its own and holds Verra and Gold Standard
units under their issuing serials.
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
        registry_id="mo-micx",
        name="Macau International Carbon Exchange",
        jurisdiction="MO",
        programme="MICX",
        unit_types=("VCU", "VER"),
    ),
    grammar=MirroredGrammar("MICX", (VERRA, GOLD_STANDARD)),
    status_words={
        "Held": UnitStatus.HELD,
        "Frozen": UnitStatus.LOCKED,
        "Transferred out": UnitStatus.EXPORTED,
        "Retired": UnitStatus.RETIRED,
        "Cancelled": UnitStatus.CANCELLED,
        "Expired": UnitStatus.EXPIRED,
        "Pledged": UnitStatus.PLEDGED,
    },
    accepted_programmes=frozenset({"VCS", "GS"}),
)
