"""ComplianceService: the dry-run evaluation, the check catalogue and the regulators' facts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from pydantic import BaseModel, ValidationError

from adapters import catalogue
from compliance_rules import CHECKS
from compliance_rules.article6_report import UnadjustedUse
from compliance_rules.corresponding_adjustment import AdjustmentState
from compliance_rules.covered_entities_csv import EntityLoad, read_covered_entities_csv
from compliance_rules.crosswalk_csv import read_crosswalk_csv, write_crosswalk_csv
from compliance_rules.facts import (
    Authorisation,
    AuthorisedUse,
    CreditedGeneration,
    FirstTransfer,
    GenerationCertificate,
    IssuanceRecord,
    Movement,
)
from compliance_rules.findings import Finding
from compliance_rules.periods import Period
from compliance_rules.rule_facts import CoveredEntity
from compliance_rules.rule_kinds import Rule
from compliance_rules.rule_packs import RulePack
from domain import paging
from domain.errors import GatewayError, InvalidInput, PreconditionFailed, UnknownRegistry, quoted
from domain.serials import SerialBlock
from domain.transfers import require_account_id
from gateway import article6_export, wire
from gateway.servicers import mapped, mapped_on
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from protos.carbon.gateway.v1 import compliance_pb2 as pb
from protos.carbon.gateway.v1 import compliance_pb2_grpc


# Pledges are the lending bank's own act now (FinanceService); these two stay in the v1 contract,
# deprecated, so a client built against it gets a clear refusal rather than UNIMPLEMENTED.
def _pledges_moved() -> PreconditionFailed:
    return PreconditionFailed(
        "pledges are made by the lending bank: use FinanceService.Pledge and FinanceService.ReleaseCollateral",
        code="PLEDGE-MOVED",
    )


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
    msg = pb.Finding(
        code=finding.code, message=finding.message, meaning=finding.meaning or "", source=finding.source or ""
    )
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


def _period(request: Any, start_field: str, end_field: str) -> Period:
    """The period two day fields of `request` give; an end before its start names the end field."""
    start = wire.day_from_proto(getattr(request, start_field), start_field)
    end = wire.day_from_proto(getattr(request, end_field), end_field)
    if end < start:
        raise InvalidInput(f"{end_field} {end} is before {start_field} {start}", field=end_field)
    return _fact(Period, start=start, end=end)


M = TypeVar("M", bound=BaseModel)


def _fact(model: type[M], **fields: Any) -> M:
    """Build a fact; every field the model refuses is bad input naming that field."""
    try:
        return model(**fields)
    except ValidationError as invalid:
        raise wire.invalid_input_from(invalid) from invalid


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
    block = _parse_serial(request.registry_id, request.serial, "registry_id") if request.serial else None
    return _fact(
        Authorisation,
        authorisation_id=request.authorisation_id,
        host_party=request.host_party,
        authorised_use=_USES[request.authorised_use],
        cooperative_approach_id=request.cooperative_approach_id,
        authorised_on=wire.day_from_proto(request.authorised_on, "authorised_on"),
        mitigation_type=request.mitigation_type or "emission reduction",
        block=block,
        programme=request.programme or None,
        project_id=request.project_id or None,
        vintage=request.vintage or None,
    )


def _use_to_proto(use: UnadjustedUse) -> pb.UnadjustedUse:
    return pb.UnadjustedUse(
        transfer_id=use.transfer_id,
        serial_space=use.block.serial_space,
        start=use.block.start,
        end=use.block.end,
        host_party=use.host_party,
        using_party=use.using_party_or_entity,
        first_transfer_id=use.first_transfer_id or "",
        adjustment=(
            _adjustment_to_proto(use.adjustment)
            if use.adjustment
            else pb.CORRESPONDING_ADJUSTMENT_UNSPECIFIED
        ),
    )


def _movement_to_proto(move: Movement) -> pb.Movement:
    msg = pb.Movement(
        transfer_id=move.transfer_id,
        source=wire.account_to_proto(move.source),
        destination=wire.account_to_proto(move.destination),
        serial_space=move.block.serial_space,
        start=move.block.start,
        end=move.block.end,
    )
    msg.settle_time.FromDatetime(move.settled_at)
    return msg


def _micros(moment: datetime) -> int:
    """An instant as whole microseconds since the epoch: a sort key that orders like the instant."""
    return round(moment.timestamp() * 1_000_000)


def _first_transfer_key(first: FirstTransfer) -> paging.Key:
    return (_micros(first.transferred_at), first.transfer_id)


def _use_key(use: UnadjustedUse) -> paging.Key:
    return (use.transfer_id, use.block.serial_space, use.block.start)


def _movement_key(move: Movement) -> paging.Key:
    return (_micros(move.settled_at), move.transfer_id, move.block.serial_space, move.block.start)


def _paged_request(request: Any) -> tuple[int, str]:
    return paging.page_size(request.page_size), request.page_token


ON_AUTHORISATION = ("authorisation", "authorisation_id")
ON_ISSUANCE = ("issuance", "issuance_id")
ON_CERTIFICATE = ("generation certificate", "certificate_id")
ON_PLEDGE = ("pledge", "pledge_id")
ON_FIRST_TRANSFER = ("first transfer", "transfer_id")


class ComplianceServicer(compliance_pb2_grpc.ComplianceServiceServicer):
    def __init__(self, desk: TransferDesk, ledger: Ledger) -> None:
        self._desk = desk
        self._ledger = ledger

    @mapped
    async def ListRulePacks(
        self, request: pb.ListRulePacksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRulePacksResponse:
        size, token = _paged_request(request)
        packs = self._desk.rulebook.packs if self._desk.rulebook is not None else ()
        page, next_token = paging.page_of(
            list(packs), lambda p: (p.id,), scope="rule-packs", query={}, size=size, token=token
        )
        return pb.ListRulePacksResponse(packs=[_rule_pack(p) for p in page], next_page_token=next_token)

    @mapped
    async def RecordCoveredEntity(
        self, request: pb.RecordCoveredEntityRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordCoveredEntityResponse:
        load = _covered_entity(request)
        changed = await asyncio.to_thread(self._ledger.load_covered_entities, [load])
        return pb.RecordCoveredEntityResponse(created=changed > 0)

    @mapped
    async def ImportCoveredEntities(
        self, request: pb.ImportCoveredEntitiesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ImportCoveredEntitiesResponse:
        loads = read_covered_entities_csv(request.csv)
        changed = await asyncio.to_thread(self._ledger.load_covered_entities, loads)
        return pb.ImportCoveredEntitiesResponse(changed=changed)

    @mapped
    async def EvaluateTransfer(
        self, request: pb.EvaluateTransferRequest, context: grpc.aio.ServicerContext
    ) -> pb.EvaluateTransferResponse:
        try:
            decision = await self._desk.evaluate(wire.transfer_request_from_proto(request.transfer))
        except GatewayError as refused:  # the request's fields are named under `transfer`
            raise _under("transfer", refused) from refused
        return pb.EvaluateTransferResponse(
            allowed=decision.allowed, findings=[_finding(f) for f in decision.findings]
        )

    @mapped
    async def ListChecks(
        self, request: pb.ListChecksRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListChecksResponse:
        size, token = _paged_request(request)
        checks, next_token = paging.page_of(
            CHECKS, lambda c: (c.code,), scope="checks", query={}, size=size, token=token
        )
        return pb.ListChecksResponse(
            checks=[pb.Check(code=c.code, meaning=c.meaning) for c in checks], next_page_token=next_token
        )

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

    @mapped_on(ON_AUTHORISATION)
    async def RecordAuthorisation(
        self, request: pb.RecordAuthorisationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordAuthorisationResponse:
        created = await asyncio.to_thread(self._ledger.record_authorisation, _authorisation(request))
        return pb.RecordAuthorisationResponse(created=created)

    @mapped_on(ON_ISSUANCE)
    async def RecordIssuance(
        self, request: pb.RecordIssuanceRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordIssuanceResponse:
        block = _parse_serial(request.registry_id, request.serial, "registry_id")
        issuance = _fact(
            IssuanceRecord,
            issuance_id=request.issuance_id,
            programme=block.programme,
            project_id=block.project_id,
            monitoring_period=_period(request, "monitoring_start", "monitoring_end"),
            block=block,
        )
        created = await asyncio.to_thread(self._ledger.record_issuance, issuance)
        return pb.RecordIssuanceResponse(created=created)

    @mapped_on(ON_ISSUANCE)
    async def RecordCreditedGeneration(
        self, request: pb.RecordCreditedGenerationRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordCreditedGenerationResponse:
        block = _parse_serial(request.registry_id, request.serial, "registry_id")
        generation = _fact(
            CreditedGeneration,
            issuance_id=request.issuance_id,
            programme=block.programme,
            plant_id=request.plant_id,
            period=_period(request, "period_start", "period_end"),
            generated_mwh=wire.mwh_from_proto(request.generated_mwh, "generated_mwh"),
            credited_mwh=wire.mwh_from_proto(request.credited_mwh, "credited_mwh"),
            block=block,
        )
        created = await asyncio.to_thread(self._ledger.record_credited_generation, generation)
        return pb.RecordCreditedGenerationResponse(created=created)

    @mapped_on(ON_CERTIFICATE)
    async def RecordGenerationCertificate(
        self, request: pb.RecordGenerationCertificateRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordGenerationCertificateResponse:
        certificate = _fact(
            GenerationCertificate,
            certificate_id=request.certificate_id,
            programme=request.programme,
            plant_id=request.plant_id,
            period=_period(request, "period_start", "period_end"),
            mwh=wire.mwh_from_proto(request.mwh, "mwh"),
        )
        created = await asyncio.to_thread(self._ledger.record_generation_certificate, certificate)
        return pb.RecordGenerationCertificateResponse(created=created)

    @mapped_on(ON_PLEDGE)
    async def RecordPledge(
        self, request: pb.RecordPledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordPledgeResponse:
        raise _pledges_moved()

    @mapped_on(ON_PLEDGE)
    async def ReleasePledge(
        self, request: pb.ReleasePledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReleasePledgeResponse:
        raise _pledges_moved()

    @mapped_on(ON_FIRST_TRANSFER)
    async def AdvanceCorrespondingAdjustment(
        self, request: pb.AdvanceCorrespondingAdjustmentRequest, context: grpc.aio.ServicerContext
    ) -> pb.AdvanceCorrespondingAdjustmentResponse:
        if request.state not in _ADJUSTMENTS:
            raise InvalidInput("state must be NOT_STARTED, PENDING or APPLIED", field="state")
        first = await asyncio.to_thread(
            self._ledger.advance_adjustment,
            request.transfer_id,
            _ADJUSTMENTS[request.state],
            datetime.now(UTC),
        )
        return pb.AdvanceCorrespondingAdjustmentResponse(first_transfer=_first_transfer(first))

    @mapped
    async def ListFirstTransfers(
        self, request: pb.ListFirstTransfersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListFirstTransfersResponse:
        size, token = _paged_request(request)
        if token:  # a bad token is refused before the ledger is read
            paging.position(token, "first-transfers", {})
        firsts, next_token = paging.page_of(
            await asyncio.to_thread(self._ledger.first_transfers),
            _first_transfer_key,
            scope="first-transfers",
            query={},
            size=size,
            token=token,
        )
        return pb.ListFirstTransfersResponse(
            first_transfers=[_first_transfer(f) for f in firsts], next_page_token=next_token
        )

    @mapped
    async def ListUnadjustedUses(
        self, request: pb.ListUnadjustedUsesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListUnadjustedUsesResponse:
        size, token = _paged_request(request)
        if token:
            paging.position(token, "unadjusted-uses", {})
        uses, next_token = paging.page_of(
            await asyncio.to_thread(article6_export.unadjusted, self._ledger),
            _use_key,
            scope="unadjusted-uses",
            query={},
            size=size,
            token=token,
        )
        return pb.ListUnadjustedUsesResponse(
            uses=[_use_to_proto(u) for u in uses], next_page_token=next_token
        )

    @mapped
    async def ExportArticle6Actions(
        self, request: pb.ExportArticle6ActionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ExportArticle6ActionsResponse:
        if request.format not in pb.ExportFormat.values():
            raise InvalidInput(
                f"format {request.format} is not an ExportFormat: use EXPORT_FORMAT_CSV or EXPORT_FORMAT_JSON",
                field="format",
            )
        as_json = request.format == pb.EXPORT_FORMAT_JSON
        content = await asyncio.to_thread(article6_export.export, self._ledger, as_json)
        return pb.ExportArticle6ActionsResponse(
            content_type="application/json" if as_json else "text/csv", content=content
        )

    @mapped
    async def GetLineage(
        self, request: pb.GetLineageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLineageResponse:
        size, token = _paged_request(request)
        query = {"registry_id": request.registry_id, "serial": request.serial}
        if token:
            paging.position(token, "lineage", query)
        block = _parse_serial(request.registry_id, request.serial, "registry_id")
        moves, next_token = paging.page_of(
            await asyncio.to_thread(self._ledger.facts().lineage, block),
            _movement_key,
            scope="lineage",
            query=query,
            size=size,
            token=token,
        )
        return pb.GetLineageResponse(
            movements=[_movement_to_proto(m) for m in moves], next_page_token=next_token
        )


def _under(prefix: str, refused: GatewayError) -> GatewayError:
    """A refusal of a nested message, its fields named by their full path in the outer request."""
    if not isinstance(refused, InvalidInput):
        refused.field = f"{prefix}.{refused.field}" if refused.field else refused.field
        return refused
    violations = [
        type(v)(f"{prefix}.{v.field}" if v.field else prefix, v.description) for v in refused.violations
    ]
    return InvalidInput(refused.message, code=refused.code, violations=violations)


def _rule_pack(pack: RulePack) -> pb.RulePack:
    return pb.RulePack(
        pack_id=pack.id, version=pack.version, title=pack.title, rules=[_rule(rule) for rule in pack.rules]
    )


def _rule(rule: Rule) -> pb.Rule:
    dumped = rule.model_dump(mode="json")
    msg = pb.Rule(
        rule_id=rule.id,
        kind=rule.kind,
        meaning=rule.meaning,
        source=f"{rule.source.document}, {rule.source.article}",
        confirmed=rule.source.confirmed,
        params_json=json.dumps(dumped.get("params", {}), ensure_ascii=False, sort_keys=True),
    )
    msg.effective_from.CopyFrom(wire.day_to_proto(rule.effective_from))
    if rule.effective_to is not None:
        msg.effective_to.CopyFrom(wire.day_to_proto(rule.effective_to))
    return msg


def _covered_entity(request: pb.RecordCoveredEntityRequest) -> EntityLoad:
    """The entity as the ledger takes it; ids follow the account id pattern, every account is named."""
    require_account_id(request.entity_id, "entity_id")
    for index, year in enumerate(request.verified_emissions):
        if not 1900 <= year.year <= 2199:
            raise InvalidInput(f"year {year.year} is not a year", field=f"verified_emissions[{index}].year")
        if year.tonnes < 0:
            raise InvalidInput("tonnes must not be negative", field=f"verified_emissions[{index}].tonnes")
    accounts = [wire.account_from_proto(a, f"accounts[{i}]") for i, a in enumerate(request.accounts)]
    known = {p.registry_id for p in catalogue.all_profiles()}
    for field, registry_id in [("market", request.market)] + [
        (f"accounts[{i}].registry_id", a.registry_id) for i, a in enumerate(accounts)
    ]:
        if registry_id not in known:
            raise InvalidInput(f"no registry {quoted(registry_id)}", field=field)
    entity = CoveredEntity(entity_id=request.entity_id, name=request.name, market=request.market)
    emissions = {y.year: y.tonnes for y in request.verified_emissions}
    return EntityLoad(entity=entity, accounts=accounts, verified_emissions=emissions)
