"""Evidence waits measured in hours and days, on Temporal's time-skipping test server.

The saga runs with its real activities against a sandbox registry over HTTP and a
SQLite ledger; only workflow time is skipped. A read-API outage is waited out, a
wait longer than one run's history continues as new, and evidence that comes after
the deadline flags the transfer for an operator instead of stranding the units.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters import catalogue
from adapters.evidence import evidence_reader_for
from adapters.http_client import SandboxRegistryClient
from adapters.polite_client import Politeness
from adapters.sandbox.server import RunningSandbox, start_sandbox
from domain.transfers import AccountRef, Transfer, TransferRequest, TransferState
from domain.units import UnitStatus
from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request
from ledger import Ledger
from tests.e2e.test_saga_histories import replay_and_keep
from workflows.activities import TransferActivities
from workflows.inputs import (
    EvidenceWait,
    OperatorDecision,
    Resolution,
    StepPolicy,
    TransferInput,
    TransferOutcome,
    transfer_workflow_id,
)
from workflows.transfer import TransferWorkflow
from workflows.worker import transfer_activities

QUEUE = "evidence-waits"
_ranges = itertools.count(1)


@dataclass
class Saga:
    env: WorkflowEnvironment
    sandbox: RunningSandbox
    ledger: Ledger
    http: httpx.AsyncClient

    async def seed(self, registry_id: str, account_id: str, serial: str) -> None:
        holding = DemoHolding(registry_id=registry_id, account_id=account_id, serial=serial)
        await post_seed(self.sandbox.url, seed_request([holding], f"test-{uuid.uuid4()}"))

    async def open_account(self, registry_id: str, account_id: str) -> None:
        await open_accounts(self.sandbox.url, [(registry_id, account_id)])

    async def immobilise(self, account_id: str, serial: str, transfer_id: str) -> None:
        body = {
            "account_id": account_id,
            "block": catalogue.parse_serial("verra", serial).model_dump(mode="json"),
            "details": f"immobilised for transfer {transfer_id}",
        }
        (await self.http.post("/registries/verra/holder/immobilise", json=body)).raise_for_status()

    async def fail(self, registry_id: str, **plan: object) -> None:
        (await self.http.put(f"/admin/registries/{registry_id}/faults", json=plan)).raise_for_status()

    async def clear(self, registry_id: str) -> None:
        (await self.http.delete(f"/admin/registries/{registry_id}/faults")).raise_for_status()

    async def start(
        self,
        account: str,
        serial: str,
        wait: EvidenceWait | None,
        *,
        route: tuple[str, str] = ("verra", "hk-core-climate"),
        policy: StepPolicy | None = None,
    ) -> tuple[str, WorkflowHandle[TransferWorkflow, TransferOutcome]]:
        transfer_id = f"wait-{account}"
        now = datetime.now(UTC)
        request = TransferRequest(
            transfer_id=transfer_id,
            source=AccountRef(registry_id=route[0], account_id=account),
            destination=AccountRef(registry_id=route[1], account_id=f"{account}-hk"),
            serial=serial,
        )
        block = catalogue.parse_serial(route[0], serial)
        transfer, _ = self.ledger.record_received(
            Transfer(request=request, block=block, created_at=now, updated_at=now)
        )
        policy = policy or StepPolicy(attempts=2, initial_interval_s=0.05, max_interval_s=0.2, timeout_s=10)
        handle = await self.env.client.start_workflow(
            TransferWorkflow.run,
            TransferInput(transfer=transfer, policy=policy, evidence=wait),
            id=transfer_workflow_id(transfer_id),
            task_queue=QUEUE,
        )
        return transfer_id, handle

    def state(self, transfer_id: str) -> TransferState:
        found = self.ledger.get(transfer_id)
        assert found is not None
        return found.state

    async def state_reaches(self, transfer_id: str, wanted: TransferState) -> None:
        for _ in range(300):
            if self.state(transfer_id) is wanted:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{transfer_id} stands {self.state(transfer_id)}, never {wanted}")


@pytest.fixture
async def saga(tmp_path: Path) -> AsyncIterator[Saga]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
    )
    profiles = catalogue.all_profiles()
    sandbox = await start_sandbox(profiles, tmp_path / "sandbox.sqlite3", host="127.0.0.1", port=0)
    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    adapters = {
        p.registry_id: SandboxRegistryClient(p, sandbox.url, timeout_s=2, attempts=1) for p in profiles
    }
    quick = Politeness(min_interval_s=0, attempts=1, backoff_s=0)
    readers = {
        p.registry_id: evidence_reader_for(p, sandbox.url, politeness=quick)
        for p in profiles
        if p.info.evidence_based
    }
    activities = TransferActivities(ledger, adapters, readers)
    worker = Worker(
        env.client, task_queue=QUEUE, workflows=[TransferWorkflow], activities=transfer_activities(activities)
    )
    async with worker, httpx.AsyncClient(base_url=sandbox.url, timeout=10) as http:
        yield Saga(env, sandbox, ledger, http)
    for client in [*adapters.values(), *readers.values()]:
        await client.aclose()
    ledger.close()
    await sandbox.stop()
    await env.shutdown()


def verra_serial() -> tuple[str, int]:
    first = 700_000_000 + next(_ranges) * 1_000
    return f"9660-{first}-{first + 99}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0", 100


async def settled_units(saga: Saga, registry_id: str, account_id: str) -> int:
    profile = catalogue.profile(registry_id)
    async with SandboxRegistryClient(profile, saga.sandbox.url, timeout_s=2, attempts=1) as client:
        held = await client.holdings(account_id)
    return sum(h.block.quantity for h in held if h.status is UnitStatus.HELD)


async def test_an_hour_long_read_api_outage_is_waited_out(saga: Saga):
    serial, units = verra_serial()
    await saga.seed("verra", "holder-1", serial)
    await saga.open_account("hk-core-climate", "holder-1-hk")
    await saga.fail("verra", error_rate=1.0, operations=["asset_search"])
    transfer_id, handle = await saga.start("holder-1", serial, EvidenceWait(deadline_s=7 * 86400, poll_s=60))
    await saga.immobilise("holder-1", serial, transfer_id)
    await saga.env.sleep(timedelta(hours=1))
    assert saga.state(transfer_id) is TransferState.CHECKED  # still waiting, reservation held
    await saga.clear("verra")
    outcome = await handle.result()
    assert outcome.state is TransferState.SETTLED
    assert await settled_units(saga, "hk-core-climate", "holder-1-hk") == units


async def test_a_wait_longer_than_one_runs_history_continues_as_new(saga: Saga):
    serial, _ = verra_serial()
    await saga.seed("verra", "holder-2", serial)
    await saga.open_account("hk-core-climate", "holder-2-hk")
    wait = EvidenceWait(deadline_s=7 * 86400, poll_s=60, looks_per_run=10)
    transfer_id, handle = await saga.start("holder-2", serial, wait)
    await saga.env.sleep(timedelta(hours=2))  # 120 looks: twelve runs of ten
    await saga.immobilise("holder-2", serial, transfer_id)
    outcome = await handle.result()
    assert outcome.state is TransferState.SETTLED
    first = saga.env.client.get_workflow_handle(handle.id, run_id=handle.first_execution_run_id)
    await replay_and_keep(await first.fetch_history(), "transfer_evidence_continued_as_new")
    runs, longest = 0, 0
    run_id: str | None = handle.first_execution_run_id
    while run_id:  # follow the chain of runs, each continued as new from the last
        run = saga.env.client.get_workflow_handle(transfer_workflow_id(transfer_id), run_id=run_id)
        events = (await run.fetch_history()).events
        runs, longest = runs + 1, max(longest, len(events))
        moved_on = events[-1].workflow_execution_continued_as_new_event_attributes
        run_id = moved_on.new_execution_run_id or None
    assert runs >= 10
    assert longest < 150  # each run stays far below any history limit, however long the wait


async def test_evidence_after_the_deadline_flags_the_transfer_and_an_operator_completes_it(saga: Saga):
    serial, units = verra_serial()
    await saga.seed("verra", "holder-3", serial)
    await saga.open_account("hk-core-climate", "holder-3-hk")
    wait = EvidenceWait(deadline_s=3600, poll_s=60, late_watch_s=30 * 86400, late_poll_s=600)
    transfer_id, handle = await saga.start("holder-3", serial, wait)
    await saga.env.sleep(timedelta(hours=1, minutes=2))
    await saga.state_reaches(transfer_id, TransferState.COMPENSATED)
    assert saga.ledger.location_of(catalogue.parse_serial("verra", serial)) == []
    await saga.immobilise("holder-3", serial, transfer_id)
    await saga.env.sleep(timedelta(minutes=15))
    await saga.state_reaches(transfer_id, TransferState.NEEDS_INTERVENTION)
    flagged = saga.ledger.get(transfer_id)
    assert flagged is not None and "EVIDENCE-LATE" in [r.code for r in flagged.reasons]
    decision = OperatorDecision(resolution=Resolution.RETRY, reason="holder confirmed", operator="ops-carol")
    await handle.execute_update(TransferWorkflow.resolve, decision)
    outcome = await handle.result()
    assert outcome.state is TransferState.SETTLED
    assert await settled_units(saga, "hk-core-climate", "holder-3-hk") == units
    await replay_and_keep(await handle.fetch_history(), "transfer_evidence_late_retry")


async def test_evidence_that_never_comes_compensates_and_the_watch_ends(saga: Saga):
    serial, _ = verra_serial()
    await saga.seed("verra", "holder-4", serial)
    wait = EvidenceWait(deadline_s=3600, poll_s=300, late_watch_s=86400, late_poll_s=3600)
    transfer_id, handle = await saga.start("holder-4", serial, wait)
    outcome = await handle.result()
    assert outcome.state is TransferState.COMPENSATED
    assert [r.code for r in outcome.reasons] == ["EVIDENCE-DEADLINE"]
    assert saga.state(transfer_id) is TransferState.COMPENSATED


async def test_a_compensation_refused_for_its_whole_deadline_waits_for_an_operator(saga: Saga):
    serial = "CCER-CN-880001-2024-1-1-60"
    await saga.seed("cn-ccer", "holder-5", serial)
    await saga.open_account("cn-sz-ets", "holder-5-hk")
    await saga.fail("cn-sz-ets", error_rate=1.0, operations=["credit"])
    await saga.fail("cn-ccer", refusal_rate=1.0, operations=["release"])  # the lock cannot be undone
    policy = StepPolicy(attempts=2, initial_interval_s=1, max_interval_s=600, compensation_deadline_s=3600)
    transfer_id, handle = await saga.start(
        "holder-5", serial, None, route=("cn-ccer", "cn-sz-ets"), policy=policy
    )
    await saga.env.sleep(timedelta(hours=2))
    await saga.state_reaches(transfer_id, TransferState.NEEDS_INTERVENTION)
    await saga.clear("cn-ccer")
    await saga.clear("cn-sz-ets")
    decision = OperatorDecision(resolution=Resolution.RETRY, reason="release unblocked", operator="ops-erin")
    await handle.execute_update(TransferWorkflow.resolve, decision)
    outcome = await handle.result()
    assert outcome.state is TransferState.COMPENSATED
    assert await settled_units(saga, "cn-ccer", "holder-5") == 60  # back with the holder, unlocked
    events = [(e.state, [r.code for r in e.reasons]) for e in saga.ledger.history(transfer_id)]
    # The operator's retry is its own event in the audit trail, between the flag and the end.
    assert (TransferState.NEEDS_INTERVENTION, ["OPERATOR-RETRY"]) in events
    assert events[-1][0] is TransferState.COMPENSATED
