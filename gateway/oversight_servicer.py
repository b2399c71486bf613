"""OversightService: settlement proofs anyone can verify against the anchored roots, and the audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc
from google.protobuf import timestamp_pb2
from temporalio.client import Client

from domain import paging
from domain.audit import AuditEvent
from domain.errors import InvalidInput, quoted
from gateway.reconciliation_rpcs import ReconciliationRpcs
from gateway.servicers import ON_TRANSFER, mapped, mapped_on
from gateway.settings import Settings
from gateway.settlement_proofs import consistency, latest_tree_head, settlement_receipt
from ledger import Ledger
from protos.carbon.gateway.v1 import oversight_pb2, oversight_pb2_grpc

_AUDIT_SCOPE = "audit_events"
_OUTCOMES = frozenset(code.name for code in grpc.StatusCode)


def _hex_bytes(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _moment(stamp: timestamp_pb2.Timestamp, field: str) -> datetime:
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as bad:
        raise InvalidInput(f"{field} is not a valid timestamp", field=field) from bad


class AuditQuery:
    """A ListAuditEvents filter, checked, as the ledger's arguments and as the binding of its page tokens."""

    def __init__(self, wanted: oversight_pb2.AuditEventFilter) -> None:
        if wanted.outcome and wanted.outcome not in _OUTCOMES:
            raise InvalidInput(
                f"filter.outcome must be a gRPC status code name such as OK or PERMISSION_DENIED, "
                f"got {quoted(wanted.outcome)}",
                field="filter.outcome",
            )
        self.method = wanted.method or None
        self.org = wanted.org or None
        self.outcome = wanted.outcome or None
        self.since = (
            _moment(wanted.start_time, "filter.start_time") if wanted.HasField("start_time") else None
        )
        self.until = _moment(wanted.end_time, "filter.end_time") if wanted.HasField("end_time") else None

    def binding(self) -> dict[str, str]:
        """The filter in a canonical form: a token issued under it is refused under any other."""
        texts = {"method": self.method, "org": self.org, "outcome": self.outcome}
        times = {"since": self.since, "until": self.until}
        return {name: "*" if value is None else f"={value}" for name, value in texts.items()} | {
            name: "*" if value is None else f"={value.isoformat()}" for name, value in times.items()
        }

    def after_seq(self, token: str) -> int:
        """The seq a page token's page starts after (-1 for the first page)."""
        if not token:
            return -1
        after = paging.position(token, _AUDIT_SCOPE, self.binding())
        if len(after) != 1 or not isinstance(after[0], int) or after[0] < 0:
            raise InvalidInput("page_token is not a token this gateway issued", field="page_token")
        return after[0]


def audit_event_to_proto(event: AuditEvent) -> oversight_pb2.AuditEvent:
    msg = oversight_pb2.AuditEvent(
        seq=event.seq,
        role=event.role,
        org=event.org,
        caller=event.caller,
        method=event.method,
        target=event.target,
        outcome=event.outcome,
        reason=event.reason,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )
    msg.time.FromDatetime(event.at)
    return msg


class OversightServicer(ReconciliationRpcs, oversight_pb2_grpc.OversightServiceServicer):
    def __init__(self, ledger: Ledger, temporal: Client, settings: Settings) -> None:
        self._ledger = ledger
        self._temporal = temporal
        self._settings = settings

    @mapped_on(ON_TRANSFER)
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

    @mapped
    async def GetLatestTreeHead(
        self, request: oversight_pb2.GetLatestTreeHeadRequest, context: grpc.aio.ServicerContext
    ) -> oversight_pb2.TreeHead:
        head = await asyncio.to_thread(latest_tree_head, self._ledger)
        return oversight_pb2.TreeHead(
            tree_size=head.tree_size,
            root=_hex_bytes(head.root),
            chain_id=head.chain_id,
            contract_address=head.contract_address,
            anchor_tx_hash=head.tx_hash,
            anchor_block_number=head.block_number or 0,
        )

    @mapped
    async def ListAuditEvents(
        self, request: oversight_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> oversight_pb2.ListAuditEventsResponse:
        size = paging.page_size(request.page_size)
        query = AuditQuery(request.filter)
        events = await asyncio.to_thread(
            self._ledger.audit_events,
            after_seq=query.after_seq(request.page_token),
            limit=size + 1,  # one more says whether there is a next page
            method=query.method,
            org=query.org,
            outcome=query.outcome,
            since=query.since,
            until=query.until,
        )
        shown = events[:size]
        token = paging.issue(_AUDIT_SCOPE, query.binding(), (shown[-1].seq,)) if len(events) > size else ""
        return oversight_pb2.ListAuditEventsResponse(
            events=[audit_event_to_proto(e) for e in shown], next_page_token=token
        )

    @mapped
    async def GetAuditHead(
        self, request: oversight_pb2.GetAuditHeadRequest, context: grpc.aio.ServicerContext
    ) -> oversight_pb2.AuditHead:
        size, last = await asyncio.to_thread(self._ledger.audit_head)
        return oversight_pb2.AuditHead(size=size, hash=last)
