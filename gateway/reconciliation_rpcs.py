"""OversightService's reconciliation methods: regulators run, follow, read and resolve reconciliations."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

import grpc
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from domain import paging
from domain.errors import GatewayError, InvalidInput, NotFound, PreconditionFailed
from domain.reconciliation import Resolution, ResultState
from domain.reconciliation_report import ReconciliationReport
from gateway import request_bounds
from gateway.roles import current_caller
from gateway.servicers import mapped, mapped_on
from gateway.settings import Settings
from gateway.status_codes import abort_with
from ledger import Ledger
from protos.carbon.gateway.v1 import oversight_pb2 as pb
from workflows.reconciliation import ReconciliationWorkflow
from workflows.reconciliation_activities import ReconcileInput

_SCOPE = "reconciliations"
_CHUNK = 1024 * 1024
_FORMATS = {
    pb.REPORT_FORMAT_JSON: "json",
    pb.REPORT_FORMAT_CSV: "csv",
    pb.REPORT_FORMAT_HTML: "html",
    pb.REPORT_FORMAT_PDF: "pdf",
}
_STATES = {
    state: cast(pb.ReconciliationState, pb.ReconciliationState.Value(f"RECONCILIATION_STATE_{state.name}"))
    for state in ResultState
}
ON_RUN = ("reconciliation", "reconciliation_id")


def reconciliation_workflow_id(reconciliation_id: str) -> str:
    return f"reconciliation-{reconciliation_id}"


def reconciliation_to_proto(report: ReconciliationReport) -> pb.Reconciliation:
    """The run as the contract shows it; the counts are the stored ones, so a listing needs no findings."""
    counts = report.counts
    msg = pb.Reconciliation(
        reconciliation_id=report.reconciliation_id,
        requested_by=report.requested_by,
        state=_STATES[report.state],
        stage=report.progress.stage,
        progress_done=report.progress.done,
        progress_total=report.progress.total,
        findings=counts.total,
        open_findings=counts.open,
        findings_by_code=counts.by_code,
        compared_blocks=report.compared_blocks,
        failure=report.failure,
    )
    msg.start_time.FromDatetime(report.started_at)
    if report.snapshot_at is not None:
        msg.snapshot_time.FromDatetime(report.snapshot_at)
    if report.finished_at is not None:
        msg.finish_time.FromDatetime(report.finished_at)
    return msg


class ReconciliationRpcs:
    """The state these methods read (set by OversightServicer)."""

    _ledger: Ledger
    _temporal: Client
    _settings: Settings

    @mapped_on(ON_RUN)
    async def RunReconciliation(
        self, request: pb.RunReconciliationRequest, context: grpc.aio.ServicerContext
    ) -> pb.Reconciliation:
        run_id = request.reconciliation_id or f"rec-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        try:  # a finished run's id again: the same run, nothing restarts
            return reconciliation_to_proto(
                await asyncio.to_thread(self._ledger.reconciliations.summary, run_id)
            )
        except NotFound:
            pass
        await self._temporal.start_workflow(
            ReconciliationWorkflow.run,
            ReconcileInput(
                reconciliation_id=run_id,
                requested_by=current_caller().org,
                run_timeout_s=self._settings.reconciliation_timeout_s,
            ),
            id=reconciliation_workflow_id(run_id),
            task_queue=self._settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        # The run records itself at its first step; until then it is queued.
        for _ in range(50):
            try:
                report = await asyncio.to_thread(self._ledger.reconciliations.summary, run_id)
                return reconciliation_to_proto(report)
            except NotFound:
                await asyncio.sleep(0.1)
        queued = ReconciliationReport(
            reconciliation_id=run_id, requested_by=current_caller().org, started_at=datetime.now(UTC)
        )
        return reconciliation_to_proto(queued)

    @mapped_on(ON_RUN)
    async def GetReconciliation(
        self, request: pb.GetReconciliationRequest, context: grpc.aio.ServicerContext
    ) -> pb.Reconciliation:
        report = await asyncio.to_thread(self._ledger.reconciliations.summary, request.reconciliation_id)
        return reconciliation_to_proto(report)

    async def GetReconciliationReport(
        self, request: pb.GetReconciliationReportRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ReconciliationReportChunk]:
        try:
            request_bounds.check(request)
            fmt = _FORMATS.get(request.format)
            if fmt is None:
                raise InvalidInput(
                    "format must be REPORT_FORMAT_JSON, REPORT_FORMAT_CSV, REPORT_FORMAT_HTML or REPORT_FORMAT_PDF",
                    field="format",
                )
            report = await asyncio.to_thread(self._ledger.reconciliations.report, request.reconciliation_id)
            if report.finished_at is None:
                raise PreconditionFailed(
                    f"reconciliation {request.reconciliation_id} is still running ({report.progress.stage})",
                    field="reconciliation_id",
                )
            # matplotlib and reportlab load with the first report, not with every gateway process.
            from gateway.reconciliation_render import render

            content_type, content = await asyncio.to_thread(render, report, fmt)
        except GatewayError as error:
            await abort_with(context, error)
            return
        for at in range(0, max(len(content), 1), _CHUNK):
            yield pb.ReconciliationReportChunk(content_type=content_type, content=content[at : at + _CHUNK])

    @mapped
    async def ListReconciliations(
        self, request: pb.ListReconciliationsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListReconciliationsResponse:
        size = paging.page_size(request.page_size)
        after = None
        if request.page_token:
            key = paging.position(request.page_token, _SCOPE, {})
            try:
                after = (datetime.fromisoformat(str(key[0])), str(key[1]))
            except (IndexError, ValueError) as bad:
                raise InvalidInput(
                    "page_token is not a token this gateway issued", field="page_token"
                ) from bad
        runs = await asyncio.to_thread(self._ledger.reconciliations.runs, after, size + 1)
        shown = runs[:size]
        token = ""
        if len(runs) > size:
            last = shown[-1]
            token = paging.issue(_SCOPE, {}, (last.started_at.isoformat(), last.reconciliation_id))
        return pb.ListReconciliationsResponse(
            reconciliations=[reconciliation_to_proto(r) for r in shown], next_page_token=token
        )

    @mapped_on(ON_RUN)
    async def ResolveFinding(
        self, request: pb.ResolveFindingRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResolveFindingResponse:
        resolution = Resolution(
            note=request.note,
            resolved_by=current_caller().org,
            resolved_at=datetime.now(UTC),
            reconciliation_id=request.reconciliation_id,
        )
        book = self._ledger.reconciliations
        found = await asyncio.to_thread(
            book.resolve, request.reconciliation_id, request.finding_id, resolution
        )
        report = await asyncio.to_thread(book.summary, request.reconciliation_id)
        assert found.resolution is not None
        msg = pb.ResolveFindingResponse(
            finding_id=found.finding_id,
            resolved_by=found.resolution.resolved_by,
            reconciliation=reconciliation_to_proto(report),
        )
        msg.resolve_time.FromDatetime(found.resolution.resolved_at)
        return msg
