"""What every part of FinanceService shares: the ledger, the transfer desk and the Temporal client."""

from __future__ import annotations

import asyncio

from temporalio.client import Client

from domain.transfers import AccountRef
from gateway.roles import current_caller
from gateway.servicers import not_held
from gateway.settings import Settings
from gateway.transfer_desk import TransferDesk
from ledger import Ledger


class FinanceRpcs:
    """The state each FinanceService mixin reads (set once by FinanceServicer)."""

    _desk: TransferDesk
    _ledger: Ledger
    _temporal: Client
    _settings: Settings
    _watch_poll_s: float

    async def _require_held_by_caller(self, account: AccountRef, field: str) -> None:
        """PERMISSION_DENIED naming `field` unless the caller's organisation holds the account (as its
        registry operator recorded); callers who see everything act for any account."""
        caller = current_caller()
        if caller.visible_org is None:
            return
        if await asyncio.to_thread(self._ledger.account_holder, account) != caller.org:
            raise not_held(account, field)
