"""examples/python_client.py and examples/node_client.js, run as a user runs them, against the test gateway.

Each runs as its own process (the gateway shares this test's event loop), submits a transfer
between fresh accounts and follows it; the gateway itself then confirms where the transfer ended.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.runtime import EmbeddedGateway
from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Ran:
    code: int
    out: str
    err: str

    def rows(self, kind: str) -> list[list[str]]:
        return [line.split("\t")[1:] for line in self.out.splitlines() if line.startswith(f"{kind}\t")]


async def run(*command: str) -> Ran:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=240)
    return Ran(process.returncode or 0, out.decode(), err.decode())


async def transfer_with(client: list[str], gateway: EmbeddedGateway, sandbox, account, ccer_serial) -> Ran:
    serial = ccer_serial(1, 100)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-dest")
    return await run(
        *client,
        f"127.0.0.1:{gateway.grpc_port}",
        f"cn-ccer:{account}",
        f"cn-sz-ets:{account}-dest",
        serial,
        "--quantity",
        "40",
        "--id",
        f"example-{account}",
        "--purpose",
        "voluntary",
    )


def assert_followed_to_anchored(ran: Ran, transfer_id: str) -> None:
    assert ran.code == 0, ran.out + ran.err
    assert {"cn-ccer", "cn-sz-ets", "verra"} <= {row[0] for row in ran.rows("registry")}
    assert ran.rows("submitted") == [[transfer_id]]
    states = [state for tid, state in ran.rows("state") if tid == transfer_id]
    assert states[-1] == "TRANSFER_STATE_ANCHORED", ran.out
    assert "TRANSFER_STATE_SETTLED" in states
    ordered = [transfer_pb2.TransferState.Value(s) for s in states]
    assert ordered == sorted(ordered), f"states went backwards: {states}"


async def test_the_python_example_follows_its_transfer_to_anchored(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    client = [sys.executable, "examples/python_client.py"]
    ran = await transfer_with(client, gateway, sandbox, account, ccer_serial)
    assert_followed_to_anchored(ran, f"example-{account}")
    assert [account, ccer_serial(1, 100), "100", "UNIT_STATUS_HELD"] in [
        row[1:] for row in ran.rows("holding")
    ]
    stored = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=f"example-{account}"))
    assert stored.state == transfer_pb2.TRANSFER_STATE_ANCHORED
    assert stored.quantity == 40
    assert stored.purpose == transfer_pb2.PURPOSE_VOLUNTARY


async def test_the_node_example_follows_its_transfer_to_anchored(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial
):
    node = shutil.which("node")
    assert node, "Node.js is needed (make test installs the Node tools with npm ci)"
    ran = await transfer_with([node, "examples/node_client.js"], gateway, sandbox, account, ccer_serial)
    assert_followed_to_anchored(ran, f"example-{account}")
    stored = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=f"example-{account}"))
    assert stored.state == transfer_pb2.TRANSFER_STATE_ANCHORED
    assert stored.quantity == 40
    assert stored.purpose == transfer_pb2.PURPOSE_VOLUNTARY


async def test_a_refused_transfer_is_an_error_line_and_exit_2(gateway, account):
    node = shutil.which("node")
    assert node
    for client in ([sys.executable, "examples/python_client.py"], [node, "examples/node_client.js"]):
        ran = await run(
            *client,
            f"127.0.0.1:{gateway.grpc_port}",
            f"cn-ccer:{account}",
            "cn-sz-ets:nobody",
            "not-a-serial",
        )
        assert ran.code == 2, ran.out + ran.err
        assert ran.err.startswith("error INVALID_ARGUMENT: "), ran.err
