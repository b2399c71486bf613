"""The Gold Standard Impact Registry: VERs, read-only to the gateway.

Its public API only reads projects and credits, so transfers out of it are
evidence-based: the holder immobilises the block with a note naming the transfer
and the gateway verifies it; a retirement is never accepted as evidence. Its API
reports a block as ISSUED or RETIRED; IMMOBILISED is ours (Gold Standard has no
such state yet) and, like every immobilisation for transfer, maps to exported:
the units now live at the destination. The other words are labels for states the
sandbox needs to show.
"""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.gold_standard import GOLD_STANDARD
from domain.registries import Capability, RegistryInfo
from domain.units import UnitStatus

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="gold-standard",
        name="Gold Standard Impact Registry",
        jurisdiction="XX",
        programme="GS",
        unit_types=("VER",),
        evidence_based=True,
        capabilities=frozenset({Capability.EVIDENCE}),
    ),
    grammar=GOLD_STANDARD,
    status_words={
        "ISSUED": UnitStatus.HELD,
        "IMMOBILISED": UnitStatus.EXPORTED,
        "TRANSFERRED": UnitStatus.EXPORTED,
        "ON_HOLD": UnitStatus.LOCKED,
        "RETIRED": UnitStatus.RETIRED,
        "CANCELLED": UnitStatus.CANCELLED,
        "EXPIRED": UnitStatus.EXPIRED,
        "PLEDGED": UnitStatus.PLEDGED,
    },
    accepted_programmes=frozenset({"GS"}),
)
