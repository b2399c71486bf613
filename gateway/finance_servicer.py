"""FinanceService: banks' financing hooks, one mixin per part so each part stays small.

Pledges and repos (gateway.finance_pledges), the project library, loans and enterprise
accounts (gateway.finance_library), public-benefit retirements (gateway.finance_retirements)
and event deliveries (gateway.finance_deliveries) share the ledger, the transfer desk
and the Temporal client; units move only through the desk, so every move is a
transfer saga with its double-counting checks.
"""

from __future__ import annotations

from temporalio.client import Client

from gateway.finance_deliveries import DeliveryRpcs
from gateway.finance_library import LibraryRpcs
from gateway.finance_pledges import PledgeRpcs
from gateway.finance_retirements import RetirementRpcs
from gateway.settings import Settings
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from protos.carbon.gateway.v1 import finance_pb2_grpc


class FinanceServicer(
    PledgeRpcs, LibraryRpcs, RetirementRpcs, DeliveryRpcs, finance_pb2_grpc.FinanceServiceServicer
):
    def __init__(
        self, desk: TransferDesk, ledger: Ledger, temporal: Client, settings: Settings, watch_poll_s: float
    ) -> None:
        self._desk = desk
        self._ledger = ledger
        self._temporal = temporal
        self._settings = settings
        self._watch_poll_s = watch_poll_s
