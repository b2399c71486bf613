"""A many-process gateway on one machine, for fault tests and the load and chaos benchmarks.

The shared services are `gateway.services.DevelopmentServices` in this process; every
worker and gRPC server is a real `carbon-gateway worker` / `carbon-gateway serve` child
started from one settings file, exactly as docs/deploy.md runs them, so a test can
kill -9 one and start another.

    async with LocalCluster(tmp_path, workers=1) as cluster:
        cluster.grpc_target          # a serve process's plaintext gRPC address
        await cluster.kill_worker()  # SIGKILL, no goodbye
        await cluster.add_worker()
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from gateway.services import DevelopmentServices
from gateway.settings import ENV_PREFIX, Settings

CLI = Path(sys.executable).parent / "carbon-gateway"
_READY_TIMEOUT_S = 90.0


@dataclass
class Child:
    """One worker or serve process, with the addresses it printed once ready."""

    kind: str
    process: asyncio.subprocess.Process
    addresses: dict[str, str]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    async def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish what it was doing."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            await self.kill()


class LocalCluster:
    """Development services here; `workers` worker and `servers` serve processes as children."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 1,
        servers: int = 1,
        ledger_url: str | None = None,
        **settings: Any,
    ) -> None:
        self.data_dir = data_dir
        self._workers_wanted = workers
        self._servers_wanted = servers
        self._overrides = settings
        base = {
            "data_dir": data_dir / "services",
            "temporal_port": 0,
            "temporal_ui_port": 0,
            "sandbox_port": 0,
            "chain_rpc_port": 0,
            "chain_block_interval_s": 0.2,
            "temporal_persist": False,
        }
        if ledger_url:
            base["ledger_url"] = ledger_url
        self.services = DevelopmentServices(Settings(**base))
        self.settings_file = data_dir / "cluster.toml"
        self.workers: list[Child] = []
        self.servers: list[Child] = []
        self._started = 0

    async def __aenter__(self) -> LocalCluster:
        try:
            await self.services.start()
            self._write_settings()
            await asyncio.gather(
                *(self.add_worker() for _ in range(self._workers_wanted)),
                *(self.add_server() for _ in range(self._servers_wanted)),
            )
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _write_settings(self) -> None:
        cluster = {
            "plaintext": True,
            "grpc_port": 0,
            "metrics_port": 0,  # a free port each: several processes share this machine
            "public_port": 0,
            "watch_poll_s": 0.05,
        }
        self.services.write_settings(self.settings_file, cluster | self._overrides)

    @property
    def grpc_target(self) -> str:
        return self.servers[0].addresses["gRPC"]

    @property
    def sandbox_url(self) -> str:
        return self.services.sandbox_url

    @property
    def ledger_url(self) -> str:
        return self.services.ledger_url

    @property
    def chain_rpc_url(self) -> str:
        return self.services.chain_url

    @property
    def temporal_address(self) -> str:
        return self.services.temporal_address

    async def add_worker(self) -> Child:
        child = await self._start("worker")
        self.workers.append(child)
        return child

    async def add_server(self) -> Child:
        child = await self._start("serve")
        self.servers.append(child)
        return child

    async def kill_worker(self, identity: str = "") -> Child:
        """SIGKILL the worker Temporal knows by `identity` ("PID@host/…"), else the oldest; forget it."""
        pid = identity.partition("@")[0]
        index = next((i for i, w in enumerate(self.workers) if str(w.pid) == pid), 0)
        child = self.workers.pop(index)
        await child.kill()
        return child

    async def kill_server(self, index: int = 0) -> Child:
        """SIGKILL one gRPC server and forget it."""
        child = self.servers.pop(index)
        await child.kill()
        return child

    async def _start(self, kind: str) -> Child:
        self._started += 1
        log = self.data_dir / f"{kind}-{self._started}.log"
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
        env[f"{ENV_PREFIX}CONFIG"] = str(self.settings_file)
        env[f"{ENV_PREFIX}DATA_DIR"] = str(self.data_dir / f"{kind}-{self._started}")
        with log.open("wb") as errors:
            process = await asyncio.create_subprocess_exec(
                str(CLI),
                kind,
                "--json",
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
                env=env,
                cwd=self.data_dir,
            )
        child = Child(kind, process, {}, log)
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), _READY_TIMEOUT_S)
            if not line:
                raise RuntimeError(f"{kind} ended before it was ready: {log.read_text()[-2000:]}")
            child.addresses = json.loads(line)
        except BaseException:
            await child.kill()
            raise
        return child

    async def close(self) -> None:
        await asyncio.gather(*(child.stop() for child in [*self.servers, *self.workers]))
        self.servers.clear()
        self.workers.clear()
        await self.services.stop()
