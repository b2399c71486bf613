"""Transfers per second and submit→settled latency, against a bare Temporal baseline.

Starts an embedded gateway in a temporary folder, seeds N CCER blocks, submits N
transfers concurrently over gRPC and follows each to its final state. Then runs N
bare workflows of the same number of no-op activities on the same Temporal server
and worker settings, and prints both and their ratio (the gateway's overhead), with
the CPU each process spent per transfer (this one holds the gateway: its gRPC server,
worker and ledger; the Temporal server and the sandbox registries are children).
A third run, N workflows whose histories have a settled transfer's shape (read from
one of the gateway's: its search attributes, memo, input sizes, search-attribute
updates and patch marker) but no gateway code, tells the Temporal server's extra work
for a transfer apart from the gateway's own.

    .venv/bin/python bench/transfers.py [-n 200] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.common import TypedSearchAttributes
from temporalio.converter import decode_typed_search_attributes
from temporalio.worker import Worker

from bench.bare_workflow import BareWorkflow, Shape, ShapedWorkflow, echo_step, no_op
from bench.measure import cpu_ms_per, cpu_seconds, percentile, progress, write_csv, write_json
from gateway.demo import DemoHolding, open_accounts, post_seed, seed_request
from gateway.runtime import EmbeddedGateway
from gateway.settings import Settings
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from workflows.inputs import transfer_workflow_id

SAGA_STEPS = 6  # check, reserve, lock, credit, finalise, settle


def summary(
    name: str, latencies: list[float], wall: float, cpu_ms: dict[str, float]
) -> dict[str, float | str]:
    """Throughput, submit→final latency and CPU per transfer of one run, for the table, JSON and CSV."""
    return {
        "run": name,
        "count": len(latencies),
        "per_second": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "cpu_ms_total": sum(cpu_ms.values()),
        **{f"cpu_ms {process}": ms for process, ms in sorted(cpu_ms.items())},
    }


async def timed(
    name: str, n: int, one: Callable[[int], Awaitable[None]], label: str
) -> dict[str, float | str]:
    """Run `one(0)` … `one(n - 1)` at once, each timed from start to end, with progress under `label`."""
    latencies: list[float] = []

    async def timed_one(i: int) -> None:
        started = time.perf_counter()
        await one(i)
        latencies.append(time.perf_counter() - started)
        progress(f"{label}: {len(latencies)}/{n} done", done=len(latencies) == n)

    cpu = cpu_seconds()
    wall_start = time.perf_counter()
    await asyncio.gather(*(timed_one(i) for i in range(n)))
    wall = time.perf_counter() - wall_start
    return summary(name, latencies, wall, cpu_ms_per(cpu, cpu_seconds(), n))


async def gateway_run(gw: EmbeddedGateway, n: int) -> dict[str, float | str]:
    run = uuid.uuid4().hex[:8]
    holdings = [
        DemoHolding(
            registry_id="cn-ccer", account_id=f"bench-{run}-{i}", serial=f"CCER-CN-{700000 + i}-2024-1-1-100"
        )
        for i in range(n)
    ]
    await post_seed(gw.sandbox_url, seed_request(holdings, f"bench-{run}"))
    await open_accounts(gw.sandbox_url, [("cn-sz-ets", f"{h.account_id}-dest") for h in holdings])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.grpc_port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)

        async def one(i: int) -> None:
            h = holdings[i]
            request = transfer_pb2.SubmitTransferRequest(
                transfer_id=f"bench-{run}-{i}",
                source=transfer_pb2.AccountRef(registry_id="cn-ccer", account_id=h.account_id),
                destination=transfer_pb2.AccountRef(
                    registry_id="cn-sz-ets", account_id=f"{h.account_id}-dest"
                ),
                serial=h.serial,
            )
            await stub.SubmitTransfer(request)
            last = None
            watch = stub.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=request.transfer_id))
            async for watched in watch:
                update = last = watched.transfer
                if update.state == transfer_pb2.TRANSFER_STATE_SETTLED:
                    watch.cancel()  # the stream goes on to ANCHORED; settling is what is measured
                    break
            settled = (transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED)
            assert last is not None and last.state in settled, last

        row = await timed("gateway transfers", n, one, "gateway (settled)")
    return {**row, "first_transfer": f"bench-{run}-0"}


@dataclasses.dataclass
class TransferShape:
    """What one settled transfer's history gave the Temporal server, for `ShapedWorkflow` to repeat."""

    shape: Shape
    input_size: int
    search_attributes: TypedSearchAttributes
    memo: dict[str, object]


async def shape_of(client: Client, transfer_id: str) -> TransferShape:
    """Read a settled transfer's history: its start, each step's input size, where it updated and patched."""
    history = await client.get_workflow_handle(transfer_workflow_id(transfer_id)).fetch_history()
    shape = Shape()
    started = history.events[0].workflow_execution_started_event_attributes
    after_marker = False
    for event in history.events:
        last_step = len(shape.step_sizes) - 1
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            payloads = event.activity_task_scheduled_event_attributes.input.payloads
            shape.step_sizes.append(sum(len(p.data) for p in payloads))
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            shape.patch_after = last_step
        elif event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES and not after_marker:
            shape.update_after.append(last_step)  # the one right after the marker is the patch's own
        after_marker = event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    input_size = sum(len(p.data) for p in started.input.payloads)
    unpadded = len(json.dumps(dataclasses.asdict(shape)))
    shape.padding = "x" * max(0, input_size - unpadded)
    decode = client.data_converter.payload_converter.from_payload
    memo = {key: decode(payload) for key, payload in started.memo.fields.items()}
    attributes = decode_typed_search_attributes(started.search_attributes)
    return TransferShape(shape, input_size, attributes, memo)


async def shaped_run(gw: EmbeddedGateway, n: int, like: TransferShape) -> dict[str, float | str]:
    assert gw.client is not None
    client = gw.client
    queue = f"bench-shaped-{uuid.uuid4().hex[:8]}"
    name = f"transfer-shaped workflow, {len(like.shape.step_sizes)} echoes"
    async with Worker(client, task_queue=queue, workflows=[ShapedWorkflow], activities=[echo_step]):

        async def one(i: int) -> None:
            await client.execute_workflow(
                ShapedWorkflow.run,
                like.shape,
                id=f"{queue}-{i}",
                task_queue=queue,
                search_attributes=like.search_attributes,
                memo=like.memo,
            )

        row = await timed(name, n, one, "transfer-shaped temporal")
    return {**row, "input_bytes": like.input_size, "step_input_bytes": sum(like.shape.step_sizes)}


async def baseline_run(gw: EmbeddedGateway, n: int) -> dict[str, float | str]:
    assert gw.client is not None
    queue = f"bench-bare-{uuid.uuid4().hex[:8]}"
    client = gw.client
    async with Worker(client, task_queue=queue, workflows=[BareWorkflow], activities=[no_op]):

        async def one(i: int) -> None:
            await client.execute_workflow(BareWorkflow.run, SAGA_STEPS, id=f"{queue}-{i}", task_queue=queue)

        return await timed(f"bare workflow, {SAGA_STEPS} no-op activities", n, one, "bare temporal")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=200, help="transfers (and bare workflows) to run")
    parser.add_argument("--quick", action="store_true", help="20 transfers: checks the benchmark still works")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--csv", type=Path, help="also write the two runs' rows here")
    parser.add_argument(
        "--in-memory-temporal", action="store_true", help="run Temporal without its SQLite file (faster)"
    )
    args = parser.parse_args()
    if args.quick:
        args.n = 20
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            data_dir=Path(data),
            grpc_port=0,
            sandbox_port=0,
            temporal_port=0,
            temporal_ui_port=0,
            chain_rpc_port=0,
            public_port=None,
            temporal_persist=not args.in_memory_temporal,
            plaintext=True,  # measures the saga, not TLS handshakes
        )
        gw = await EmbeddedGateway(settings).start()
        try:
            ours = await gateway_run(gw, args.n)
            assert gw.client is not None
            like = await shape_of(gw.client, str(ours["first_transfer"]))
            bare = await baseline_run(gw, args.n)
            shaped = await shaped_run(gw, args.n, like)
        finally:
            await gw.stop()
    ratio = {
        "throughput_ratio": float(ours["per_second"]) / float(bare["per_second"]),
        "p50_ratio": float(ours["p50_ms"]) / float(bare["p50_ms"]),
        "p99_ratio": float(ours["p99_ms"]) / float(bare["p99_ms"]),
        "cpu_ratio": float(ours["cpu_ms_total"]) / float(bare["cpu_ms_total"]),
        "shaped_throughput_ratio": float(shaped["per_second"]) / float(bare["per_second"]),
        "shaped_cpu_ratio": float(shaped["cpu_ms_total"]) / float(bare["cpu_ms_total"]),
    }
    print(f"{'run':<40} {'n':>5} {'per s':>8} {'p50 ms':>9} {'p99 ms':>9}")
    for row in (ours, bare, shaped):
        print(
            f"{row['run']:<40} {row['count']:>5} {float(row['per_second']):>8.1f} "
            f"{float(row['p50_ms']):>9.0f} {float(row['p99_ms']):>9.0f}"
        )
    for row in (ours, bare, shaped):
        shares = ", ".join(
            f"{k[len('cpu_ms ') :]} {float(v):.0f}" for k, v in row.items() if k.startswith("cpu_ms ")
        )
        print(f"CPU ms per transfer, {row['run']}: {float(row['cpu_ms_total']):.0f} ({shares})")
    print(
        f"gateway / bare: throughput {ratio['throughput_ratio']:.2f}x, "
        f"p50 {ratio['p50_ratio']:.2f}x, p99 {ratio['p99_ratio']:.2f}x, CPU {ratio['cpu_ratio']:.2f}x"
    )
    print(
        f"transfer-shaped / bare (the cost of a transfer's history alone): throughput "
        f"{ratio['shaped_throughput_ratio']:.2f}x, CPU {ratio['shaped_cpu_ratio']:.2f}x "
        f"(input {shaped['input_bytes']} bytes, steps' inputs {shaped['step_input_bytes']} bytes)"
    )
    write_json(args.json, {"gateway": ours, "bare": bare, "shaped": shaped, "ratios": ratio})
    write_csv(args.csv, [ours, bare, shaped])


if __name__ == "__main__":
    asyncio.run(main())
