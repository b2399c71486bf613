"""Finds transfers the ledger holds whose saga is not running, and starts or flags them.

Submitting records the transfer, then starts its workflow; a crash or a failed start in
between leaves a RECEIVED row that nothing would pick up. The sweep runs in every gateway
at start-up and on an interval; starting is idempotent, so gateways sweeping at once are
harmless. A transfer that never locked anything (RECEIVED, CHECKED) is simply started; one
further along whose saga has closed (terminated by hand, say) cannot be restarted from the
top, so it is flagged NEEDS_INTERVENTION for an operator, its units accounted for by state.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import IllegalTransition
from domain.transfers import FINAL_STATES, Reason, Transfer, TransferState
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from workflows.inputs import transfer_workflow_id
from workflows.transfer import TransferWorkflow

log = logging.getLogger(__name__)

_RESTARTABLE = frozenset({TransferState.RECEIVED, TransferState.CHECKED})
_OPEN = frozenset(TransferState) - FINAL_STATES
_PAGE = 200
_SAGA = TransferWorkflow.__name__  # its workflow type: @workflow.defn names none other


class SweepReport(BaseModel):
    started: list[str] = []
    flagged: list[str] = []


async def sweep(ledger: Ledger, desk: TransferDesk, temporal: Client, grace_s: float) -> SweepReport:
    """One pass over the open transfers older than `grace_s` (younger ones have a submit in flight)."""
    report = SweepReport()
    cutoff = datetime.now(UTC) - timedelta(seconds=grace_s)
    running: set[str] | None = None  # listed once a pass has an open transfer past its grace
    token: str | None = None
    while True:
        page, token = await asyncio.to_thread(_open_page, ledger, token)
        for transfer in page:
            if transfer.updated_at > cutoff:
                continue
            if running is None:
                running = await _listed_running(temporal)
            if transfer_workflow_id(transfer.transfer_id) not in running:
                await _mend(transfer, ledger, desk, temporal, report)
        if token is None:
            return report


async def _listed_running(temporal: Client) -> set[str]:
    """The workflow ids of every saga Temporal lists as running: one listing a thousand at a time,
    where asking about each open transfer would take a call each (sagas waiting days for evidence
    stay open by the thousand).

    The list lags a moment behind: a saga that just ended may still be in it (the next pass
    finds it), one that just started may not (it is asked about, as any other).
    """
    query = f"WorkflowType = '{_SAGA}' AND ExecutionStatus = 'Running'"
    return {execution.id async for execution in temporal.list_workflows(query)}


def _open_page(ledger: Ledger, token: str | None) -> tuple[list[Transfer], str | None]:
    return ledger.list(states=set(_OPEN), page_size=_PAGE, page_token=token)


async def _mend(
    transfer: Transfer, ledger: Ledger, desk: TransferDesk, temporal: Client, report: SweepReport
) -> None:
    tid = transfer.transfer_id
    status = await _saga_status(temporal, tid)
    if status is WorkflowExecutionStatus.RUNNING:
        return
    if status is None and transfer.state in _RESTARTABLE:
        log.info("transfer %s was recorded but its saga never started: starting it", tid)
        await desk.start(transfer)
        report.started.append(tid)
        return
    why = "never started" if status is None else f"ended ({status.name.lower()})"
    reason = Reason(
        code="SAGA-ENDED",
        message=f"the saga of this transfer {why} while it stood {transfer.state.value}: "
        "check both registries and record how it was resolved",
    )
    try:
        await asyncio.to_thread(
            ledger.advance, tid, TransferState.NEEDS_INTERVENTION, datetime.now(UTC), (reason,)
        )
    except IllegalTransition:
        # Listed while open, but its saga finished it (settled, say) before we asked Temporal.
        log.info("transfer %s: its saga finished it meanwhile; nothing to flag", tid)
        return
    log.info("transfer %s: saga %s at %s; flagged for intervention", tid, why, transfer.state.value)
    report.flagged.append(tid)


async def _saga_status(temporal: Client, transfer_id: str) -> WorkflowExecutionStatus | None:
    """The latest run's status, or None when no saga was ever started for the transfer."""
    try:
        described = await temporal.get_workflow_handle(transfer_workflow_id(transfer_id)).describe()
    except RPCError as missing:
        if missing.status is RPCStatusCode.NOT_FOUND:
            return None
        raise
    return described.status


async def sweep_forever(
    ledger: Ledger, desk: TransferDesk, temporal: Client, *, interval_s: float, grace_s: float
) -> None:
    """Sweep now and then every `interval_s`; a failed pass is a log line, and the next one tries again.

    Temporal, the network or the ledger's database being away (a PostgreSQL restart, say) fails
    a pass, never the sweep: it would otherwise end for good and take the gateway's stop with it.
    """
    while True:
        try:
            report = await sweep(ledger, desk, temporal, grace_s)
            if report.started or report.flagged:
                log.info("orphan sweep: started %s, flagged %s", report.started, report.flagged)
        except (RPCError, OSError, SQLAlchemyError) as failed:
            cause = str(failed).splitlines()[0] if str(failed) else type(failed).__name__
            log.warning("orphan sweep did not finish (%s); next pass in %.0f s", cause, interval_s)
        await asyncio.sleep(interval_s)
