"""gRPC servicers: thin translations between the wire and the service layer.

Every method goes through `mapped`, which first enforces the contract's REQUIRED
fields (gateway.required_fields) and is the one place where a domain error becomes
a gRPC status, so no servicer decides status codes on its own.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from adapters import catalogue
from adapters.base import RegistryAdapter
from domain import paging
from domain.errors import GatewayError, PermissionDenied, ResourceError
from domain.holdings import Holding
from domain.signed_requests import require_org
from domain.transfers import FINAL_STATES, AccountRef, Transfer, TransferState, require_account_id
from gateway import request_bounds, wire
from gateway.roles import current_caller
from gateway.status_codes import abort_with
from gateway.transfer_desk import TransferDesk
from ledger import Ledger, TransferEvent
from protos.carbon.gateway.v1 import (
    registry_pb2,
    registry_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)

R = TypeVar("R")
Method = Callable[..., Awaitable[R]]
# Anchoring always follows settlement, so a watch ends at ANCHORED, not SETTLED; it also ends at
# NEEDS_INTERVENTION, where only an operator's ResolveTransfer moves the transfer on.
WATCH_ENDS = FINAL_STATES - {TransferState.SETTLED}
_WATCH_MAX_PAUSE_S = 2.0
# With every saga's commit waking the stream, its own look only covers a wake-up lost (a bug, a
# writer we do not hear): rare enough that hundreds of streams need not read the ledger each second.
_WATCH_FALLBACK_S = 10.0


def named_resource(error: GatewayError, request: Message, resource: tuple[str, str] | None) -> GatewayError:
    """`error`, naming the resource the request asked about when its raiser could not."""
    if resource is not None and isinstance(error, ResourceError):
        kind, id_field = resource
        error.resource_type = error.resource_type or kind
        error.resource_name = error.resource_name or str(getattr(request, id_field))
    return error


def mapped_on(resource: tuple[str, str] | None) -> Callable[[Method[R]], Method[R]]:
    """`mapped`, for a method about one resource: (its kind, the request field holding its id)."""

    def wrap(method: Method[R]) -> Method[R]:
        @functools.wraps(method)
        async def run(self: Any, request: Message, context: grpc.aio.ServicerContext) -> R:
            try:
                request_bounds.check(request)  # every empty REQUIRED field and every bound, at once
                return await method(self, request, context)
            except GatewayError as error:
                await abort_with(context, named_resource(error, request, resource))
                raise AssertionError("abort returned") from error

        return run

    return wrap


def mapped(method: Method[R]) -> Method[R]:
    """Required fields first, then the method; a domain error becomes its status."""
    return mapped_on(None)(method)


ON_TRANSFER = ("transfer", "transfer_id")


def _holding_key(holding: Holding) -> paging.Key:
    block = holding.block
    return (holding.account_id, block.serial_space, block.start, holding.status.value)


def not_held(account: AccountRef, field: str) -> PermissionDenied:
    return PermissionDenied(
        f"account {account.registry_id}:{account.account_id} is not held by the caller's organisation",
        code="ACCOUNT-NOT-HELD",
        field=field,
    )


class RegistryServicer(registry_pb2_grpc.RegistryServiceServicer):
    def __init__(self, adapters: Mapping[str, RegistryAdapter], ledger: Ledger) -> None:
        self._adapters = adapters
        self._ledger = ledger

    @mapped
    async def RecordAccountHolder(
        self, request: registry_pb2.RecordAccountHolderRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.RecordAccountHolderResponse:
        account = wire.registry_account_from_proto(request.registry_id, request.account_id)
        holder = require_org(request.holder_org, "holder_org")
        by = current_caller().label[:128]
        await asyncio.to_thread(self._ledger.record_account_holder, account, holder, by, datetime.now(UTC))
        return registry_pb2.RecordAccountHolderResponse(
            registry_id=account.registry_id, account_id=account.account_id, holder_org=holder
        )

    @mapped
    async def ListRegistries(
        self, request: registry_pb2.ListRegistriesRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.ListRegistriesResponse:
        infos, token = paging.page_of(
            [p.info for p in catalogue.all_profiles()],
            lambda info: (info.registry_id,),
            scope="registries",
            query={},
            size=paging.page_size(request.page_size),
            token=request.page_token,
        )
        return registry_pb2.ListRegistriesResponse(
            registries=[wire.registry_to_proto(i) for i in infos], next_page_token=token
        )

    @mapped
    async def ParseSerial(
        self, request: registry_pb2.ParseSerialRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.ParseSerialResponse:
        block = catalogue.parse_serial(request.registry_id, request.serial)
        return registry_pb2.ParseSerialResponse(block=wire.block_to_proto(request.registry_id, block))

    @mapped
    async def ListHoldings(
        self, request: registry_pb2.ListHoldingsRequest, context: grpc.aio.ServicerContext
    ) -> registry_pb2.ListHoldingsResponse:
        registry_id, account = wire.holdings_query_from_proto(request)
        size = paging.page_size(request.page_size)
        query = {"registry_id": registry_id, "account_id": "*" if account is None else f"={account}"}
        org = current_caller().visible_org
        if org is not None:  # only the accounts the caller's organisation holds
            query["holder_org"] = f"={org}"
            held = await asyncio.to_thread(self._ledger.accounts_held, org, registry_id)
            if account is not None and account not in held:
                raise not_held(AccountRef(registry_id=registry_id, account_id=account), "account_id")
        if request.page_token:  # a bad token is refused before the registry is asked
            paging.position(request.page_token, "holdings", query)
        found = await self._adapters[registry_id].holdings(account)
        if org is not None:
            found = [h for h in found if h.account_id in held]
        holdings, token = paging.page_of(
            found,
            _holding_key,
            scope="holdings",
            query=query,
            size=size,
            token=request.page_token,
        )
        return registry_pb2.ListHoldingsResponse(
            holdings=[wire.holding_to_proto(h) for h in holdings], next_page_token=token
        )


class TransferServicer(transfer_pb2_grpc.TransferServiceServicer):
    def __init__(self, desk: TransferDesk, watch_poll_s: float) -> None:
        self._desk = desk
        self._watch_poll_s = watch_poll_s

    @mapped_on(ON_TRANSFER)
    async def SubmitTransfer(
        self, request: transfer_pb2.SubmitTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.SubmitTransferResponse:
        caller = current_caller()
        wanted = wire.transfer_request_from_proto(request)
        if caller.visible_org is not None:  # an exchange moves units out of its own accounts only
            holder = await asyncio.to_thread(self._desk.holder_of, wanted.source)
            if holder != caller.org:
                raise not_held(wanted.source, "source.account_id")
        transfer = await self._desk.submit(wanted, caller.org)
        return transfer_pb2.SubmitTransferResponse(transfer=self._shown(transfer))

    @mapped_on(ON_TRANSFER)
    async def GetTransfer(
        self, request: transfer_pb2.GetTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.Transfer:
        return self._shown(await self._desk.get(request.transfer_id, current_caller().visible_org))

    @mapped
    async def ListTransfers(
        self, request: transfer_pb2.ListTransfersRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.ListTransfersResponse:
        size = paging.page_size(request.page_size)
        states = {wire.transfer_state_from_proto(s) for s in request.filter.states} or None
        transfers, token = await self._desk.list(
            states=states,
            registry_id=request.filter.registry_id or None,
            account_id=(
                require_account_id(request.filter.account_id, "filter.account_id")
                if request.filter.account_id
                else None
            ),
            page_size=size,
            page_token=request.page_token or None,
            visible_to=current_caller().visible_org,
        )
        return transfer_pb2.ListTransfersResponse(
            transfers=[wire.transfer_to_proto(t) for t in transfers], next_page_token=token or ""
        )

    @mapped_on(ON_TRANSFER)
    async def SubmitEvidence(
        self, request: transfer_pb2.SubmitEvidenceRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.SubmitEvidenceResponse:
        transfer = await self._desk.submit_evidence(request.transfer_id, current_caller().visible_org)
        return transfer_pb2.SubmitEvidenceResponse(transfer=self._shown(transfer))

    @mapped_on(ON_TRANSFER)
    async def ResolveTransfer(
        self, request: transfer_pb2.ResolveTransferRequest, context: grpc.aio.ServicerContext
    ) -> transfer_pb2.ResolveTransferResponse:
        decision = wire.operator_decision_from_proto(request)
        transfer = await self._desk.resolve(request.transfer_id, decision)
        return transfer_pb2.ResolveTransferResponse(transfer=self._shown(transfer))

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
    ) -> AsyncIterator[transfer_pb2.WatchTransferResponse]:
        """Streams the transfer once per state it went through, in order; ends after ANCHORED, REJECTED,
        COMPENSATED or NEEDS_INTERVENTION.

        States come from the ledger's event history, so none is skipped however
        quickly the saga moves between two looks.
        """
        try:
            request_bounds.check(request)
        except GatewayError as error:
            await abort_with(context, named_resource(error, request, ON_TRANSFER))
            return
        sent = 0
        pause = self._watch_poll_s
        visible = current_caller().visible_org
        with self._desk.watching(request.transfer_id) as wake:
            while True:
                wake.clear()  # before the read: a commit after it wakes the wait below
                try:
                    transfer, events = await self._desk.history(request.transfer_id, visible)
                except GatewayError as error:
                    await abort_with(context, named_resource(error, request, ON_TRANSFER))
                    return
                for upto in range(sent + 1, len(events) + 1):
                    yield transfer_pb2.WatchTransferResponse(transfer=self._shown(transfer, events[:upto]))
                if events and events[-1].state in WATCH_ENDS:
                    return
                if self._desk.woken_by_every_saga():  # each step's commit wakes us; the look is a fallback
                    pause = _WATCH_FALLBACK_S
                else:  # look often while the saga moves, less often while it waits (for evidence, say)
                    pause = self._watch_poll_s if len(events) > sent else min(pause * 2, _WATCH_MAX_PAUSE_S)
                sent = len(events)
                await wake.wait(pause)
