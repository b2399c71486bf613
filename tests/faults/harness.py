"""What the fault cases share: a gateway tuned for quick retries, batches of transfers, and handles on
the outside services a case breaks (a Temporal dev server, a PostgreSQL cluster, a ganache node).

Every service here is started by the case itself, as a child process it can kill and restart;
nothing here touches a process it did not start.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from sqlalchemy.engine import make_url
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from gateway.runtime import EmbeddedGateway
from gateway.settings import Settings
from protos.carbon.gateway.v1 import transfer_pb2, transfer_pb2_grpc
from tests.e2e.client import gateway_settings
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.faults.invariants import (
    FINAL,
    GatewayUnderTest,
    assert_invariants,
    sandbox_totals,
    traced_records,
)
from tests.integration.ganache_node import ganache
from tests.postgres_cluster import server_bin

# CCER projects of their own, far from the ones tests/e2e/serials.py hands out.
_projects = itertools.count(700_001)


def fault_settings(data_dir: Path, **overrides: Any) -> Settings:
    """A gateway with short retries and quick polls, so a fault and its recovery fit in seconds."""
    quick: dict[str, Any] = {
        "anchor_interval_s": 1.0,
        "anchor_confirmations": 2,
        "registry_timeout_s": 1.0,
        "registry_attempts": 2,
        "step_attempts": 8,
        "step_initial_interval_s": 0.1,
        "step_max_interval_s": 0.5,
        "step_timeout_s": 10.0,
        "orphan_sweep_interval_s": 1.0,
        "orphan_grace_s": 1.0,
        "reconciliation_interval_s": 0,
        "metrics_port": None,
    }
    return gateway_settings(data_dir, **(quick | overrides))


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[EmbeddedGateway]:
    gateway = await EmbeddedGateway(settings).start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@dataclass
class Batch:
    """Transfers of fresh CCER blocks from one cn-ccer account to one cn-sz-ets account."""

    gateway: EmbeddedGateway
    name: str
    count: int
    size: int = 100
    source: tuple[str, str] = ("cn-ccer", "")
    destination: tuple[str, str] = ("cn-sz-ets", "")
    requests: list[transfer_pb2.SubmitTransferRequest] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [r.transfer_id for r in self.requests]

    async def seed(self) -> Batch:
        """Seed one block per transfer and open the destination account."""
        project = next(_projects)
        self.source = (self.source[0], f"{self.name}-owner")
        self.destination = (self.destination[0], f"{self.name}-dest")
        admin = SandboxAdmin(self.gateway.sandbox_url)
        try:
            for i in range(self.count):
                serial = f"CCER-CN-{project}-2024-1-{i * self.size + 1}-{(i + 1) * self.size}"
                await admin.seed(*self.source, serial)
                self.requests.append(
                    transfer_pb2.SubmitTransferRequest(
                        transfer_id=f"{self.name}-{i}",
                        source=transfer_pb2.AccountRef(registry_id=self.source[0], account_id=self.source[1]),
                        destination=transfer_pb2.AccountRef(
                            registry_id=self.destination[0], account_id=self.destination[1]
                        ),
                        serial=serial,
                    )
                )
            await admin.open_account(*self.destination)
        finally:
            await admin.aclose()
        return self

    async def submit(self, *, concurrently: bool = True) -> None:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.gateway.grpc_port}") as channel:
            stub = transfer_pb2_grpc.TransferServiceStub(channel)
            if concurrently:
                await asyncio.gather(*(submit_through_faults(stub, r) for r in self.requests))
            else:
                for request in self.requests:
                    await submit_through_faults(stub, request)


async def submit_through_faults(
    stub: transfer_pb2_grpc.TransferServiceStub, request: transfer_pb2.SubmitTransferRequest
) -> None:
    """Submit; a submit refused because a faulty registry could not be read is simply asked again
    (the same id and content is the same transfer)."""
    for _ in range(20):
        try:
            await stub.SubmitTransfer(request, timeout=30)
            return
        except grpc.aio.AioRpcError as error:
            if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.FAILED_PRECONDITION):
                raise
        await asyncio.sleep(0.2)
    raise AssertionError(f"{request.transfer_id} was never accepted")


async def states(gateway: EmbeddedGateway, ids: list[str]) -> dict[str, int]:
    """Each transfer's state now (gRPC GetTransfer)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.grpc_port}") as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        found = {}
        for tid in ids:
            found[tid] = (await stub.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=tid))).state
        return found


async def until(check: Any, timeout_s: float, what: str, every_s: float = 0.1) -> Any:
    """`await check()`'s first truthy answer, looking every `every_s`; fails naming `what` after the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await check()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"not within {timeout_s:g} s: {what}"
        await asyncio.sleep(every_s)


async def baseline(gateway: EmbeddedGateway) -> Counter[str]:
    return await sandbox_totals(gateway.sandbox_url)


def target(gateway: EmbeddedGateway) -> GatewayUnderTest:
    return GatewayUnderTest.of(gateway)


# Between a saga's lock and its settlement: where an outage hurts most.
_MOVING = frozenset(
    {transfer_pb2.TRANSFER_STATE_SOURCE_LOCKED, transfer_pb2.TRANSFER_STATE_DESTINATION_CREDITED}
)


async def outage_mid_saga(
    gateway: EmbeddedGateway,
    batch: Batch,
    outage: Callable[[], Awaitable[None]],
    *,
    after: Batch,
    logs: pytest.LogCaptureFixture,
    during: Sequence[str] = (),
) -> None:
    """Run `outage` while `batch`'s sagas are mid-step; fail unless nothing was lost to it.

    `batch` goes through slow registries, so its sagas are caught between lock and settlement.
    Afterwards every transfer of `batch` and of `during` (the ids `outage` submitted) settles, and
    `after`, submitted once it is over, settles with no traceback logged: the connections came back
    by themselves. Seed every batch first: the unit totals are taken here, before any submit.
    """
    before = await baseline(gateway)
    admin = SandboxAdmin(gateway.sandbox_url)
    for registry_id in ("cn-ccer", "cn-sz-ets"):
        await admin.fail(registry_id, latency_ms=400, operations=["lock", "credit", "finalise"])
    await batch.submit()

    async def moving() -> bool:
        found = await states(gateway, batch.ids)
        return any(s in _MOVING for s in found.values()) and not all(s in FINAL for s in found.values())

    await until(moving, 30, "a transfer between its lock and its settlement")
    await outage()
    await admin.clear_all_faults()
    await admin.aclose()

    ids = batch.ids + list(during)
    report = await assert_invariants(target(gateway), ids, before)
    assert report.settled == sorted(ids), report.state_names()

    mark = len(logs.records)
    await after.submit()
    report = await assert_invariants(target(gateway), after.ids, before, final_within_s=30)
    assert report.settled == sorted(after.ids), report.state_names()
    assert traced_records(logs.records[mark:]) == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# A Temporal dev server persisting to SQLite, in a process of its own that the case kills.


class TemporalDevServer:
    """`temporal server start-dev --db-filename F --port P --headless`, killed and restarted at will."""

    def __init__(self, folder: Path) -> None:
        self.db_file = folder / "temporal.sqlite3"
        self.log_file = folder / "temporal.log"
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        cli = Path(sys.executable).parent / "temporal"
        return [
            str(cli),
            "server",
            "start-dev",
            "--db-filename",
            str(self.db_file),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--headless",
            "--log-level",
            "warn",
        ]

    async def start(self, timeout_s: float = 60) -> None:
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                self._command(), stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self._process.poll() is not None:
                raise AssertionError(f"temporal exited with {self._process.returncode}: {self._tail()}")
            try:
                client = await Client.connect(self.address)
                await client.workflow_service.describe_namespace(
                    DescribeNamespaceRequest(namespace="default")
                )
                return
            except Exception as error:  # not serving yet
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"temporal did not serve within {timeout_s:g} s: {self._tail()}"
                    ) from error
            await asyncio.sleep(0.2)

    def kill(self) -> None:
        """kill -9: no chance to flush or say goodbye."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(timeout=30)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def _tail(self) -> str:
        return self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""


# ---------------------------------------------------------------------------------------------
# Stopping and starting a throwaway PostgreSQL cluster (tests/postgres_cluster.py) in place.


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PostgresControl:
    """Stops and starts the server behind a ledger URL, with the options it was started with."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.port = int(parsed.port or 5432)
        with psycopg.connect(
            host=parsed.host, port=self.port, user=parsed.username, dbname="postgres", autocommit=True
        ) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        self.data = Path(str(row[0]))
        # The postmaster's own command line, written at its start: a restart uses the same options.
        argv = shlex.split((self.data / "postmaster.opts").read_text())
        options = argv[1:]
        while "-D" in options:  # pg_ctl passes the data folder itself
            at = options.index("-D")
            del options[at : at + 2]
        self._options = shlex.join(options)
        self._pg_ctl = str(server_bin() / "pg_ctl")

    def stop(self) -> None:
        """Fast shutdown: every connection is cut, as when the database server goes away."""
        self._run(["-m", "fast", "-w", "-t", "60", "stop"])

    def start(self) -> None:
        log = self.data.parent / "restart.log"
        self._run(["-l", str(log), "-o", self._options, "-w", "-t", "60", "start"])

    def _run(self, args: list[str]) -> None:
        result = subprocess.run(
            _as_postgres([self._pg_ctl, "-D", str(self.data), *args]),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert result.returncode == 0, f"pg_ctl {args[-1]} failed: {result.stdout}{result.stderr}"


# ---------------------------------------------------------------------------------------------
# A ganache node whose blocks hold little, so pending transactions queue for several blocks.


@contextmanager
def small_block_ganache(block_gas_limit: int) -> Iterator[str]:
    """tests/integration/ganache_node.py's node with a small block gas limit; its URL."""
    with ganache(f"--miner.blockGasLimit={block_gas_limit}") as url:
        yield url
