"""Run the sandbox as a process serving every registry in the catalogue.

    python -m adapters.sandbox --state FILE [--host 127.0.0.1] [--port 8480] [--seed-file SEED.json]

The seed file is a `SeedRequest` as JSON (the body of `POST /admin/seed`).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

from adapters.sandbox.server import RunningSandbox, start_sandbox

__all__ = ["RunningSandbox", "start_sandbox"]
from adapters.sandbox.wire import SeedRequest


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m adapters.sandbox", description=__doc__)
    parser.add_argument("--state", type=Path, required=True, help="SQLite state file (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed-file", type=Path, help="holdings to seed, as a SeedRequest JSON file")
    return parser.parse_args()


async def _serve(arguments: argparse.Namespace) -> None:
    # Imported here so the sandbox modules never depend on the whole catalogue.
    from adapters.catalogue import all_profiles

    seed = None
    if arguments.seed_file is not None:
        seed = SeedRequest.model_validate_json(arguments.seed_file.read_bytes())
    sandbox = await start_sandbox(all_profiles(), arguments.state, arguments.host, arguments.port, seed=seed)
    print(f"sandbox registries serving at {sandbox.url} (state {arguments.state})", flush=True)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        await stopping.wait()
    finally:
        await sandbox.stop()


def main() -> None:
    asyncio.run(_serve(_arguments()))


if __name__ == "__main__":
    main()
