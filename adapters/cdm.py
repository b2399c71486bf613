"""The CDM registry: CERs (and temporary and long-term CERs from afforestation projects)."""

from __future__ import annotations

from adapters.base import RegistryProfile
from adapters.grammars.kyoto import CDM
from domain.registries import RegistryInfo
from domain.units import UnitStatus

PROFILE = RegistryProfile(
    info=RegistryInfo(
        registry_id="cdm",
        name="CDM registry",
        jurisdiction="XX",
        programme="CDM",
        unit_types=("CER", "tCER", "lCER"),
    ),
    grammar=CDM,
    status_words={
        "Held": UnitStatus.HELD,
        "Reserved": UnitStatus.LOCKED,  # reserved by a proposed transaction, after the ITL
        "Forwarded": UnitStatus.EXPORTED,  # forwarded to a national registry
        "Voluntarily cancelled": UnitStatus.RETIRED,
        "Cancelled": UnitStatus.CANCELLED,
        "Expired": UnitStatus.EXPIRED,  # tCERs and lCERs expire
        "Pledged": UnitStatus.PLEDGED,
    },
    accepted_programmes=frozenset({"CDM"}),
)
