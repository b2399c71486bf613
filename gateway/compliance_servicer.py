"""ComplianceService: the dry-run evaluation, the check catalogue and the regulators' facts."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import grpc
from pydantic import BaseModel, ValidationError

from adapters import catalogue
from compliance_rules import CHECKS
from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.crosswalk_csv import read_crosswalk_csv, write_crosswalk_csv
from compliance_rules.facts import (
    Authorisation,
    AuthorisedUse,
    CreditedGeneration,
    FirstTransfer,
    GenerationCertificate,
    IssuanceRecord,
    Pledge,
)
from compliance_rules.findings import Finding
from compliance_rules.periods import Period
from domain.errors import InvalidInput, UnknownRegistry, quoted
from domain.serials import SerialBlock
from gateway import article6_export, wire
from gateway.servicers import mapped
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import compliance_pb2_grpc

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_USES = {
    pb.AUTHORISED_USE_NDC: AuthorisedUse.NDC,
    pb.AUTHORISED_USE_OIMP: AuthorisedUse.OIMP,
    pb.AUTHORISED_USE_MITIGATION_CONTRIBUTION: AuthorisedUse.MITIGATION_CONTRIBUTION,
}
_ADJUSTMENTS = {
    pb.CORRESPONDING_ADJUSTMENT_NOT_STARTED: AdjustmentState.NOT_STARTED,
    pb.CORRESPONDING_ADJUSTMENT_PENDING: AdjustmentState.PENDING,
    pb.CORRESPONDING_ADJUSTMENT_APPLIED: AdjustmentState.APPLIED,
}


def _finding(finding: Finding) -> pb.Finding:
    msg = pb.Finding(code=finding.code, message=finding.message)
    c = finding.collides_with
    if c is not None:
        msg.collides_with.CopyFrom(
            pb.Collision(
                serial_space=c.serial_space or "",
                start=c.start or 0,
                end=c.end or 0,
                transfer_id=c.transfer_id or "",
                registry_id=c.registry_id or "",
                account_id=c.account_id or "",
                reference=c.reference or "",
            )
        )
    return msg


def _adjustment_to_proto(state: AdjustmentState) -> pb.CorrespondingAdjustment:
    return next(k for k, v in _ADJUSTMENTS.items() if v is state)


def _first_transfer(first: FirstTransfer) -> pb.FirstTransfer:
    adjustment = _adjustment_to_proto(first.adjustment)
    return pb.FirstTransfer(
        transfer_id=first.transfer_id,
        authorisation_id=first.authorisation_id,
        host_party=first.host_party,
        acquiring_party=first.acquiring_party,
        serial_space=first.block.serial_space,
        start=first.block.start,
        end=first.block.end,
        adjustment=adjustment,
    )


def _day(text: str, field: str) -> date:
    if not _ISO_DAY.match(text):
        raise InvalidInput(f"{field} must be a YYYY-MM-DD date, got {text!r}", field=field)
    try:
        return date.fromisoformat(text)
    except ValueError as bad:
        raise InvalidInput(f"{field}: {bad}", field=field) from bad


def _period(start: str, end: str, start_field: str, end_field: str) -> Period:
    return _fact(Period, start=_day(start, start_field), end=_day(end, end_field))


def _mwh(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as bad:
        raise InvalidInput(f"{field} must be a decimal number of MWh, got {text!r}", field=field) from bad
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{field} must be a positive number of MWh, got {text!r}", field=field)
    return value


M = TypeVar("M", bound=BaseModel)


def _fact(model: type[M], **fields: Any) -> M:
    """Build a fact; a field the model refuses is bad input naming that field."""
    try:
        return model(**fields)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from invalid


def _parse_serial(registry_id: str, serial: str, registry_field: str) -> SerialBlock:
    """The block `serial` names in the registry's grammar; an unknown registry names `registry_field`."""
    try:
        catalogue.profile(registry_id)
    except UnknownRegistry as unknown:
        raise UnknownRegistry(f"unknown registry {quoted(registry_id)}", field=registry_field) from unknown
    return catalogue.parse_serial(registry_id, serial)


def _authorisation(request: pb.RecordAuthorisationRequest) -> Authorisation:
    if request.authorised_use not in _USES:
        raise InvalidInput(
            "authorised_use must be NDC, OIMP or MITIGATION_CONTRIBUTION", field="authorised_use"
        )
    block = catalogue.parse_serial(request.registry_id, request.serial) if request.serial else None
    return _fact(
        Authorisation,
        authorisation_id=request.authorisation_id,
        host_party=request.host_party,
        authorised_use=_USES[request.authorised_use],
        cooperative_approach_id=request.cooperative_approach_id,
        authorised_on=_day(request.authorised_on, "authorised_on"),
        mitigation_type=request.mitigation_type or "emission reduction",
        block=block,
        programme=request.programme or None,
        project_id=request.project_id or None,
        vintage=request.vintage or None,
    )


class ComplianceServicer(compliance_pb2_grpc.ComplianceServiceServicer):
    def __init__(self, desk: TransferDesk, ledger: Ledger) -> None:
        self._desk = desk
        self._ledger = ledger

    @mapped
    async def EvaluateTransfer(
        self, request: pb.EvaluateTransferRequest, context: grpc.aio.ServicerContext
    ) -> pb.EvaluateTransferResponse:
        decision = await self._desk.evaluate(wire.transfer_request_from_proto(request.transfer))
        return pb.EvaluateTransferResponse(
            allowed=decision.allowed, findings=[_finding(f) for f in decision.findings]
        )

    @mapped
    async def ListChecks(
        self, request: pb.ListChecksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListChecksResponse:
        return pb.ListChecksResponse(checks=[pb.Check(code=c.code, meaning=c.meaning) for c in CHECKS])

    @mapped
    async def ImportCrosswalk(
        self, request: pb.ImportCrosswalkRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImportCrosswalkResponse:
        entries = read_crosswalk_csv(request.csv)
        loaded = await asyncio.to_thread(self._ledger.load_crosswalk, entries)
        return pb.ImportCrosswalkResponse(loaded=loaded, total=len(entries))

    @mapped
    async def ExportCrosswalk(
        self, request: pb.ExportCrosswalkRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportCrosswalkResponse:
        return pb.ExportCrosswalkResponse(
            csv=write_crosswalk_csv(await asyncio.to_thread(self._ledger.crosswalk))
        )

    @mapped
    async def RecordAuthorisation(
        self, request: pb.RecordAuthorisationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        created = await asyncio.to_thread(self._ledger.record_authorisation, _authorisation(request))
        return pb.RecordFactResponse(created=created)

    @mapped
    async def RecordIssuance(
        self, request: pb.RecordIssuanceRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        block = catalogue.parse_serial(request.registry_id, request.serial)
        issuance = _fact(
            IssuanceRecord,
            issuance_id=request.issuance_id,
            programme=block.programme,
            project_id=block.project_id,
            monitoring_period=_period(
                request.monitoring_start, request.monitoring_end, "monitoring_start", "monitoring_end"
            ),
            block=block,
        )
        return pb.RecordFactResponse(created=await asyncio.to_thread(self._ledger.record_issuance, issuance))

    @mapped
    async def RecordCreditedGeneration(
        self, request: pb.RecordCreditedGenerationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        block = catalogue.parse_serial(request.registry_id, request.serial)
        generation = _fact(
            CreditedGeneration,
            issuance_id=request.issuance_id,
            programme=block.programme,
            plant_id=request.plant_id,
            period=_period(request.period_start, request.period_end, "period_start", "period_end"),
            generated_mwh=_mwh(request.generated_mwh, "generated_mwh"),
            credited_mwh=_mwh(request.credited_mwh, "credited_mwh"),
            block=block,
        )
        created = await asyncio.to_thread(self._ledger.record_credited_generation, generation)
        return pb.RecordFactResponse(created=created)

    @mapped
    async def RecordGenerationCertificate(
        self, request: pb.RecordGenerationCertificateRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        certificate = _fact(
            GenerationCertificate,
            certificate_id=request.certificate_id,
            programme=request.programme,
            plant_id=request.plant_id,
            period=_period(request.period_start, request.period_end, "period_start", "period_end"),
            mwh=_mwh(request.mwh, "mwh"),
        )
        created = await asyncio.to_thread(self._ledger.record_generation_certificate, certificate)
        return pb.RecordFactResponse(created=created)

    @mapped
    async def RecordPledge(
        self, request: pb.RecordPledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        holder = wire.account_from_proto(request.holder, "holder")
        pledge = _fact(
            Pledge,
            pledge_id=request.pledge_id,
            lender=request.lender,
            block=_parse_serial(holder.registry_id, request.serial, "holder.registry_id"),
            holder=holder,
        )
        # Only the holder of units may pledge them: asked of the registry now, before anything is stored.
        await self._desk.holding_of(
            holder, pledge.block, holder_field="holder.account_id", serial_field="serial"
        )
        created = await asyncio.to_thread(self._ledger.record_pledge, pledge, datetime.now(UTC))
        return pb.RecordFactResponse(created=created)

    @mapped
    async def ReleasePledge(
        self, request: pb.ReleasePledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordFactResponse:
        released = await asyncio.to_thread(self._ledger.release_pledge, request.pledge_id, datetime.now(UTC))
        return pb.RecordFactResponse(created=released)

    @mapped
    async def AdvanceCorrespondingAdjustment(
        self, request: pb.AdvanceCorrespondingAdjustmentRequest, context: grpc.aio.ServicerContext
    ) -> pb.FirstTransfer:
        if request.state not in _ADJUSTMENTS:
            raise InvalidInput("state must be NOT_STARTED, PENDING or APPLIED", field="state")
        first = await asyncio.to_thread(
            self._ledger.advance_adjustment,
            request.transfer_id,
            _ADJUSTMENTS[request.state],
            datetime.now(UTC),
        )
        return _first_transfer(first)

    @mapped
    async def ListFirstTransfers(
        self, request: pb.ListFirstTransfersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFirstTransfersResponse:
        firsts = await asyncio.to_thread(self._ledger.first_transfers)
        return pb.ListFirstTransfersResponse(first_transfers=[_first_transfer(f) for f in firsts])

    @mapped
    async def ListUnadjustedUses(
        self, request: pb.ListUnadjustedUsesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListUnadjustedUsesResponse:
        flagged = await asyncio.to_thread(article6_export.unadjusted, self._ledger)
        return pb.ListUnadjustedUsesResponse(
            uses=[
                pb.UnadjustedUse(
                    transfer_id=u.transfer_id,
                    serial_space=u.block.serial_space,
                    start=u.block.start,
                    end=u.block.end,
                    host_party=u.host_party,
                    using_party=u.using_party_or_entity,
                    first_transfer_id=u.first_transfer_id or "",
                    adjustment=(
                        _adjustment_to_proto(u.adjustment)
                        if u.adjustment
                        else pb.CORRESPONDING_ADJUSTMENT_UNSPECIFIED
                    ),
                )
                for u in flagged
            ]
        )

    @mapped
    async def ExportArticle6Actions(
        self, request: pb.ExportArticle6ActionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportArticle6ActionsResponse:
        as_json = request.format == pb.EXPORT_FORMAT_JSON
        content = await asyncio.to_thread(article6_export.export, self._ledger, as_json)
        return pb.ExportArticle6ActionsResponse(
            content_type="application/json" if as_json else "text/csv", content=content
        )

    @mapped
    async def GetLineage(
        self, request: pb.GetLineageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLineageResponse:
        block = catalogue.parse_serial(request.registry_id, request.serial)
        moves = await asyncio.to_thread(self._ledger.facts().lineage, block)
        return pb.GetLineageResponse(
            movements=[
                pb.Movement(
                    transfer_id=m.transfer_id,
                    source=wire.account_to_proto(m.source),
                    destination=wire.account_to_proto(m.destination),
                    serial_space=m.block.serial_space,
                    start=m.block.start,
                    end=m.block.end,
                    settle_time=m.settled_at.isoformat(),
                )
                for m in moves
            ]
        )
