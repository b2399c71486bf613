"""Pledges and repos over gRPC: the lending bank's collateral, locked until it lets go, consents or enforces.

Every test runs inside the conservation check of tests/e2e/conftest.py: across all
registries, units are neither created nor lost whatever the pledges do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from domain.finance import Repo, RepoState
from domain.transfers import AccountRef
from protos.carbon.gateway.v1 import finance_pb2 as pb
from protos.carbon.gateway.v1 import finance_pb2_grpc, registry_pb2, transfer_pb2
from tests.e2e.client import SETTLED, fields_named, final_state, transfer_request
from tests.e2e.sandbox_admin import SandboxAdmin
from workflows.collateral import RepoWatch, RepoWorkflow, repo_workflow_id

pytestmark = pytest.mark.e2e
_n = itertools.count(1)
REJECTED = transfer_pb2.TRANSFER_STATE_REJECTED


@pytest.fixture
def finance(channel) -> finance_pb2_grpc.FinanceServiceStub:
    return finance_pb2_grpc.FinanceServiceStub(channel)


def ccer(project: int, units: int) -> str:
    return f"CCER-CN-{project}-2024-1-1-{units}"


def holder(account: str) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=account)


def sz(account: str) -> transfer_pb2.AccountRef:
    return transfer_pb2.AccountRef(registry_id="cn-sz-ets", account_id=account)


async def held(registries, registry_id: str, account: str) -> list[str]:
    found = await registries.ListHoldings(
        registry_pb2.ListHoldingsRequest(registry_id=registry_id, account_id=account)
    )
    return [h.serial for h in found.holdings if h.status == registry_pb2.UNIT_STATUS_HELD]


async def test_a_pledged_block_moves_only_by_the_one_transfer_its_lender_consented_to(
    finance, transfers, sandbox: SandboxAdmin, account
):
    project = 780_000 + next(_n)
    serial = ccer(project, 500)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-sz")
    loan = pb.GreenLoan(
        loan_id=f"L-{account}",
        borrower_entity=f"owner-{account}",
        amount=pb.Money(currency_code="CNY", amount="2500000.00"),
        projects=[pb.ProjectRef(programme="CCER", project_id=str(project))],
        use_of_proceeds="a methane capture project",
        sign_date="2026-01-15",
        maturity_date="2031-01-15",
    )
    await finance.RecordGreenLoan(pb.RecordGreenLoanRequest(loan=loan))
    (recorded,) = await _events(finance, 0, ["loan.recorded"], {loan.loan_id})
    pledged = await finance.Pledge(
        pb.PledgeRequest(
            pledge_id=f"P-{account}", holder=holder(account), serial=serial, loan_id=loan.loan_id
        )
    )
    assert pledged.created and pledged.pledge.state == pb.PLEDGE_STATE_ACTIVE
    assert pledged.pledge.quantity == 500 and pledged.pledge.lender == "plaintext"
    asked = pb.PledgeRequest(
        pledge_id=f"P-{account}", holder=holder(account), serial=serial, loan_id=loan.loan_id
    )
    again = await finance.Pledge(asked)
    assert not again.created, "a retried pledge stores nothing new"
    asked.ClearField("loan_id")
    with pytest.raises(grpc.aio.AioRpcError) as changed:
        await finance.Pledge(asked)
    assert changed.value.code() == grpc.StatusCode.ALREADY_EXISTS, "the same id with other terms"

    to_sz = ("cn-ccer", account), ("cn-sz-ets", f"{account}-sz")
    await transfers.SubmitTransfer(transfer_request(f"unconsented-{account}", *to_sz, serial))
    refused = await final_state(transfers, f"unconsented-{account}")
    assert refused.state == REJECTED
    assert any(r.code == "DC-STATUS" and f"pledge P-{account}" in r.message for r in refused.reasons), (
        refused.reasons
    )

    consented = await finance.ConsentToTransfer(
        pb.ConsentToTransferRequest(pledge_id=f"P-{account}", transfer_id=f"consented-{account}")
    )
    assert consented.pledge.consented_transfer_id == f"consented-{account}"
    await transfers.SubmitTransfer(transfer_request(f"still-refused-{account}", *to_sz, serial))
    await transfers.SubmitTransfer(transfer_request(f"consented-{account}", *to_sz, serial))
    other, moved = await asyncio.gather(
        final_state(transfers, f"still-refused-{account}"), final_state(transfers, f"consented-{account}")
    )
    assert moved.state in SETTLED, moved.reasons
    assert other.state == REJECTED, "only the named transfer passes the pledge"

    ended = (await finance.ListPledges(pb.ListPledgesRequest(page_size=500))).pledges
    mine = next(p for p in ended if p.pledge_id == f"P-{account}")
    assert mine.state == pb.PLEDGE_STATE_TRANSFERRED and mine.HasField("end_time")
    assert mine.loan_id == loan.loan_id

    # The lender heard of each step, and of the settlement on the project its loan finances.
    subjects = {f"P-{account}", f"consented-{account}", f"unconsented-{account}", f"still-refused-{account}"}
    heard = await _events(finance, recorded.offset, [], subjects, wanted=4)
    assert [(e.kind, e.subject) for e in heard] == [
        ("pledge.created", f"P-{account}"),
        ("pledge.consented", f"P-{account}"),
        ("pledge.transferred", f"P-{account}"),
        ("transfer.settled", f"consented-{account}"),
    ]
    assert json.loads(heard[-1].data_json)["project"] == {"programme": "CCER", "project_id": str(project)}


async def _events(finance, after: int, kinds: list[str], subjects: set[str], wanted: int = 1) -> list:
    """The stream's events about `subjects` after `after`, once `wanted` of them have come."""
    found = []
    stream = finance.WatchFinanceEvents(
        pb.WatchFinanceEventsRequest(after_offset=after, kinds=kinds), timeout=20
    )
    async for update in stream:
        if update.event.subject in subjects:
            found.append(update.event)
        if len(found) == wanted:
            stream.cancel()
            break
    return found


async def test_release_frees_the_block_and_enforcement_moves_it_to_the_lender(
    finance, transfers, registries, sandbox: SandboxAdmin, account
):
    project = 781_000 + next(_n)
    freed, enforced = ccer(project, 100), f"CCER-CN-{project}-2024-2-1-40"
    await sandbox.seed("cn-ccer", account, freed)
    await sandbox.seed("cn-ccer", account, enforced)
    await sandbox.open_account("cn-sz-ets", f"{account}-bank")
    await sandbox.open_account("cn-sz-ets", f"{account}-to")
    for pledge_id, serial in ((f"free-{account}", freed), (f"take-{account}", enforced)):
        await finance.Pledge(pb.PledgeRequest(pledge_id=pledge_id, holder=holder(account), serial=serial))

    released = await finance.ReleaseCollateral(pb.ReleaseCollateralRequest(pledge_id=f"free-{account}"))
    assert released.released and released.pledge.state == pb.PLEDGE_STATE_RELEASED
    assert not (
        await finance.ReleaseCollateral(pb.ReleaseCollateralRequest(pledge_id=f"free-{account}"))
    ).released

    enforcing = await finance.EnforcePledge(
        pb.EnforcePledgeRequest(pledge_id=f"take-{account}", lender_account=sz(f"{account}-bank"))
    )
    assert enforcing.transfer_id == f"pledge-take-{account}-enforce"
    await transfers.SubmitTransfer(
        transfer_request(
            f"after-release-{account}", ("cn-ccer", account), ("cn-sz-ets", f"{account}-to"), freed
        )
    )
    moved, taken = await asyncio.gather(
        final_state(transfers, f"after-release-{account}"), final_state(transfers, enforcing.transfer_id)
    )
    assert moved.state in SETTLED, moved.reasons
    assert taken.state in SETTLED, taken.reasons
    assert await held(registries, "cn-sz-ets", f"{account}-bank") == [enforced]
    pledges = {
        p.pledge_id: p for p in (await finance.ListPledges(pb.ListPledgesRequest(page_size=500))).pledges
    }
    assert pledges[f"take-{account}"].state == pb.PLEDGE_STATE_ENFORCED
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        await finance.ReleaseCollateral(pb.ReleaseCollateralRequest(pledge_id=f"take-{account}"))
    assert ended.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_bad_pledges_are_refused_naming_the_field_and_store_nothing(
    finance, sandbox: SandboxAdmin, account
):
    project = 782_000 + next(_n)
    serial = ccer(project, 50)
    await sandbox.seed("cn-ccer", account, serial)
    cases = [
        (
            pb.PledgeRequest(pledge_id="bad id!", holder=holder(account), serial=serial),
            "INVALID_ARGUMENT",
            "pledge_id",
        ),
        (
            pb.PledgeRequest(pledge_id="x", holder=holder(f"{account}-none"), serial=serial),
            "FAILED_PRECONDITION",
            "holder.account_id",
        ),
        (
            pb.PledgeRequest(pledge_id="x", holder=holder(account), serial=ccer(project, 51)),
            "FAILED_PRECONDITION",
            "serial",
        ),
        (
            pb.PledgeRequest(pledge_id="x", holder=holder(account), serial=serial, quantity=51),
            "INVALID_ARGUMENT",
            "quantity",
        ),
        (
            pb.PledgeRequest(pledge_id="x", holder=holder(account), serial=serial, loan_id="no-such-loan"),
            "NOT_FOUND",
            "loan_id",
        ),
    ]
    for request, code, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await finance.Pledge(request)
        assert refused.value.code().name == code, (field, refused.value.details())
        assert fields_named(refused.value) == [field] or code == "NOT_FOUND", refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await finance.ConsentToTransfer(pb.ConsentToTransferRequest(pledge_id="x", transfer_id="t-1"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND, "nothing was stored under the refused id"


async def test_a_repo_sells_then_buys_back_on_the_buyer_s_confirmation(
    finance, transfers, registries, sandbox: SandboxAdmin, account
):
    serial = ccer(783_000 + next(_n), 300)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-bank")
    today = datetime.now(UTC).date().isoformat()
    opened = await finance.OpenRepo(
        pb.OpenRepoRequest(
            repo_id=f"R-{account}",
            seller_account=holder(account),
            buyer_account=sz(f"{account}-bank"),
            buyer="plaintext",
            serial=serial,
            quantity=200,
            repurchase_quantity=150,
            repurchase_date=today,
        )
    )
    assert opened.repo.sale_transfer_id == f"repo-R-{account}-sale"
    assert (await final_state(transfers, opened.repo.sale_transfer_id)).state in SETTLED
    repo = await _repo_reaching(finance, f"R-{account}", pb.REPO_STATE_SOLD)
    confirmed = await finance.ConfirmRepurchase(pb.ConfirmRepurchaseRequest(repo_id=repo.repo_id))
    assert confirmed.repo.state == pb.REPO_STATE_REPURCHASING
    await _repo_reaching(finance, repo.repo_id, pb.REPO_STATE_COMPLETED)
    assert (await final_state(transfers, confirmed.repo.repurchase_transfer_id)).state in SETTLED
    assert len(await held(registries, "cn-sz-ets", f"{account}-bank")) == 1  # the 50 units it keeps
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await finance.ConfirmRepurchase(pb.ConfirmRepurchaseRequest(repo_id=repo.repo_id))
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def _repo_reaching(finance, repo_id: str, state: int) -> pb.Repo:
    for _ in range(200):
        repo = await finance.GetRepo(pb.GetRepoRequest(repo_id=repo_id))
        if repo.state == state:
            return repo
        await asyncio.sleep(0.1)
    raise AssertionError(f"repo {repo_id} stayed {pb.RepoState.Name(repo.state)}")


async def test_a_repo_unconfirmed_by_its_deadline_defaults_and_the_buyer_keeps_the_units(
    gateway, finance, transfers, sandbox: SandboxAdmin, account
):
    """The deadline is the workflow's input (the end of the repurchase date in production): a near
    one here, so the default is seen without waiting a day."""
    serial = ccer(784_000 + next(_n), 60)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-bank")
    repo = Repo(
        repo_id=f"D-{account}",
        seller="plaintext",
        buyer="plaintext",
        seller_account=AccountRef(registry_id="cn-ccer", account_id=account),
        buyer_account=AccountRef(registry_id="cn-sz-ets", account_id=f"{account}-bank"),
        serial=serial,
        quantity=60,
        repurchase_quantity=60,
        repurchase_date=datetime.now(UTC).date(),
    )
    stored, _ = await asyncio.to_thread(gateway.ledger.finance.open_repo, repo, datetime.now(UTC))
    handle = await gateway.client.start_workflow(
        RepoWorkflow.run,
        RepoWatch(repo=stored, deadline=datetime.now(UTC) + timedelta(seconds=2)),
        id=repo_workflow_id(repo.repo_id),
        task_queue=gateway.settings.task_queue,
    )
    assert await handle.result() is RepoState.DEFAULTED
    assert (await final_state(transfers, repo.sale_transfer_id)).state in SETTLED
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await finance.ConfirmRepurchase(pb.ConfirmRepurchaseRequest(repo_id=repo.repo_id))
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION
