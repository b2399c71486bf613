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
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from adapters import catalogue
from adapters.base import AccountState, RegistryAdapter, RegistryProfile
from compliance_rules import Collision, Decision, Finding, evaluate
from compliance_rules.rulebook import Rulebook
from domain.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RegistryRefused,
    RegistryUnavailable,
    UnknownRegistry,
    quoted,
)
from domain.holdings import Holding
from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from domain.units import UnitStatus
from gateway.settings import Settings
from gateway.wire import serial_of
from ledger import Ledger, TransferEvent
from ledger.transfer_changes import Wake
from workflows import search_attributes
from workflows.inputs import (
    EvidenceWait,
    OperatorDecision,
    Resolution,
    StepPolicy,
    TransferInput,
    transfer_workflow_id,
)
from workflows.proposals import proposal_for
from workflows.transfer import TransferWorkflow


class EvidenceAwaited(BaseModel):
    holder_action: str
    deadline: datetime


class TransferDesk:
    def __init__(
        self,
        ledger: Ledger,
        adapters: Mapping[str, RegistryAdapter],
        temporal: Client,
        settings: Settings,
        rulebook: Rulebook | None = None,
    ) -> None:
        self._ledger = ledger
        self._adapters = adapters
        self._temporal = temporal
        self._settings = settings
        self._rulebook = rulebook

    @property
    def temporal(self) -> Client:
        return self._temporal

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def rulebook(self) -> Rulebook | None:
        """The rule packs this gateway judges transfers by (None: the double-counting checks only)."""
        return self._rulebook

    async def submit(self, request: TransferRequest, submitted_by: str | None = None) -> Transfer:
        """Record and start a transfer for organisation `submitted_by`; the same request again is a no-op."""
        existing = await asyncio.to_thread(self._ledger.get, request.transfer_id)
        if existing is None:
            existing = await self._record(request, submitted_by)
        if existing.request != request or existing.submitted_by != submitted_by:
            raise AlreadyExists(
                f"transfer {request.transfer_id} exists with different content", field="transfer_id"
            )
        if not existing.is_final:
            await self.start(existing)
        return existing

    async def _record(self, request: TransferRequest, submitted_by: str | None) -> Transfer:
        """Validate a new request and record it; a concurrent twin may have recorded it first."""
        block, _ = await self._movable(request)
        now = datetime.now(UTC)
        fresh = Transfer(
            request=request, block=block, created_at=now, updated_at=now, submitted_by=submitted_by
        )
        recorded, _ = await asyncio.to_thread(self._ledger.record_received, fresh)
        return recorded

    def holder_of(self, account: AccountRef) -> str | None:
        """The organisation the account's registry operator says holds it (None: not recorded)."""
        return self._ledger.account_holder(account)

    async def holdings_of(self, account: AccountRef) -> list[Holding]:
        """What the account's registry says it holds now, every status (an enterprise carbon account)."""
        return await self._adapters[account.registry_id].holdings(account.account_id)

    async def get(self, transfer_id: str, visible_to: str | None = None) -> Transfer:
        """The transfer; NOT_FOUND when it does not exist or, with `visible_to`, another organisation
        submitted it (so a caller cannot even learn that another's transfer exists)."""
        transfer = await asyncio.to_thread(self._ledger.get, transfer_id)
        if transfer is None or (visible_to is not None and transfer.submitted_by != visible_to):
            raise _no_transfer(transfer_id)
        return transfer

    async def evaluate(self, request: TransferRequest) -> Decision:
        """A dry run: every finding of the checks and rules in force for this request, storing and moving
        nothing. Units the source no longer holds because a transfer moved them are a DC-USE finding
        naming that transfer."""
        try:
            block, held = await self._movable(request)
        except PreconditionFailed as not_held:
            moved = await self._moved_away(request) if not_held.field == "serial" else None
            if moved is None:
                raise
            return moved
        now = datetime.now(UTC)
        transfer = Transfer(request=request, block=block, created_at=now, updated_at=now)
        return await asyncio.to_thread(
            lambda: evaluate(proposal_for(transfer, held), self._ledger.facts(), rulebook=self._rulebook)
        )

    async def _moved_away(self, request: TransferRequest) -> Decision | None:
        """DC-USE naming the transfer that moved the named units out of the source, if one did."""
        named = catalogue.parse_serial(request.source.registry_id, request.serial)
        wanted, _ = named.split(request.quantity or named.quantity)
        for where, account, transfer_id in await asyncio.to_thread(self._ledger.location_of, wanted):
            if account != request.source:
                finding = Finding(
                    code="DC-USE",
                    message=f"serials {where.serial_space} {where.start}-{where.end} were moved by transfer "
                    f"{transfer_id} to {account.registry_id}:{account.account_id}",
                    collides_with=Collision.over(
                        where,
                        transfer_id=transfer_id,
                        registry_id=account.registry_id,
                        account_id=account.account_id,
                    ),
                )
                return Decision(allowed=False, findings=[finding])
        return None

    def watching(self, transfer_id: str) -> contextlib.AbstractContextManager[Wake]:
        """A wake-up rung when a write in this process adds to `transfer_id`'s history."""
        return self._ledger.changes.watching(transfer_id)

    def woken_by_every_saga(self) -> bool:
        """Whether every saga step's commit rings `watching` here (the worker runs here, or PostgreSQL
        tells us); otherwise watchers look for themselves."""
        return self._ledger.changes.heard_from_all_writers()

    async def history(
        self, transfer_id: str, visible_to: str | None = None
    ) -> tuple[Transfer, list[TransferEvent]]:
        """The transfer now, and every state it went through (oldest first): one read, as a watcher polls it."""
        found = await asyncio.to_thread(self._ledger.with_history, transfer_id)
        if found is None or (visible_to is not None and found[0].submitted_by != visible_to):
            raise _no_transfer(transfer_id)
        return found

    async def list(
        self,
        *,
        states: set[TransferState] | None,
        registry_id: str | None,
        account_id: str | None,
        page_size: int,
        page_token: str | None,
        visible_to: str | None = None,
    ) -> tuple[list[Transfer], str | None]:
        return await asyncio.to_thread(
            lambda: self._ledger.list(
                states=states,
                registry_id=registry_id,
                account_id=account_id,
                page_size=page_size,
                page_token=page_token,
                submitted_by=visible_to,
            )
        )

    async def _movable(self, request: TransferRequest) -> tuple[SerialBlock, Sequence[Holding]]:
        """The units the request would move and the source account's holdings (read once),
        or the reason the request cannot be accepted."""
        source = self._registry(request.source.registry_id, "source.registry_id")
        destination = self._registry(request.destination.registry_id, "destination.registry_id")
        named = catalogue.parse_serial(source.registry_id, request.serial)
        if request.quantity is not None and request.quantity > named.quantity:
            raise InvalidInput(
                f"quantity {request.quantity} exceeds the {named.quantity} units of the named block",
                field="quantity",
            )
        if destination.info.evidence_based:
            raise PreconditionFailed(
                f"{destination.registry_id} has no write API: the gateway cannot credit it",
                field="destination.registry_id",
            )
        accepted = destination.accepted_programmes | {destination.info.programme}
        if named.programme not in accepted:
            raise PreconditionFailed(
                f"{destination.registry_id} does not hold {named.programme} units",
                field="destination.registry_id",
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
        await self._require_open(request.destination, "destination.account_id")
        head, _ = block.split(request.quantity or block.quantity)
        return head, held

    @staticmethod
    def _registry(registry_id: str, field: str) -> RegistryProfile:
        """The registry's profile; an unknown id is refused naming the request field, quoted short."""
        try:
            return catalogue.profile(registry_id)
        except UnknownRegistry as unknown:
            raise UnknownRegistry(
                f"unknown registry {quoted(registry_id)} (ListRegistries names every registry)", field=field
            ) from unknown

    async def _require_open(self, account: AccountRef, field: str) -> None:
        """Refuse an account its registry does not have, or has blocked, before anything is stored.

        The registry is asked now, not trusted from memory: an account may be opened
        or blocked at any time. The saga's credit meets the registry's own check again.
        """
        try:
            state = await self._adapters[account.registry_id].account_state(account.account_id)
        except RegistryUnavailable as down:
            raise RegistryUnavailable(
                f"{account.registry_id} could not be asked whether account {account.account_id} is open; "
                "nothing was stored, so the same request may be sent again",
                field=field,
            ) from down
        except RegistryRefused as refused:
            raise RegistryRefused(refused.message, code=refused.code, field=field) from refused
        if state is AccountState.UNKNOWN:
            raise PreconditionFailed(
                f"{account.registry_id} has no account {account.account_id}: "
                "it must be opened there before it can receive units",
                code="ACCOUNT-UNKNOWN",
                field=field,
            )
        if state is AccountState.BLOCKED:
            raise PreconditionFailed(
                f"account {account.account_id} of {account.registry_id} is blocked: it cannot receive units",
                code="ACCOUNT-BLOCKED",
                field=field,
            )

    async def holding_of(
        self, holder: AccountRef, block: SerialBlock, *, holder_field: str, serial_field: str
    ) -> Holding:
        """The holder's held block containing `block`, as its registry reports it now.

        Anything said about units on a holder's behalf (a pledge, say) needs the
        holder to hold them; otherwise PreconditionFailed naming the field at fault.
        """
        held = await self._adapters[holder.registry_id].holdings(holder.account_id)
        for holding in held:
            # Same issuance as far as a serial tells (the registry's block also knows the gas).
            written_alike = holding.block.with_range(block.start, block.end).same_serials(block)
            if holding.status is UnitStatus.HELD and holding.block.contains(block) and written_alike:
                return holding
        if not held:
            raise PreconditionFailed(
                f"account {holder.account_id} holds no units in {holder.registry_id}",
                code="UNITS-NOT-HELD",
                field=holder_field,
            )
        raise PreconditionFailed(
            f"account {holder.account_id} in {holder.registry_id} does not hold {serial_of(block)}",
            code="UNITS-NOT-HELD",
            field=serial_field,
        )

    async def submit_evidence(self, transfer_id: str, visible_to: str | None = None) -> Transfer:
        """Wake a transfer waiting for its holder's immobilisation, so it looks now."""
        transfer = await self.get(transfer_id, visible_to)
        source = catalogue.profile(transfer.request.source.registry_id)
        if not source.info.evidence_based:
            raise PreconditionFailed(
                f"{source.registry_id} is driven by API: transfer {transfer_id} needs no evidence",
                field="transfer_id",
            )
        # A compensated transfer may still be watched for a holder's late immobilisation.
        watched = (TransferState.RECEIVED, TransferState.CHECKED, TransferState.COMPENSATED)
        not_waiting = PreconditionFailed(
            f"transfer {transfer_id} is {transfer.state.value}, not waiting for evidence", field="transfer_id"
        )
        if transfer.state not in watched:
            raise not_waiting
        handle = self._temporal.get_workflow_handle(transfer_workflow_id(transfer_id))
        try:
            await handle.signal(TransferWorkflow.evidence_submitted)
        except RPCError as ended:
            if ended.status is not RPCStatusCode.NOT_FOUND:
                raise
            raise not_waiting from ended
        return transfer

    def evidence_awaited(
        self, transfer: Transfer, history: Sequence[TransferEvent] = ()
    ) -> EvidenceAwaited | None:
        """What the holder must do, and by when, while the transfer waits for their immobilisation."""
        source = transfer.request.source
        if not catalogue.profile(source.registry_id).info.evidence_based:
            return None
        state = history[-1].state if history else transfer.state
        if state not in (TransferState.RECEIVED, TransferState.CHECKED):
            return None
        checked = next((e.at for e in history if e.state is TransferState.CHECKED), transfer.updated_at)
        deadline = checked + timedelta(seconds=self._settings.evidence_deadline_for(source.registry_id))
        action = (
            f"in {source.registry_id}, account {source.account_id} must immobilise exactly "
            f"{serial_of(transfer.block)} naming transfer {transfer.transfer_id} in the details, "
            "then call SubmitEvidence (or wait for the next look)"
        )
        return EvidenceAwaited(holder_action=action, deadline=deadline)

    async def resolve(self, transfer_id: str, decision: OperatorDecision) -> Transfer:
        """Hand an operator's decision to the saga waiting on a flagged transfer.

        When no saga waits (it ended, or it flagged the transfer before sagas waited
        for operators), a recorded resolution runs as a saga of its own; a retry then
        has nothing to retry and is refused.
        """
        transfer = await self.get(transfer_id)
        if transfer.state is not TransferState.NEEDS_INTERVENTION:
            raise PreconditionFailed(
                f"transfer {transfer_id} is {transfer.state.value}, not waiting for intervention",
                field="transfer_id",
            )
        handle = self._temporal.get_workflow_handle(transfer_workflow_id(transfer_id))
        try:
            await handle.execute_update(TransferWorkflow.resolve, decision)
        except WorkflowUpdateFailedError as refused:
            raise PreconditionFailed(
                f"transfer {transfer_id} is not waiting for a decision yet; try again shortly",
                field="transfer_id",
            ) from refused
        except RPCError as gone:
            if gone.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
                raise
            await self._record_by_hand(transfer, decision)
        return await self.get(transfer_id)

    async def _record_by_hand(self, transfer: Transfer, decision: OperatorDecision) -> None:
        if decision.resolution is Resolution.RETRY:
            raise PreconditionFailed(
                f"the saga of transfer {transfer.transfer_id} has ended, so there is no step to retry: "
                "record how it was resolved instead",
                field="resolution",
            )
        handle = await self._temporal.start_workflow(
            TransferWorkflow.run,
            self._input(transfer).model_copy(update={"decision": decision}),
            id=transfer_workflow_id(transfer.transfer_id),
            task_queue=self._settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        )
        await handle.result()

    def step_policy(self) -> StepPolicy:
        """How every saga step is retried, from the settings (transfers and retirements alike)."""
        s = self._settings
        return StepPolicy(
            attempts=s.step_attempts,
            initial_interval_s=s.step_initial_interval_s,
            max_interval_s=s.step_max_interval_s,
            timeout_s=s.step_timeout_s,
            compensation_deadline_s=s.compensation_deadline_s,
        )

    def _input(self, transfer: Transfer) -> TransferInput:
        s = self._settings
        policy = self.step_policy()
        source = catalogue.profile(transfer.request.source.registry_id)
        evidence = None
        if source.info.evidence_based:
            evidence = EvidenceWait(
                deadline_s=s.evidence_deadline_for(source.registry_id),
                poll_s=s.evidence_poll_s,
                late_watch_s=s.evidence_late_watch_s,
                late_poll_s=s.evidence_late_poll_s,
                looks_per_run=s.evidence_looks_per_run,
            )
        return TransferInput(transfer=transfer, policy=policy, evidence=evidence)

    async def start(self, transfer: Transfer) -> None:
        """Start the saga once: a running one is reused, a closed one is never re-run.

        Recording comes first, so a crash before this leaves a RECEIVED row; the
        orphan sweep (gateway/orphan_sweep.py) calls this again for such rows.
        """
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._temporal.start_workflow(
                TransferWorkflow.run,
                self._input(transfer),
                id=transfer_workflow_id(transfer.transfer_id),
                task_queue=self._settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=search_attributes.start_attributes(transfer),
                memo=search_attributes.memo(transfer),
            )


def _no_transfer(transfer_id: str) -> NotFound:
    """NOT_FOUND for a transfer that does not exist or is another organisation's: the two look the same."""
    return NotFound(f"no transfer {quoted(transfer_id)}", field="transfer_id")
