"""FinanceService: pledges (the lender's own act) and repos.

A pledge is the calling bank's: it names the holder's units, which the holder's
registry must show held now, and only that bank can consent to one transfer of
them, release them or enforce the pledge. Consent and release change the ledger
alone (the release through a small workflow, so it is recorded whatever happens
to this process); enforcement and a repo's legs move units, so they are transfer
sagas submitted at the desk, checked like any other transfer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import grpc
from temporalio.client import WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from adapters import catalogue
from domain import paging
from domain.errors import InvalidInput, PermissionDenied, PreconditionFailed
from domain.finance import (
    Collateral,
    PledgeState,
    Repo,
    RepoState,
    enforcement_transfer_id,
    parse_date,
    require_record_id,
)
from domain.serials import SerialBlock
from domain.transfers import AccountRef, TransferRequest, require_transfer_id
from gateway import wire
from gateway.finance_base import FinanceRpcs
from gateway.roles import current_caller
from gateway.servicers import mapped, mapped_on
from protos.carbon.gateway.v1 import finance_pb2 as pb
from workflows.collateral import (
    Release,
    ReleaseCollateralWorkflow,
    Released,
    RepoWatch,
    RepoWorkflow,
    leg_request,
    release_workflow_id,
    repo_deadline,
    repo_workflow_id,
)

ON_PLEDGE = ("pledge", "pledge_id")
ON_REPO = ("repo", "repo_id")
_PLEDGE_STATES = {
    PledgeState.ACTIVE: pb.PLEDGE_STATE_ACTIVE,
    PledgeState.RELEASED: pb.PLEDGE_STATE_RELEASED,
    PledgeState.TRANSFERRED: pb.PLEDGE_STATE_TRANSFERRED,
    PledgeState.ENFORCED: pb.PLEDGE_STATE_ENFORCED,
}
_REPO_STATES = {
    RepoState.SELLING: pb.REPO_STATE_SELLING,
    RepoState.SOLD: pb.REPO_STATE_SOLD,
    RepoState.REPURCHASING: pb.REPO_STATE_REPURCHASING,
    RepoState.COMPLETED: pb.REPO_STATE_COMPLETED,
    RepoState.DEFAULTED: pb.REPO_STATE_DEFAULTED,
    RepoState.FAILED: pb.REPO_STATE_FAILED,
}


def pledge_to_proto(collateral: Collateral) -> pb.PledgeRecord:
    msg = pb.PledgeRecord(
        pledge_id=collateral.pledge_id,
        lender=collateral.lender,
        holder=wire.account_to_proto(collateral.holder),
        serial=collateral.serial,
        quantity=collateral.block.quantity,
        loan_id=collateral.loan_id or "",
        state=_PLEDGE_STATES[collateral.state],
        consented_transfer_id=collateral.consented_transfer_id or "",
    )
    msg.pledge_time.FromDatetime(collateral.pledged_at)
    if collateral.ended_at is not None:
        msg.end_time.FromDatetime(collateral.ended_at)
    return msg


def repo_to_proto(repo: Repo) -> pb.Repo:
    msg = pb.Repo(
        repo_id=repo.repo_id,
        seller=repo.seller,
        buyer=repo.buyer,
        seller_account=wire.account_to_proto(repo.seller_account),
        buyer_account=wire.account_to_proto(repo.buyer_account),
        serial=repo.serial,
        quantity=repo.quantity,
        repurchase_quantity=repo.repurchase_quantity,
        repurchase_date=repo.repurchase_date.isoformat(),
        state=_REPO_STATES[repo.state],
        sale_transfer_id=repo.sale_transfer_id,
        repurchase_transfer_id=(
            repo.repurchase_transfer_id if repo.state in (RepoState.REPURCHASING, RepoState.COMPLETED) else ""
        ),
    )
    if repo.updated_at is not None:
        msg.update_time.FromDatetime(repo.updated_at)
    return msg


def _named_block(account: AccountRef, serial: str, quantity: int, prefix: str) -> SerialBlock:
    """The first `quantity` units (0: all) of the block `serial` names in the account's registry."""
    wire.known_registry(account.registry_id, f"{prefix}.registry_id")
    named = catalogue.parse_serial(account.registry_id, serial)
    if quantity > named.quantity:
        raise InvalidInput(
            f"quantity {quantity} exceeds the {named.quantity} units of the named block", field="quantity"
        )
    return named.split(quantity or named.quantity)[0]


def _moved(pledge: Collateral) -> PreconditionFailed:
    return PreconditionFailed(
        f"pledge {pledge.pledge_id} is {pledge.state.value}: its units have moved; nothing to release",
        field="pledge_id",
    )


class PledgeRpcs(FinanceRpcs):
    """Pledge, ConsentToTransfer, ReleaseCollateral, EnforcePledge, ListPledges and the repo RPCs."""

    @mapped_on(ON_PLEDGE)
    async def Pledge(self, request: pb.PledgeRequest, context: grpc.aio.ServicerContext) -> pb.PledgeResponse:
        holder = wire.account_from_proto(request.holder, "holder")
        pledge_id = require_record_id(request.pledge_id, "pledge_id")
        loan_id = require_record_id(request.loan_id, "loan_id") if request.loan_id else None
        block = _named_block(holder, request.serial, request.quantity, "holder")
        # Only units the holder holds now can be pledged: asked of its registry before anything is stored.
        await self._desk.holding_of(holder, block, holder_field="holder.account_id", serial_field="serial")
        collateral = Collateral(
            pledge_id=pledge_id,
            lender=current_caller().org,
            holder=holder,
            block=block,
            serial=request.serial,
            loan_id=loan_id,
            pledged_at=datetime.now(UTC),
        )
        stored, created = await asyncio.to_thread(self._ledger.finance.pledge, collateral)
        return pb.PledgeResponse(pledge=pledge_to_proto(stored), created=created)

    @mapped_on(ON_PLEDGE)
    async def ConsentToTransfer(
        self, request: pb.ConsentToTransferRequest, context: grpc.aio.ServicerContext
    ) -> pb.ConsentToTransferResponse:
        transfer_id = require_transfer_id(request.transfer_id)
        consented = await asyncio.to_thread(
            self._ledger.finance.consent,
            request.pledge_id,
            current_caller().visible_org,
            transfer_id,
            datetime.now(UTC),
        )
        return pb.ConsentToTransferResponse(pledge=pledge_to_proto(consented))

    @mapped_on(ON_PLEDGE)
    async def ReleaseCollateral(
        self, request: pb.ReleaseCollateralRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReleaseCollateralResponse:
        lender = current_caller().visible_org
        pledge = await asyncio.to_thread(self._ledger.finance.collateral, request.pledge_id, lender)
        if pledge.state not in (PledgeState.ACTIVE, PledgeState.RELEASED):
            raise _moved(pledge)
        try:
            done: Released = await self._temporal.execute_workflow(
                ReleaseCollateralWorkflow.run,
                Release(pledge_id=request.pledge_id, lender=lender),
                id=release_workflow_id(request.pledge_id),
                task_queue=self._settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowFailureError:  # its units moved meanwhile (the consented transfer settled)
            raise _moved(
                await asyncio.to_thread(self._ledger.finance.collateral, request.pledge_id)
            ) from None
        return pb.ReleaseCollateralResponse(pledge=pledge_to_proto(done.pledge), released=done.released)

    @mapped_on(ON_PLEDGE)
    async def EnforcePledge(
        self, request: pb.EnforcePledgeRequest, context: grpc.aio.ServicerContext
    ) -> pb.EnforcePledgeResponse:
        caller = current_caller()
        destination = wire.account_from_proto(request.lender_account, "lender_account")
        # The units go to the enforcing bank's own account only.
        await self._require_held_by_caller(destination, "lender_account.account_id")
        pledge = await asyncio.to_thread(
            self._ledger.finance.collateral, request.pledge_id, caller.visible_org
        )
        transfer_id = enforcement_transfer_id(pledge.pledge_id)
        if pledge.state is not PledgeState.ACTIVE and pledge.consented_transfer_id != transfer_id:
            raise PreconditionFailed(f"pledge {pledge.pledge_id} is {pledge.state.value}; nothing to enforce")
        enforcement = TransferRequest(
            transfer_id=transfer_id,
            source=pledge.holder,
            destination=destination,
            serial=pledge.serial,
            quantity=pledge.block.quantity,
        )
        if pledge.state is PledgeState.ACTIVE:
            pledge = await asyncio.to_thread(
                self._ledger.finance.consent,
                pledge.pledge_id,
                caller.visible_org,
                transfer_id,
                datetime.now(UTC),
            )
        await self._desk.submit(enforcement, pledge.lender)
        return pb.EnforcePledgeResponse(pledge=pledge_to_proto(pledge), transfer_id=transfer_id)

    @mapped
    async def ListPledges(
        self, request: pb.ListPledgesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListPledgesResponse:
        lender = current_caller().visible_org
        query = {"lender": lender or ""}
        if request.page_token:  # a bad token is refused before the ledger is read
            paging.position(request.page_token, "pledges", query)
        pledges, token = paging.page_of(
            await asyncio.to_thread(self._ledger.finance.pledges, lender),
            lambda c: (c.pledged_at.isoformat(), c.pledge_id),
            scope="pledges",
            query=query,
            size=paging.page_size(request.page_size),
            token=request.page_token,
        )
        return pb.ListPledgesResponse(pledges=[pledge_to_proto(c) for c in pledges], next_page_token=token)

    # Repos

    @mapped_on(ON_REPO)
    async def OpenRepo(
        self, request: pb.OpenRepoRequest, context: grpc.aio.ServicerContext
    ) -> pb.OpenRepoResponse:
        caller = current_caller()
        repo_id = require_record_id(request.repo_id, "repo_id")
        seller_account = wire.account_from_proto(request.seller_account, "seller_account")
        buyer_account = wire.account_from_proto(request.buyer_account, "buyer_account")
        block = _named_block(seller_account, request.serial, request.quantity, "seller_account")
        repurchase_date = parse_date(request.repurchase_date, "repurchase_date")
        if repurchase_date < datetime.now(UTC).date():
            raise InvalidInput("repurchase_date is in the past", field="repurchase_date")
        if request.repurchase_quantity > block.quantity:
            raise InvalidInput(
                f"repurchase_quantity {request.repurchase_quantity} exceeds the {block.quantity} units sold",
                field="repurchase_quantity",
            )
        await self._require_held_by_caller(seller_account, "seller_account.account_id")
        repo = Repo(
            repo_id=repo_id,
            seller=caller.org,
            buyer=request.buyer,
            seller_account=seller_account,
            buyer_account=buyer_account,
            serial=request.serial,
            quantity=block.quantity,
            repurchase_quantity=request.repurchase_quantity or block.quantity,
            repurchase_date=repurchase_date,
        )
        # The sale is submitted first, so units the seller does not hold are refused before the repo is stored.
        await self._desk.submit(leg_request(repo, repurchase=False), caller.org)
        stored, _ = await asyncio.to_thread(self._ledger.finance.open_repo, repo, datetime.now(UTC))
        await self._temporal.start_workflow(
            RepoWorkflow.run,
            RepoWatch(repo=stored, deadline=repo_deadline(stored)),
            id=repo_workflow_id(repo_id),
            task_queue=self._settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        return pb.OpenRepoResponse(repo=repo_to_proto(stored))

    @mapped_on(ON_REPO)
    async def ConfirmRepurchase(
        self, request: pb.ConfirmRepurchaseRequest, context: grpc.aio.ServicerContext
    ) -> pb.ConfirmRepurchaseResponse:
        caller = current_caller()
        repo = await asyncio.to_thread(self._ledger.finance.repo, request.repo_id, caller.visible_org)
        if caller.visible_org is not None and caller.org != repo.buyer:
            raise PermissionDenied("only the repo's buyer confirms its repurchase", field="repo_id")
        if repo.state not in (RepoState.SOLD, RepoState.REPURCHASING):
            raise PreconditionFailed(f"repo {repo.repo_id} is {repo.state.value}, not sold", field="repo_id")
        moved = await asyncio.to_thread(
            self._ledger.finance.move_repo, repo.repo_id, RepoState.REPURCHASING, datetime.now(UTC)
        )
        await self._temporal.get_workflow_handle(repo_workflow_id(repo.repo_id)).signal(RepoWorkflow.confirm)
        return pb.ConfirmRepurchaseResponse(repo=repo_to_proto(moved))

    @mapped_on(ON_REPO)
    async def GetRepo(self, request: pb.GetRepoRequest, context: grpc.aio.ServicerContext) -> pb.Repo:
        return repo_to_proto(
            await asyncio.to_thread(self._ledger.finance.repo, request.repo_id, current_caller().visible_org)
        )
