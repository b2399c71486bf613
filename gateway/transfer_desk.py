"""The service layer behind TransferService: validate, record, start the saga.

Everything that can be refused from the request and the source registry's
holdings is refused here, before the ledger or any registry is touched, so a bad
request leaves no trace. A repeated submit finds the ledger row first and returns
the same transfer; the workflow id is the transfer id, so it is also the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from adapters import catalogue
from adapters.base import RegistryAdapter, RegistryProfile
from compliance_rules import Decision, evaluate
from domain.errors import AlreadyExists, InvalidInput, NotFound, PreconditionFailed, UnknownRegistry
from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import Transfer, TransferRequest, TransferState
from domain.units import UnitStatus
from gateway.settings import Settings
from ledger import Ledger, TransferEvent
from workflows.inputs import EvidenceWait, StepPolicy, TransferInput
from workflows.proposals import proposal_for
from workflows.transfer import TransferWorkflow


class TransferDesk:
    def __init__(
        self,
        ledger: Ledger,
        adapters: Mapping[str, RegistryAdapter],
        temporal: Client,
        settings: Settings,
    ) -> None:
        self._ledger = ledger
        self._adapters = adapters
        self._temporal = temporal
        self._settings = settings

    async def submit(self, request: TransferRequest) -> Transfer:
        existing = await asyncio.to_thread(self._ledger.get, request.transfer_id)
        if existing is None:
            existing = await self._record(request)
        if existing.request != request:
            raise AlreadyExists(
                f"transfer {request.transfer_id} exists with different content", field="transfer_id"
            )
        if not existing.is_final:
            await self._start(existing)
        return existing

    async def _record(self, request: TransferRequest) -> Transfer:
        """Validate a new request and record it; a concurrent twin may have recorded it first."""
        block, _ = await self._movable(request)
        now = datetime.now(UTC)
        fresh = Transfer(request=request, block=block, created_at=now, updated_at=now)
        recorded, _ = await asyncio.to_thread(self._ledger.record_received, fresh)
        return recorded

    async def get(self, transfer_id: str) -> Transfer:
        transfer = await asyncio.to_thread(self._ledger.get, transfer_id)
        if transfer is None:
            raise NotFound(f"no transfer {transfer_id!r}", field="transfer_id")
        return transfer

    async def evaluate(self, request: TransferRequest) -> Decision:
        """A dry run: the checks' every finding for this request, storing and moving nothing."""
        block, held = await self._movable(request)
        now = datetime.now(UTC)
        transfer = Transfer(request=request, block=block, created_at=now, updated_at=now)
        return await asyncio.to_thread(evaluate, proposal_for(transfer, held), self._ledger.facts())

    async def history(self, transfer_id: str) -> tuple[Transfer, list[TransferEvent]]:
        """The transfer now, and every state it went through (oldest first)."""
        transfer = await self.get(transfer_id)
        return transfer, await asyncio.to_thread(self._ledger.history, transfer_id)

    async def list(
        self,
        *,
        states: set[TransferState] | None,
        registry_id: str | None,
        account_id: str | None,
        page_size: int,
        page_token: str | None,
    ) -> tuple[list[Transfer], str | None]:
        return await asyncio.to_thread(
            lambda: self._ledger.list(
                states=states,
                registry_id=registry_id,
                account_id=account_id,
                page_size=page_size,
                page_token=page_token,
            )
        )

    async def _movable(self, request: TransferRequest) -> tuple[SerialBlock, Sequence[Holding]]:
        """The units the request would move and the source account's holdings (read once),
        or the reason the request cannot be accepted."""
        source = _profile(request.source.registry_id, "source")
        destination = _profile(request.destination.registry_id, "destination")
        named = catalogue.parse_serial(source.registry_id, request.serial)
        if request.quantity is not None and request.quantity > named.quantity:
            raise InvalidInput(
                f"quantity {request.quantity} exceeds the {named.quantity} units of the named block",
                field="quantity",
            )
        if destination.info.evidence_based:
            raise PreconditionFailed(
                f"{destination.registry_id} has no write API: the gateway cannot credit it",
                field="destination",
            )
        accepted = destination.accepted_programmes | {destination.info.programme}
        if named.programme not in accepted:
            raise PreconditionFailed(
                f"{destination.registry_id} does not hold {named.programme} units", field="destination"
            )
        held = await self._adapters[source.registry_id].holdings(request.source.account_id)
        # The registry's own block: it carries what no serial says (the gas, the GWP set).
        block = next(
            (h.block for h in held if h.status is UnitStatus.HELD and h.block.same_serials(named)), None
        )
        if block is None:
            raise PreconditionFailed(
                f"account {request.source.account_id} in {source.registry_id} "
                f"holds no block {request.serial}",
                field="serial",
            )
        head, _ = block.split(request.quantity or block.quantity)
        return head, held

    async def submit_evidence(self, transfer_id: str) -> Transfer:
        """Wake a transfer waiting for its holder's immobilisation, so it looks now."""
        transfer = await self.get(transfer_id)
        source = catalogue.profile(transfer.request.source.registry_id)
        if not source.info.evidence_based:
            raise PreconditionFailed(
                f"{source.registry_id} is driven by API: transfer {transfer_id} needs no evidence",
                field="transfer_id",
            )
        if transfer.state not in (TransferState.RECEIVED, TransferState.CHECKED):
            raise PreconditionFailed(
                f"transfer {transfer_id} is {transfer.state.value}, not waiting for evidence",
                field="transfer_id",
            )
        await self._temporal.get_workflow_handle(transfer_id).signal(TransferWorkflow.evidence_submitted)
        return transfer

    def _input(self, transfer: Transfer) -> TransferInput:
        s = self._settings
        policy = StepPolicy(
            attempts=s.step_attempts,
            initial_interval_s=s.step_initial_interval_s,
            max_interval_s=s.step_max_interval_s,
            timeout_s=s.step_timeout_s,
            compensation_deadline_s=s.compensation_deadline_s,
        )
        source = catalogue.profile(transfer.request.source.registry_id)
        evidence = None
        if source.info.evidence_based:
            evidence = EvidenceWait(
                deadline_s=s.evidence_deadline_for(source.registry_id), poll_s=s.evidence_poll_s
            )
        return TransferInput(transfer=transfer, policy=policy, evidence=evidence)

    async def _start(self, transfer: Transfer) -> None:
        """Start the saga once: a running one is reused, a closed one is never re-run."""
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._temporal.start_workflow(
                TransferWorkflow.run,
                self._input(transfer),
                id=transfer.transfer_id,
                task_queue=self._settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )


def _profile(registry_id: str, field: str) -> RegistryProfile:
    """The registry's profile; an unknown id is refused naming the request field."""
    try:
        return catalogue.profile(registry_id)
    except UnknownRegistry as unknown:
        raise UnknownRegistry(unknown.message, field=field) from unknown
