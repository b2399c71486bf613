"""What the finance workflows' activities are built from (gateway.runtime builds one)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from adapters.base import RegistryAdapter
from adapters.outbound_tls import OutboundTls
from domain.transfers import Transfer, TransferRequest
from ledger import Ledger


class Desk(Protocol):
    """The transfer desk's two doors the finance activities use (gateway.transfer_desk.TransferDesk)."""

    async def submit(self, request: TransferRequest, submitted_by: str | None = None) -> Transfer: ...

    async def get(self, transfer_id: str, visible_to: str | None = None) -> Transfer: ...


@dataclass(frozen=True)
class FinanceParts:
    ledger: Ledger
    adapters: Mapping[str, RegistryAdapter]
    desk: Desk
    tls: OutboundTls
