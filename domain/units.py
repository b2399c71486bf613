"""Unit statuses and unit classes shared by every registry.

Every registry has its own status words; adapters map them onto `UnitStatus`
so that holdings, checks and reports speak one language.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class UnitStatus(StrEnum):
    HELD = "held"
    LOCKED = (
        "locked"  # held back for a transfer in flight (an evidence registry's immobilisation is EXPORTED)
    )
    EXPORTED = "exported"  # left this registry through a settled transfer
    RETIRED = "retired"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PLEDGED = "pledged"


# Statuses under which units still exist in a registry; EXPORTED units now live elsewhere.
LIVE_STATUSES = frozenset(s for s in UnitStatus if s is not UnitStatus.EXPORTED)


class UnitClass(BaseModel):
    """What a tonne is: the issuing programme and unit type (e.g. VCS/VCU, CCER/CCER).

    Conservation is checked per unit class: a transfer never changes the total
    units of a class across all registries.
    """

    model_config = ConfigDict(frozen=True)

    programme: str
    unit_type: str

    def __str__(self) -> str:
        return f"{self.programme}/{self.unit_type}"
