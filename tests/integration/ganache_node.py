"""A real JSON-RPC node for tests: npm's ganache 7.9, started on a free loopback port.

Ganache is installed by the repository's package.json (`npm ci`); a missing
install is a failure, not a skip, so CI cannot pass without the real node. Its
`miner_stop`/`miner_start` and `evm_snapshot`/`evm_revert` controls let a test
leave a transaction pending or take a mined one away, as a real network can.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.types import RPCEndpoint

ROOT = Path(__file__).resolve().parents[2]
GANACHE = ROOT / "node_modules" / ".bin" / "ganache"
# eth-tester funds the accounts of private keys 1 and 2; ganache is started with the same two.
OWNER_KEY = "0x" + "00" * 31 + "01"
OTHER_KEY = "0x" + "00" * 31 + "02"
FUNDS = 10**24


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(url: str) -> bool:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return "result" in json.load(response)
    except OSError:
        return False


@contextmanager
def ganache(*extra_args: str) -> Iterator[str]:
    """A fresh ganache node for the block; its URL.

    `extra_args` go on ganache's command line after the usual ones (`--miner.blockGasLimit=…`),
    so a test that wants another kind of node still starts it, waits for it and stops it here.
    """
    if not GANACHE.exists() or shutil.which("node") is None:
        pytest.fail(
            f"ganache is not installed at {GANACHE.relative_to(ROOT)}: run `npm ci` at the repository root "
            "(package.json pins ganache 7.9) with Node.js 20 on PATH"
        )
    port = free_port()
    command = [
        str(GANACHE),
        "--server.host=127.0.0.1",
        f"--server.port={port}",
        "--chain.hardfork=shanghai",
        "--chain.chainId=1337",
        "--chain.time=2024-01-01T00:00:00Z",
        "--wallet.deterministic",
        f"--wallet.accounts={OWNER_KEY},{FUNDS}",
        f"--wallet.accounts={OTHER_KEY},{FUNDS}",
        "--logging.quiet",
        *extra_args,
    ]
    node = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            if node.poll() is not None:
                assert node.stderr is not None
                pytest.fail(f"ganache exited with {node.returncode}: {node.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("ganache did not answer on loopback within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        node.terminate()
        try:
            node.wait(timeout=10)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    """Call one of the node's own controls (`evm_mine`, `miner_stop`, ...) and return its result."""
    answer = w3.provider.make_request(RPCEndpoint(method), list(params))
    assert "error" not in answer, answer
    return answer["result"]
