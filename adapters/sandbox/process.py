"""The sandbox registries in a process of their own, as the remote systems they stand in for.

In the gateway's process they would share its event loop (and its core) with the
worker and the gRPC server, so their work would show as the gateway's. The
child is `python -m adapters.sandbox`; it prints its address once it serves, and
ends with its parent (on Linux it is told to, should the parent die first).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from pathlib import Path

_SERVING = re.compile(rb"sandbox registries serving at (\S+)")
_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 5.0


def _die_with_parent() -> None:
    """In the child, before it runs: the kernel sends it SIGTERM when the gateway's process ends."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class SandboxProcess:
    """A running sandbox child: its `url` until `stop()`."""

    def __init__(self, process: asyncio.subprocess.Process, url: str) -> None:
        self._process = process
        self.url = url

    @classmethod
    async def start(cls, state_path: Path, host: str = "127.0.0.1", port: int = 0) -> SandboxProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "adapters.sandbox",
            "--state",
            str(state_path),
            "--host",
            host,
            "--port",
            str(port),
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        try:
            url = await asyncio.wait_for(cls._address(process), _START_TIMEOUT_S)
        except BaseException:
            await cls(process, "").stop()
            raise
        return cls(process, url)

    @staticmethod
    async def _address(process: asyncio.subprocess.Process) -> str:
        assert process.stdout is not None
        async for line in process.stdout:
            found = _SERVING.search(line)
            if found:
                return found.group(1).decode()
        raise RuntimeError(f"the sandbox registries exited before serving (status {await process.wait()})")

    async def stop(self) -> None:
        if self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), _STOP_TIMEOUT_S)
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
