"""gRPC servicers: thin translations between the wire and the service layer.

Every method goes through `mapped`, the one place where a domain error becomes
a gRPC status, so no servicer decides status codes on its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import grpc

from adapters import catalogue
from adapters.base import RegistryAdapter
from domain.errors import GatewayError, InvalidInput
from domain.transfers import FINAL_STATES, Transfer, TransferState, require_account_id
from gateway import wire
from gateway.settlement_proofs import consistency, settlement_receipt
from gateway.status_codes import abort_with
from gateway.transfer_desk import TransferDesk
from ledger import Ledger, TransferEvent
from protos.carbon.gateway.v1 import (
    oversight_pb2,
    oversight_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)

R = TypeVar("R")
# Anchoring always follows settlement, so a watch ends at ANCHORED, not SETTLED; it also ends at
# NEEDS_INTERVENTION, where only an operator's ResolveTransfer moves the transfer on.
WATCH_ENDS = FINAL_STATES - {TransferState.SETTLED}
_MAX_PAGE = 500
_WATCH_MAX_PAUSE_S = 2.0


def mapped(method: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
    @functools.wraps(method)
    async def run(self: Any, request: Any, context: grpc.aio.ServicerContext) -> R:
        try:
            return await method(self, request, context)
        except GatewayError as error:
            await abort_with(context, error)
            raise AssertionError("abort returned") from error

    return run


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, adapters: Mapping[str, RegistryAdapter]) -> None:
        self._adapters = adapters

    @mapped
    async def ListRegistries(
        self, request: registry_pb2.ListRegistriesRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.ListRegistriesResponse:
        infos = [p.info for p in catalogue.all_profiles()]
        return registry_pb2.ListRegistriesResponse(registries=[wire.registry_to_proto(i) for i in infos])

    @mapped
    async def ParseSerial(
        self, request: registry_pb2.ParseSerialRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.SerialBlock:
        block = catalogue.parse_serial(request.registry_id, request.serial)
        return wire.block_to_proto(request.registry_id, block)

    @mapped
    async def ListHoldings(
        self, request: registry_pb2.ListHoldingsRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.ListHoldingsResponse:
        registry_id, account = wire.holdings_query_from_proto(request)
        holdings = await self._adapters[registry_id].holdings(account)
        return registry_pb2.ListHoldingsResponse(holdings=[wire.holding_to_proto(h) for h in holdings])


class TransferServicer(transfer_pb2_grpc.TransferServiceServicer):
    def __init__(self, desk: TransferDesk, watch_poll_s: float) -> None:
        self._desk = desk
        self._watch_poll_s = watch_poll_s

    @mapped
    async def SubmitTransfer(
        self, request: transfer_pb2.SubmitTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.Transfer:
        transfer = await self._desk.submit(wire.transfer_request_from_proto(request))
        return self._shown(transfer)

    @mapped
    async def GetTransfer(
        self, request: transfer_pb2.GetTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.Transfer:
        return self._shown(await self._desk.get(request.transfer_id))

    @mapped
    async def ListTransfers(
        self, request: transfer_pb2.ListTransfersRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.ListTransfersResponse:
        if request.page_size < 0:
            raise InvalidInput("page_size must not be negative", field="page_size")
        states = {wire.transfer_state_from_proto(s) for s in request.filter.states} or None
        transfers, token = await self._desk.list(
            states=states,
            registry_id=request.filter.registry_id or None,
            account_id=(
                require_account_id(request.filter.account_id, "filter.account_id")
                if request.filter.account_id
                else None
            ),
            page_size=min(request.page_size or 50, _MAX_PAGE),
            page_token=request.page_token or None,
        )
        return transfer_pb2.ListTransfersResponse(
            transfers=[wire.transfer_to_proto(t) for t in transfers], next_page_token=token or ""
        )

    @mapped
    async def SubmitEvidence(
        self, request: transfer_pb2.SubmitEvidenceRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.Transfer:
        return self._shown(await self._desk.submit_evidence(request.transfer_id))

    @mapped
    async def ResolveTransfer(
        self, request: transfer_pb2.ResolveTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.Transfer:
        decision = wire.operator_decision_from_proto(request)
        return self._shown(await self._desk.resolve(request.transfer_id, decision))

    def _shown(self, transfer: Transfer, history: Sequence[TransferEvent] = ()) -> transfer_pb2.Transfer:
        """The transfer on the wire, with what its holder must do while it waits for evidence."""
        msg = wire.transfer_to_proto(transfer, history)
        awaited = self._desk.evidence_awaited(transfer, history)
        if awaited is not None:
            msg.evidence_awaited.holder_action = awaited.holder_action
            msg.evidence_awaited.deadline_time.FromDatetime(awaited.deadline)
        return msg

    async def WatchTransfer(
        self, request: transfer_pb2.WatchTransferRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[transfer_pb2.Transfer]:
        """Streams the transfer once per state it went through, in order; ends after ANCHORED, REJECTED,
        COMPENSATED or NEEDS_INTERVENTION.

        States come from the ledger's event history, so none is skipped however
        quickly the saga moves between two looks.
        """
        sent = 0
        pause = self._watch_poll_s
        while True:
            try:
                transfer, events = await self._desk.history(request.transfer_id)
            except GatewayError as error:
                await abort_with(context, error)
                return
            for upto in range(sent + 1, len(events) + 1):
                yield self._shown(transfer, events[:upto])
            if events and events[-1].state in WATCH_ENDS:
                return
            # Look often while the saga moves, less often while it waits (for evidence, say).
            pause = self._watch_poll_s if len(events) > sent else min(pause * 2, _WATCH_MAX_PAUSE_S)
            sent = len(events)
            await asyncio.sleep(pause)


def _hex_bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


class OversightServicer(oversight_pb2_grpc.OversightServiceServicer):
    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    @mapped
    async def GetSettlementProof(
        self, request: oversight_pb2.GetSettlementProofRequest, context: grpc.aio.ServicerContext
    ) -> oversight_pb2.SettlementProof:
        receipt = await asyncio.to_thread(settlement_receipt, self._ledger, request.transfer_id)
        return oversight_pb2.SettlementProof(
            transfer_id=request.transfer_id,
            leaf=_hex_bytes(receipt.leaf),
            leaf_index=receipt.leaf_index,
            tree_size=receipt.tree_size,
            root=_hex_bytes(receipt.root),
            inclusion_proof=[_hex_bytes(node) for node in receipt.inclusion_proof],
            chain_id=receipt.chain_id,
            contract_address=receipt.contract_address,
            anchor_tx_hash=receipt.anchor_tx_hash,
            anchor_block_number=receipt.anchor_block_number,
        )

    @mapped
    async def GetConsistencyProof(
        self, request: oversight_pb2.GetConsistencyProofRequest, context: grpc.aio.ServicerContext
    ) -> oversight_pb2.ConsistencyProof:
        facts = await asyncio.to_thread(consistency, self._ledger, request.from_size, request.to_size)
        return oversight_pb2.ConsistencyProof(
            from_size=facts.from_size,
            to_size=facts.to_size,
            from_root=facts.from_root,
            to_root=facts.to_root,
            proof=facts.proof,
        )
