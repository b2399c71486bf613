"""What the gateway knows about a registry, independent of how it is reached."""

from __future__ import annotations

from enum import StrEnum

import pycountry
from pydantic import BaseModel, ConfigDict, field_validator


class Capability(StrEnum):
    LOCK = "lock"  # units can be immobilised for a transfer by API
    CREDIT = "credit"  # units can be created in an account by API
    FINALISE = "finalise"  # locked units can be exported by API
    EVIDENCE = "evidence"  # the holder acts in the registry; the gateway verifies


class RegistryInfo(BaseModel):
    """One registry the gateway links: id, jurisdiction (ISO 3166), programme, capabilities."""

    model_config = ConfigDict(frozen=True)

    registry_id: str
    name: str
    jurisdiction: str
    programme: str
    unit_types: tuple[str, ...]
    evidence_based: bool = False
    capabilities: frozenset[Capability] = frozenset({Capability.LOCK, Capability.CREDIT, Capability.FINALISE})

    @field_validator("jurisdiction")
    @classmethod
    def _iso3166(cls, code: str) -> str:
        """Country (alpha-2), subdivision (CN-GD) or the international code XX."""
        if code == "XX":
            return code
        if "-" in code:
            if pycountry.subdivisions.get(code=code) is None:
                raise ValueError(f"{code!r} is not an ISO 3166-2 subdivision")
            return code
        if pycountry.countries.get(alpha_2=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country")
        return code
