"""Collateral workflows: a pledge's release, and a repo from its sale to its repurchase or default.

Units move only through transfer sagas submitted at the transfer desk, so a repo's
legs pass the same double-counting checks as any transfer; these workflows only
follow those transfers and record where the repo stands. A pledge's enforcement is
itself a transfer saga (the pledge ends when it settles, in the settlement's
transaction), so it needs no workflow of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from adapters import catalogue
    from domain.finance import Collateral, Repo, RepoState
    from domain.transfers import Reason, TransferRequest, TransferState
    from workflows.finance_parts import FinanceParts

_STEP = timedelta(seconds=30)
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=0.2), maximum_interval=timedelta(seconds=5))
_FOLLOW_FIRST = timedelta(seconds=0.5)
_FOLLOW_MOST = timedelta(seconds=30)
_SETTLED = (TransferState.SETTLED, TransferState.ANCHORED)


def release_workflow_id(pledge_id: str) -> str:
    return f"pledge-{pledge_id}-release"


def repo_workflow_id(repo_id: str) -> str:
    return f"repo-{repo_id}"


class Release(BaseModel):
    pledge_id: str
    lender: str | None  # None: a caller who sees every lender's pledges


class Released(BaseModel):
    pledge: Collateral
    released: bool


class Leg(BaseModel):
    repo_id: str
    repurchase: bool


class Followed(BaseModel):
    state: TransferState
    reasons: tuple[Reason, ...] = ()


class RepoWatch(BaseModel):
    """A repo to follow, and when it defaults unless confirmed (the end of its repurchase date, UTC)."""

    repo: Repo
    deadline: datetime


def repo_deadline(repo: Repo) -> datetime:
    return datetime.combine(repo.repurchase_date + timedelta(days=1), time(), tzinfo=UTC)


class RepoMove(BaseModel):
    repo_id: str
    state: RepoState
    reasons: tuple[Reason, ...] = ()


def leg_request(repo: Repo, repurchase: bool) -> TransferRequest:
    """The sale moves `quantity` units of the named block to the buyer; the repurchase moves
    `repurchase_quantity` of those very units back."""
    if not repurchase:
        return TransferRequest(
            transfer_id=repo.sale_transfer_id,
            source=repo.seller_account,
            destination=repo.buyer_account,
            serial=repo.serial,
            quantity=repo.quantity,
        )
    named = catalogue.parse_serial(repo.seller_account.registry_id, repo.serial)
    sold, _ = named.split(repo.quantity)
    return TransferRequest(
        transfer_id=repo.repurchase_transfer_id,
        source=repo.buyer_account,
        destination=repo.seller_account,
        serial=catalogue.format_serial(sold),
        quantity=repo.repurchase_quantity,
    )


class CollateralActivities:
    def __init__(self, parts: FinanceParts) -> None:
        self._parts = parts

    @activity.defn(name="collateral.release")
    def release(self, asked: Release) -> Released:
        pledge, released = self._parts.ledger.finance.release(
            asked.pledge_id, asked.lender, datetime.now(UTC)
        )
        return Released(pledge=pledge, released=released)

    @activity.defn(name="repo.submit_leg")
    async def submit_leg(self, leg: Leg) -> None:
        """Submit the sale (for the seller) or the repurchase (for the buyer); a retry is a no-op."""
        repo = self._parts.ledger.finance.repo(leg.repo_id)
        by = repo.buyer if leg.repurchase else repo.seller
        await self._parts.desk.submit(leg_request(repo, leg.repurchase), by)

    @activity.defn(name="repo.transfer_state")
    async def transfer_state(self, transfer_id: str) -> Followed:
        transfer = await self._parts.desk.get(transfer_id)
        return Followed(state=transfer.state, reasons=transfer.reasons)

    @activity.defn(name="repo.move")
    def move(self, move: RepoMove) -> Repo:
        return self._parts.ledger.finance.move_repo(move.repo_id, move.state, datetime.now(UTC), move.reasons)

    @activity.defn(name="repo.default_unless_confirmed")
    def default_unless_confirmed(self, repo_id: str) -> RepoState:
        """At the repurchase deadline: DEFAULTED, unless the buyer's confirmation got in first."""
        book = self._parts.ledger.finance
        if book.repo(repo_id).state is RepoState.REPURCHASING:
            return RepoState.REPURCHASING
        return book.move_repo(repo_id, RepoState.DEFAULTED, datetime.now(UTC)).state


@workflow.defn(name="ReleaseCollateral")
class ReleaseCollateralWorkflow:
    """The lender's release of a pledge: recorded once, whatever the gateway does meanwhile."""

    @workflow.run
    async def run(self, asked: Release) -> Released:
        return await workflow.execute_activity_method(
            CollateralActivities.release, asked, start_to_close_timeout=_STEP, retry_policy=_RETRY
        )


@workflow.defn(name="Repo")
class RepoWorkflow:
    """Sale, then the buyer's confirmation or the repurchase date's end, then the repurchase."""

    def __init__(self) -> None:
        self._confirmed = False

    @workflow.signal
    def confirm(self) -> None:
        self._confirmed = True

    @workflow.run
    async def run(self, watch: RepoWatch) -> RepoState:
        repo = watch.repo
        sale = await self._leg(repo, repurchase=False)
        if sale.state not in _SETTLED:
            return await self._move(repo, RepoState.FAILED, sale.reasons)
        await self._move(repo, RepoState.SOLD)
        wait = max(watch.deadline - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(
                lambda: self._confirmed, timeout=wait, timeout_summary="repurchase date"
            )
        except TimeoutError:
            state = await workflow.execute_activity_method(
                CollateralActivities.default_unless_confirmed,
                repo.repo_id,
                start_to_close_timeout=_STEP,
                retry_policy=_RETRY,
            )
            if state is RepoState.DEFAULTED:
                return state
        back = await self._leg(repo, repurchase=True)
        final = RepoState.COMPLETED if back.state in _SETTLED else RepoState.FAILED
        return await self._move(repo, final, () if final is RepoState.COMPLETED else back.reasons)

    async def _leg(self, repo: Repo, *, repurchase: bool) -> Followed:
        """Submit one leg and follow its transfer until it is final (polling, backing off)."""
        await workflow.execute_activity_method(
            CollateralActivities.submit_leg,
            Leg(repo_id=repo.repo_id, repurchase=repurchase),
            start_to_close_timeout=_STEP,
            retry_policy=_RETRY,
        )
        transfer_id = repo.repurchase_transfer_id if repurchase else repo.sale_transfer_id
        pause = _FOLLOW_FIRST
        while True:
            followed = await workflow.execute_activity_method(
                CollateralActivities.transfer_state,
                transfer_id,
                start_to_close_timeout=_STEP,
                retry_policy=_RETRY,
            )
            if followed.state in _SETTLED or followed.state in (
                TransferState.REJECTED,
                TransferState.COMPENSATED,
            ):
                return followed
            await workflow.sleep(pause)
            pause = min(pause * 2, _FOLLOW_MOST)

    async def _move(self, repo: Repo, state: RepoState, reasons: tuple[Reason, ...] = ()) -> RepoState:
        moved = await workflow.execute_activity_method(
            CollateralActivities.move,
            RepoMove(repo_id=repo.repo_id, state=state, reasons=reasons),
            start_to_close_timeout=_STEP,
            retry_policy=_RETRY,
        )
        return moved.state


WORKFLOWS: list[type] = [ReleaseCollateralWorkflow, RepoWorkflow]


def activities(parts: FinanceParts) -> list[Callable[..., Any]]:
    """The activities this module's workflows run."""
    done = CollateralActivities(parts)
    return [done.release, done.submit_leg, done.transfer_state, done.move, done.default_unless_confirmed]
