"""One gateway's observability with real parts: a scrape, the log lines, the spans of one transfer.

A Temporal dev server runs on the gateway's own runtime; a small transfer-like workflow (one
registry step that waits once, one step that logs) runs on a worker carrying the gateway's
interceptors, started from a real grpc.aio call through the gateway's server interceptors; the
ledger is a SQLite file filled through its public methods. The metrics endpoint is read with a
real HTTP GET, the JSON log lines from the stream the handler writes, and the spans from the
SDK's in-memory exporter.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import shutil
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ActivityError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from domain.deliveries import DeliveryState
from domain.errors import RegistryRefused, RegistryUnavailable
from domain.finance import EventKind, FinanceEvent
from domain.transfers import Reason, Transfer, TransferState
from gateway.log_lines import configure_logging
from gateway.observability import Observability
from gateway.settings import Settings
from ledger import AnchorEntry, Ledger
from ledger_anchor.leaf import SettlementRecord, encode_settlement
from protos.carbon.gateway.v1 import transfer_pb2
from tests.integration.ledger_samples import T0, VERRA_A, block, later, transfer
from workflows.activities import rejection
from workflows.inputs import StepInput, transfer_workflow_id
from workflows.step_metrics import LogFields, logging_for
from workflows.waits import LogWaits

TEMPORAL = shutil.which("temporal") or str(Path(sys.executable).parent / "temporal")
SERVICE = "carbon.gateway.test.Observed"
_log = logging.getLogger(__name__)


@activity.defn(name="lock_source")
async def lock_source(step: StepInput) -> None:
    """The source registry does not answer the first time (a wait), then locks."""
    if activity.info().attempt == 1:
        raise RegistryUnavailable(f"{step.transfer.request.source.registry_id} did not answer")


@activity.defn(name="credit_destination")
async def credit_destination(step: StepInput) -> None:
    """The destination registry refuses: a final rejection, as TransferActivities makes it."""
    destination = step.transfer.request.destination.registry_id
    refused = RegistryRefused(f"{destination} refused: account closed", code="ACCOUNT-CLOSED")
    raise rejection([Reason(code=refused.code, message=refused.message)]) from refused


@activity.defn
async def note_step(transfer_id: str) -> str:
    # Both kinds of line a real step writes: Temporal's activity logger and a plain module logger.
    activity.logger.info("noting %s through the activity logger", transfer_id)
    _log.warning("noting %s through a plain logger", transfer_id)
    return transfer_id


@workflow.defn
class ObservedTransfer:
    @workflow.run
    async def run(self, moved: Transfer) -> str:
        workflow.logger.info("observed transfer starts")
        await workflow.execute_activity(
            lock_source,
            StepInput(transfer=moved),
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50), maximum_attempts=3),
        )
        try:
            await workflow.execute_activity(
                credit_destination, StepInput(transfer=moved), start_to_close_timeout=timedelta(seconds=10)
            )
        except ActivityError:
            workflow.logger.info("the destination refused")  # a saga would compensate here
        return await workflow.execute_activity(
            note_step, moved.transfer_id, start_to_close_timeout=timedelta(seconds=10)
        )


@dataclass
class Observed:
    observability: Observability
    client: Client
    ledger: Ledger
    spans: InMemorySpanExporter
    logs: io.StringIO
    queue: str


@pytest.fixture
async def observed(tmp_path: Path) -> AsyncIterator[Observed]:
    tmp_dir = tmp_path
    settings = Settings(
        data_dir=tmp_dir, metrics_port=0, log_format="json", service_name="observability-test"
    )
    spans = InMemorySpanExporter()
    logs = io.StringIO()
    installed = configure_logging(settings, stream=logs)
    ledger = Ledger.open(f"sqlite:///{tmp_dir / 'ledger.db'}")
    observability = Observability.start(settings, ledger, span_exporters=[spans])
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=TEMPORAL,
        ui=False,
        runtime=observability.temporal_runtime,
        interceptors=observability.client_interceptors,
    )
    try:
        yield Observed(observability, env.client, ledger, spans, logs, f"observed-{uuid.uuid4().hex}")
    finally:
        await env.shutdown()
        observability.stop()
        ledger.close()
        installed.remove()


def _worker(o: Observed) -> Worker:
    """As `workflows.worker.gateway_worker` builds it: the gateway's interceptors around LogWaits."""
    return Worker(
        o.client,
        task_queue=o.queue,
        workflows=[ObservedTransfer],
        activities=[lock_source, credit_destination, note_step],
        interceptors=[*o.observability.worker_interceptors, LogWaits()],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "tests")
        ),
    )


async def _served_start(o: Observed, moved: Transfer) -> None:
    """A gRPC server with the gateway's interceptors whose one method starts the workflow and waits."""

    async def start(request: transfer_pb2.GetTransferRequest, context: grpc.aio.ServicerContext) -> Any:
        _log.warning("starting the observed transfer")
        await o.client.execute_workflow(
            ObservedTransfer.run,
            moved,
            id=transfer_workflow_id(request.transfer_id),
            task_queue=o.queue,
            execution_timeout=timedelta(seconds=30),
        )
        return transfer_pb2.Transfer(transfer_id=request.transfer_id)

    server = grpc.aio.server(interceptors=o.observability.grpc_interceptors)
    handler = grpc.unary_unary_rpc_method_handler(
        start,
        request_deserializer=transfer_pb2.GetTransferRequest.FromString,
        response_serializer=transfer_pb2.Transfer.SerializeToString,
    )
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, {"Start": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(
                f"/{SERVICE}/Start",
                request_serializer=transfer_pb2.GetTransferRequest.SerializeToString,
                response_deserializer=transfer_pb2.Transfer.FromString,
            )
            reply = await call(transfer_pb2.GetTransferRequest(transfer_id=moved.transfer_id), timeout=30)
            assert reply.transfer_id == moved.transfer_id
    finally:
        await server.stop(grace=1)


def _fill(ledger: Ledger) -> datetime:
    """Transfers in three states, two settlements of which one is under a final anchor, deliveries
    pending and failed. Returns when the unanchored settlement was appended."""
    ledger.record_received(transfer("t-received", block(1, 10)))
    for n, transfer_id in enumerate(("t-anchored", "t-settled"), start=1):
        moved = block(100 * n + 1, 100 * n + 10)
        settling = transfer(transfer_id, moved)
        ledger.record_received(settling)
        ledger.reserve(transfer_id, moved, VERRA_A)
        for state in (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED):
            ledger.advance(transfer_id, state, later(n))
        leaf = encode_settlement(SettlementRecord.from_transfer(settling, later(10 * n)))
        ledger.settle(transfer_id, settling.request.destination, later(10 * n), leaf)
    ledger.record_anchor(
        AnchorEntry(
            tree_size=1,
            root="0x" + "ab" * 32,
            chain_id=1337,
            contract_address="0x" + "cd" * 20,
            tx_hash="0x" + "ef" * 32,
            sent_at=later(15),
        )
    )
    ledger.finalise_anchor(1, 5, later(16))

    book = ledger.deliveries
    kinds = (EventKind.TRANSFER_SETTLED, EventKind.REPO_SOLD, EventKind.REPO_SOLD)
    book.append_events(
        [
            FinanceEvent(event_id=f"e{i}", org="bank-x", kind=kind, subject="t", data={}, occurred_at=T0)
            for i, kind in enumerate(kinds)
        ]
    )
    every, _ = book.subscribe("bank-x", "https://bank-x.example/all", [], 0, T0)
    repos, _ = book.subscribe("bank-x", "https://bank-x.example/repos", [EventKind.REPO_SOLD], 0, T0)
    [first] = book.pending(every, 1)
    book.record_attempt(every.subscription_id, first, 0, "HTTP 500", later(1))
    assert book.give_up(every.subscription_id, first.offset or 0)
    [first_repo] = book.pending(repos, 1)
    book.record_attempt(repos.subscription_id, first_repo, 0, "timed out", later(1))
    return later(20)


def _scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


async def test_one_transfer_is_seen_in_metrics_logs_and_one_trace(observed: Observed) -> None:
    o = observed
    unanchored_at = await asyncio.to_thread(_fill, o.ledger)
    moved = transfer(f"obs-{uuid.uuid4().hex[:8]}", block(1000, 1009))
    async with _worker(o):
        await _served_start(o, moved)
    assert o.observability.metrics_url is not None
    samples = await asyncio.to_thread(_scrape, o.observability.metrics_url)

    # The ledger, read at scrape time.
    assert _value(samples, "carbon_gateway_ledger_up") == 1
    assert _value(samples, "carbon_gateway_transfers", state="received") == 1
    assert _value(samples, "carbon_gateway_transfers", state="settled") == 1
    assert _value(samples, "carbon_gateway_transfers", state="anchored") == 1
    assert _value(samples, "carbon_gateway_transfers", state="rejected") == 0
    assert _value(samples, "carbon_gateway_anchor_lag_leaves") == 1
    waited = (datetime.now(UTC) - unanchored_at).total_seconds()
    assert abs(_value(samples, "carbon_gateway_anchor_lag_seconds") - waited) < 60
    assert _value(samples, "carbon_gateway_delivery_backlog", state=DeliveryState.PENDING.value) == 1
    assert _value(samples, "carbon_gateway_delivery_backlog", state=DeliveryState.FAILED.value) == 1
    assert _value(samples, "carbon_gateway_delivery_events_waiting") == 3 + 2  # every kind; repos only

    # The steps: the registry's wait, then its success, a refusal, and the registry errors behind them.
    step = "carbon_gateway_step_duration_seconds_count"
    assert _value(samples, step, activity="lock_source", outcome="waiting") == 1
    assert _value(samples, step, activity="lock_source", outcome="completed") == 1
    assert _value(samples, step, activity="note_step", outcome="completed") == 1
    errors = "carbon_gateway_registry_errors_total"
    assert _value(samples, errors, registry=VERRA_A.registry_id, kind="unavailable") == 1
    assert _value(samples, step, activity="credit_destination", outcome="rejected") == 1
    assert _value(samples, errors, registry=moved.request.destination.registry_id, kind="refused") == 1

    # Temporal's SDK metrics on the same endpoint.
    sdk = {name for name, _ in samples if name.startswith("temporal_")}
    assert "temporal_request_total" in sdk
    assert any(name.startswith("temporal_activity_execution_latency") for name in sdk), sorted(sdk)

    # Every line about the transfer names it, wherever it was logged.
    lines = [json.loads(line) for line in o.logs.getvalue().splitlines()]
    about = {
        line["message"].split(" (", 1)[0]: line
        for line in lines
        if line.get("transfer_id") == moved.transfer_id
    }
    workflow_id = transfer_workflow_id(moved.transfer_id)
    plain = about[f"noting {moved.transfer_id} through a plain logger"]
    assert (plain["workflow_id"], plain["activity"]) == (workflow_id, "note_step")
    assert plain["logger"] == __name__
    temporal_line = about[f"noting {moved.transfer_id} through the activity logger"]
    assert (temporal_line["workflow_id"], temporal_line["activity"]) == (workflow_id, "note_step")
    assert about["observed transfer starts"]["workflow_id"] == workflow_id
    assert "starting the observed transfer" in about  # in the gRPC servicer, from the request
    [wait] = [line for line in lines if line["logger"] == "workflows.waits"]  # LogWaits' own line
    assert (wait["transfer_id"], wait["activity"]) == (moved.transfer_id, "lock_source")
    assert all(line["service"] == "observability-test" for line in lines)

    # One trace from the gRPC call through the workflow start to the workflow and its steps.
    finished = o.spans.get_finished_spans()
    names = {span.name for span in finished}
    wanted = {
        f"/{SERVICE}/Start",
        "StartWorkflow:ObservedTransfer",
        "RunWorkflow:ObservedTransfer",
        "StartActivity:lock_source",
        "RunActivity:lock_source",
        "RunActivity:note_step",
    }
    assert wanted <= names, sorted(names)
    traces = {span.context.trace_id for span in finished if span.name in wanted}
    assert len(traces) == 1
    assert plain["trace_id"] == format(traces.pop(), "032x")


async def test_several_gateways_in_one_process_serve_their_own_metrics(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, metrics_port=0)
    with (
        Ledger.open(f"sqlite:///{tmp_path / 'a.db'}") as a,
        Ledger.open(f"sqlite:///{tmp_path / 'b.db'}") as b,
    ):
        a.record_received(transfer("only-in-a"))
        first, second = Observability.start(settings, a), Observability.start(settings, b)
        try:
            assert first.metrics_url != second.metrics_url
            for observed_gateway, received in ((first, 1), (second, 0)):
                assert observed_gateway.metrics_url is not None
                samples = await asyncio.to_thread(_scrape, observed_gateway.metrics_url)
                assert _value(samples, "carbon_gateway_transfers", state="received") == received
        finally:
            first.stop()
            second.stop()
    unserved = Observability.start(Settings(data_dir=tmp_path, metrics_port=None))
    try:
        assert unserved.metrics_url is None
        assert unserved.worker_interceptors  # the step's log fields still apply
    finally:
        unserved.stop()


def test_text_lines_name_the_transfer(tmp_path: Path) -> None:
    stream = io.StringIO()
    installed = configure_logging(Settings(data_dir=tmp_path, log_format="text"), stream=stream)
    try:
        with logging_for(LogFields(transfer_id="t-42")):
            logging.getLogger("gateway.servicers").info("submitted")
        logging.getLogger("gateway.servicers").info("nothing to do with a transfer")
    finally:
        installed.remove()
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO gateway.servicers: [transfer t-42] submitted")
    assert second.endswith("INFO gateway.servicers: nothing to do with a transfer")
