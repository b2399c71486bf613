"""RetirementWorkflow: units retired on a public-benefit account's beneficiary's behalf.

buy (optional) → record → check → (a reconciliation's review) → reserve → retire in the registry
→ settle → RETIRED.

With a seller named, the units are first bought into the account's backing
(holding) account by an ordinary transfer, `retire-<id>-buy`, submitted through
the transfer desk, so the purchase is a saga with every double-counting check;
the workflow looks at it, a timer between looks, until it is final. The
retirement itself is a ledger transfer too, `retire-<id>`, from the holding
account to the pseudo-account "retired in that registry"
(`domain.transfers.retired_in`): the transfer saga's own check, reserve and
settle activities judge it, hold its serials and put its settlement in the
anchored log, so its receipt comes from the same proof code as any transfer's.

Nothing can undo a registry's retirement, so that call retries until the registry
answers; only its refusal (nothing retired) releases the serials and fails the
retirement. From the retirement on the workflow only goes forward. The workflow's
id is the retirement transfer's saga id (`transfer/retire-<id>`): whatever looks
for a transfer's saga (the orphan sweep) finds this one running it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError

with workflow.unsafe.imports_passed_through():
    from adapters import catalogue
    from adapters.base import RegistryAdapter
    from domain.errors import GatewayError, RegistryRefused, RegistryUnavailable
    from domain.finance import PublicBenefitAccount, Retirement, RetirementState
    from domain.holdings import Holding
    from domain.serials import SerialBlock
    from domain.transfers import (
        Purpose,
        Reason,
        Transfer,
        TransferRequest,
        TransferState,
        retired_in,
    )
    from domain.units import UnitStatus
    from ledger import Ledger
    from workflows.activities import TransferActivities, rejection
    from workflows.finance_parts import Desk, FinanceParts
    from workflows.inputs import REJECTED_ERROR, StepInput, StepPolicy, transfer_workflow_id
    from workflows.transfer import reasons_of, reserve_after_review

_T = TransferState
_SETTLED = frozenset({_T.SETTLED, _T.ANCHORED})
_UNDONE = frozenset({_T.REJECTED, _T.COMPENSATED})
# The ledger states a retirement transfer passes on its way to settling: checked, then retired in the
# registry (the units left the holding account) and so at the pseudo-account.
_FORWARD = (_T.CHECKED, _T.SOURCE_LOCKED, _T.DESTINATION_CREDITED)
_UNRETIRED = frozenset({_T.RECEIVED, _T.CHECKED})  # the registry has not retired the units


def retirement_workflow_id(retirement: Retirement) -> str:
    """The saga id of the retirement's ledger transfer: the orphan sweep sees the workflow running."""
    return transfer_workflow_id(retirement.retirement_transfer_id)


class RetirementInput(BaseModel):
    retirement_id: str
    buying: bool  # a seller is named: buy the units into the holding account first
    policy: StepPolicy = StepPolicy()
    # Looks at the purchase start at the policy's initial interval and double up to this pause.
    poll_max_s: float = Field(default=60.0, gt=0)
    # Looks per workflow run before it continues as new (every step is idempotent, so it starts over).
    looks_per_run: int = Field(default=500, ge=1)


class RetirementMove(BaseModel):
    retirement_id: str
    state: RetirementState
    reasons: list[Reason] = Field(default_factory=list)


class PurchaseLook(BaseModel):
    transfer_id: str
    state: TransferState
    reasons: list[Reason] = Field(default_factory=list)


class RetirementOutcome(BaseModel):
    retirement_id: str
    state: RetirementState
    reasons: list[Reason] = Field(default_factory=list)


def _cancelled() -> Reason:
    return Reason(
        code="CANCELLED",
        message="the retirement was cancelled before the registry was asked: nothing was retired "
        "(units already bought stay in the holding account)",
    )


def _purchase_failed(look: PurchaseLook) -> list[Reason]:
    said = Reason(
        code="PURCHASE-FAILED",
        message=f"the purchase transfer {look.transfer_id} ended {look.state.value}: nothing was retired",
    )
    return [said, *look.reasons]


@workflow.defn
class RetirementWorkflow:
    def __init__(self) -> None:
        self._policy = RetryPolicy()
        self._timeout = timedelta(seconds=30)

    @workflow.run
    async def run(self, params: RetirementInput) -> RetirementOutcome:
        self._configure(params.policy)
        rid = params.retirement_id
        try:
            refused = await self._buy(params) if params.buying else []
            if refused:
                return await self._fail(rid, refused)
            transfer = await self._run(RetirementActivities.record_transfer, rid)
            step = StepInput(transfer=transfer)
            claim = await self._run(TransferActivities.check, step)
            await reserve_after_review(self._run, StepInput(transfer=transfer, offset_claim=claim))
        except ActivityError as err:
            cancelled = isinstance(err.cause, CancelledError)
            return await self._fail(rid, [_cancelled()] if cancelled else reasons_of(err))
        except asyncio.CancelledError:
            return await self._fail(rid, [_cancelled()])
        try:
            # A lost reply may hide a retirement: only the registry's refusal says nothing was retired,
            # and from this call on a cancel changes nothing.
            await self._shielded(RetirementActivities.retire_in_registry, rid)
        except ActivityError as err:
            return await self._fail(rid, reasons_of(err))
        await self._shielded(TransferActivities.settle, step)
        await self._move(rid, RetirementState.RETIRED)
        return RetirementOutcome(retirement_id=rid, state=RetirementState.RETIRED)

    def _configure(self, p: StepPolicy) -> None:
        self._timeout = timedelta(seconds=p.timeout_s)
        self._policy = RetryPolicy(
            initial_interval=timedelta(seconds=p.initial_interval_s),
            maximum_interval=timedelta(seconds=p.max_interval_s),
            maximum_attempts=p.attempts,
            non_retryable_error_types=[REJECTED_ERROR],
        )

    async def _buy(self, params: RetirementInput) -> list[Reason]:
        """Submit the purchase and look at it until it is final; why it failed, or nothing when it settled.

        A purchase an operator must resolve (NEEDS_INTERVENTION) is waited for: the
        operator's decision settles or undoes it.
        """
        rid = params.retirement_id
        try:
            await self._run(RetirementActivities.submit_purchase, rid, until_done=True)
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                raise
            return reasons_of(err)
        pause = params.policy.initial_interval_s
        for _ in range(params.looks_per_run):
            look: PurchaseLook = await self._run(RetirementActivities.purchase_look, rid, until_done=True)
            if look.state in _SETTLED:
                await self._move(rid, RetirementState.RETIRING)
                return []
            if look.state in _UNDONE:
                return _purchase_failed(look)
            if workflow.info().is_continue_as_new_suggested():
                break
            await workflow.sleep(timedelta(seconds=pause))
            pause = min(pause * 2, params.poll_max_s)
        workflow.continue_as_new(params)

    async def _fail(self, rid: str, reasons: list[Reason]) -> RetirementOutcome:
        """Nothing was retired: the ledger transfer (if recorded) is rejected, its serials released."""
        move = RetirementMove(retirement_id=rid, state=RetirementState.FAILED, reasons=reasons)
        await self._shielded(RetirementActivities.abandon, move)
        return RetirementOutcome(retirement_id=rid, state=RetirementState.FAILED, reasons=reasons)

    async def _move(self, rid: str, state: RetirementState, reasons: list[Reason] | None = None) -> None:
        move = RetirementMove(retirement_id=rid, state=state, reasons=reasons or [])
        await self._shielded(RetirementActivities.move, move)

    async def _shielded(self, activity_method: Callable[..., Any], arg: Any) -> Any:
        """Run a step until done (only a refusal stops it); a cancellation meanwhile cannot interrupt it.

        As workflows.transfer's saga runs the steps past its point of no return.
        """
        task = asyncio.ensure_future(self._run(activity_method, arg, until_done=True))
        while True:
            try:
                return await asyncio.shield(task)
            except asyncio.CancelledError:
                if task.done():
                    return task.result()
                workflow.logger.info("%s: cancel ignored, the step must finish", workflow.info().workflow_id)

    async def _run(self, activity_method: Callable[..., Any], arg: Any, *, until_done: bool = False) -> Any:
        """One step with the policy; `until_done` retries it until it succeeds or is refused."""
        policy = self._policy
        if until_done:
            policy = RetryPolicy(
                initial_interval=policy.initial_interval,
                maximum_interval=policy.maximum_interval,
                maximum_attempts=0,
                non_retryable_error_types=[REJECTED_ERROR],
            )
        return await workflow.execute_activity_method(
            activity_method, arg, start_to_close_timeout=self._timeout, retry_policy=policy
        )


def _ours(transfer: Transfer, account: PublicBenefitAccount) -> bool:
    """Whether the ledger's transfer is this account's retirement (its id might be another's transfer)."""
    request = transfer.request
    return (
        request.source == account.holding
        and request.destination == retired_in(account.holding.registry_id)
        and transfer.submitted_by == account.operator
    )


def _held_part(held: list[Holding], wanted: SerialBlock) -> SerialBlock | None:
    """`wanted` as the registry holds it (its block carries what no serial says), if held and free."""
    for holding in held:
        block = holding.block
        if holding.status is UnitStatus.HELD and block.contains(wanted):
            part = block.with_range(wanted.start, wanted.end)
            if part.same_serials(wanted):
                return part
    return None


class RetirementActivities:
    """The retirement's own steps; the transfer saga's check, reserve, settle and mark_rejected do the rest."""

    def __init__(self, ledger: Ledger, adapters: Mapping[str, RegistryAdapter], desk: Desk) -> None:
        self._ledger = ledger
        self._adapters = adapters
        self._desk = desk

    async def _asked(self, retirement_id: str) -> tuple[Retirement, PublicBenefitAccount]:
        book = self._ledger.retirements
        retirement = await asyncio.to_thread(book.retirement, retirement_id)
        account = await asyncio.to_thread(book.account, retirement.account_id)
        return retirement, account

    @activity.defn(name="retirement_submit_purchase")
    async def submit_purchase(self, retirement_id: str) -> None:
        """Submit the purchase into the holding account; the same again is the same transfer."""
        retirement, account = await self._asked(retirement_id)
        assert retirement.seller is not None
        request = TransferRequest(
            transfer_id=retirement.purchase_transfer_id,
            source=retirement.seller,
            destination=account.holding,
            serial=retirement.serial,
            quantity=retirement.quantity,
            purpose=Purpose.VOLUNTARY,
        )
        try:
            await self._desk.submit(request, account.operator)
        except RegistryUnavailable:
            raise  # retried under the same transfer id
        except GatewayError as refused:
            raise rejection([Reason(code=refused.code, message=refused.message)]) from refused

    @activity.defn(name="retirement_purchase_look")
    async def purchase_look(self, retirement_id: str) -> PurchaseLook:
        retirement = await asyncio.to_thread(self._ledger.retirements.retirement, retirement_id)
        bought = await asyncio.to_thread(self._ledger.get, retirement.purchase_transfer_id)
        tid = retirement.purchase_transfer_id
        if bought is None:
            return PurchaseLook(transfer_id=tid, state=_T.RECEIVED)
        return PurchaseLook(transfer_id=tid, state=bought.state, reasons=list(bought.reasons))

    @activity.defn(name="retirement_record_transfer")
    async def record_transfer(self, retirement_id: str) -> Transfer:
        """Record the ledger transfer `retire-<id>` of exactly the units the holding account will retire."""
        retirement, account = await self._asked(retirement_id)
        tid = retirement.retirement_transfer_id
        existing = await asyncio.to_thread(self._ledger.get, tid)
        if existing is not None:  # a retry; or the id was taken by another transfer
            if not _ours(existing, account):
                raise rejection([Reason(code="TRANSFER-ID-TAKEN", message=f"transfer {tid} is another's")])
            return existing
        block = await self._units(retirement, account)
        request = TransferRequest(
            transfer_id=tid,
            source=account.holding,
            destination=retired_in(account.holding.registry_id),
            serial=catalogue.format_serial(block),
            purpose=Purpose.VOLUNTARY,
        )
        now = datetime.now(UTC)
        fresh = Transfer(
            request=request, block=block, created_at=now, updated_at=now, submitted_by=account.operator
        )
        stored, _ = await asyncio.to_thread(self._ledger.record_received, fresh)
        return stored

    async def _units(self, retirement: Retirement, account: PublicBenefitAccount) -> SerialBlock:
        """The block to retire: what the purchase moved, or the named serials, as the holding account holds them."""
        holding = account.holding
        if retirement.seller is not None:
            bought = await asyncio.to_thread(self._ledger.get, retirement.purchase_transfer_id)
            assert bought is not None and bought.state in _SETTLED
            wanted = bought.block
        else:
            wanted = catalogue.parse_serial(holding.registry_id, retirement.serial)
        held = await self._adapters[holding.registry_id].holdings(holding.account_id)
        block = _held_part(list(held), wanted)
        if block is None:
            raise rejection(
                [
                    Reason(
                        code="UNITS-NOT-HELD",
                        message=f"account {holding.account_id} in {holding.registry_id} does not hold "
                        f"{retirement.serial} free to retire",
                    )
                ]
            )
        if retirement.seller is None and retirement.quantity is not None:
            if retirement.quantity > block.quantity:
                raise rejection(
                    [
                        Reason(
                            code="QUANTITY-EXCEEDS-BLOCK",
                            message=f"quantity {retirement.quantity} exceeds the {block.quantity} units named",
                        )
                    ]
                )
            block, _ = block.split(retirement.quantity)
        return block

    @activity.defn(name="retirement_retire_in_registry")
    async def retire_in_registry(self, retirement_id: str) -> None:
        """Retire the reserved units in their registry for the beneficiary (keyed: a retry retires once),
        then stand the ledger transfer where its settlement starts from."""
        retirement, account = await self._asked(retirement_id)
        transfer = await asyncio.to_thread(self._ledger.get, retirement.retirement_transfer_id)
        assert transfer is not None
        source = transfer.request.source
        key = f"{transfer.transfer_id}:retire"
        try:
            await self._adapters[source.registry_id].retire(
                key, source.account_id, transfer.block, account.shown_name, retirement.reason
            )
        except RegistryRefused as refused:
            raise rejection([Reason(code=refused.code, message=refused.message)]) from refused
        said = Reason(
            code="RETIRED-IN-REGISTRY",
            message=f"{source.registry_id} retired {transfer.request.serial} from account {source.account_id} "
            f"for {account.shown_name} (retirement {retirement.retirement_id})",
        )
        await asyncio.to_thread(self._stand_credited, transfer.transfer_id, said)

    def _stand_credited(self, transfer_id: str, said: Reason) -> None:
        """Walk the ledger transfer from where it stands to DESTINATION_CREDITED (a retry walks the rest)."""
        current = self._ledger.get(transfer_id)
        assert current is not None
        if current.state not in _FORWARD:
            return
        for state in _FORWARD[_FORWARD.index(current.state) + 1 :]:
            reasons = (said,) if state is _T.SOURCE_LOCKED else ()
            self._ledger.advance(transfer_id, state, datetime.now(UTC), reasons)

    @activity.defn(name="retirement_move")
    async def move(self, move: RetirementMove) -> None:
        await asyncio.to_thread(
            self._ledger.retirements.move,
            move.retirement_id,
            move.state,
            datetime.now(UTC),
            tuple(move.reasons),
        )

    @activity.defn(name="retirement_abandon")
    async def abandon(self, move: RetirementMove) -> None:
        """Nothing was retired: reject the ledger transfer if one was recorded (its serials go back), then
        the retirement FAILED with every reason."""
        retirement, account = await self._asked(move.retirement_id)
        transfer = await asyncio.to_thread(self._ledger.get, retirement.retirement_transfer_id)
        if transfer is not None and _ours(transfer, account) and transfer.state in _UNRETIRED:
            reasons = tuple(move.reasons)
            await asyncio.to_thread(
                self._ledger.advance, transfer.transfer_id, _T.REJECTED, datetime.now(UTC), reasons
            )
        await self.move(move)


WORKFLOWS: list[type] = [RetirementWorkflow]


def activities(parts: FinanceParts) -> list[Callable[..., Any]]:
    """The activities this module's workflows run (the transfer saga's are the worker's already)."""
    steps = RetirementActivities(parts.ledger, parts.adapters, parts.desk)
    return [
        steps.submit_purchase,
        steps.purchase_look,
        steps.record_transfer,
        steps.retire_in_registry,
        steps.move,
        steps.abandon,
    ]
