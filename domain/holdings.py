"""A holding: a serial block in an account of one registry, with its status."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.serials import SerialBlock
from domain.units import UnitStatus


class Holding(BaseModel):
    model_config = ConfigDict(frozen=True)

    registry_id: str
    account_id: str
    block: SerialBlock
    status: UnitStatus
    registry_status: str  # the registry's own word for the status, before mapping
