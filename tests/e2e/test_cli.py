"""The installed `carbon-gateway` command against the running gateway, as a user pipes and reads it.

Each command runs as its own process (the gateway shares this test's event loop, so an
in-process CLI would block it): piped it prints whole values on tab-separated lines, on an
80-column terminal it folds them, and with --json every line parses.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.runtime import EmbeddedGateway
from gateway.settings import ENV_PREFIX
from protos.carbon.gateway.v1 import transfer_pb2
from tests.e2e.client import SETTLED
from tests.e2e.sandbox_admin import SandboxAdmin
from tests.e2e.serials import CcerSerial

pytestmark = pytest.mark.e2e
CLI = Path(sys.executable).with_name("carbon-gateway")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ranges = itertools.count(1)


@dataclass
class Shown:
    code: int
    out: str
    err: str

    def json_lines(self) -> list:
        return [json.loads(line) for line in self.out.splitlines()]


async def run(gateway: EmbeddedGateway, *args: str, terminal: bool = False, cwd: Path | None = None) -> Shown:
    """One CLI command aimed at the test gateway; `terminal` makes it believe stdout is 80 columns wide."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "COLUMNS"):
        env.pop(name, None)
    if terminal:
        env |= {"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"}
    env[ENV_PREFIX + "GRPC_PORT"] = str(gateway.grpc_port)
    env[ENV_PREFIX + "PLAINTEXT"] = "true"  # the test gateway runs in development mode
    process = await asyncio.create_subprocess_exec(
        CLI, *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert "Traceback" not in err.decode(), err.decode()
    return Shown(process.returncode or 0, ANSI.sub("", out.decode()), err.decode())


def column(text: str, index: int) -> str:
    """One column of a boxed table's body, its folded pieces joined again."""
    cells = [line.split("│")[index] for line in text.splitlines() if "│" in line]
    return "".join(cell.strip() for cell in cells)


def verra_serial() -> str:
    """A long VCS serial of a range no other test uses (VCS numbering is registry-wide)."""
    first = 900_000_000 + next(_ranges) * 100_000
    return f"9660-{first}-{first + 20_744}-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"


async def test_registries_piped_on_a_terminal_and_as_json(gateway):
    listed = (await run(gateway, "registries", "--json")).json_lines()
    assert len(listed) == 1
    ids = [r["registry_id"] for r in listed[0]["registries"]]
    assert {"verra", "cn-ccer", "hk-core-climate"} <= set(ids)
    assert all(isinstance(r["evidence_based"], bool) for r in listed[0]["registries"])

    piped = await run(gateway, "registries")
    assert piped.code == 0
    lines = piped.out.splitlines()
    assert lines[0] == "registry\tname\tjurisdiction\tprogramme\tevidence-based"
    assert [line.split("\t")[0] for line in lines[1:]] == ids

    shown = await run(gateway, "registries", terminal=True)
    assert "…" not in shown.out
    assert max(map(len, shown.out.splitlines())) <= 80
    assert column(shown.out, 1) == "".join(ids)


async def test_a_long_verra_serial_stays_whole_in_holdings(gateway, sandbox: SandboxAdmin, account):
    serial = verra_serial()
    await sandbox.seed("verra", account, serial)

    piped = await run(gateway, "holdings", "verra", account)
    assert piped.out.splitlines()[1].split("\t")[:3] == [account, serial, "20745"]

    shown = await run(gateway, "holdings", "verra", account, terminal=True)
    assert "…" not in shown.out
    assert max(map(len, shown.out.splitlines())) <= 80
    assert column(shown.out, 2) == serial

    (listed,) = (await run(gateway, "holdings", "verra", account, "--json")).json_lines()
    assert [(h["serial"], h["quantity"]) for h in listed["holdings"]] == [(serial, "20745")]


async def test_a_transfer_followed_as_json_to_a_verified_receipt(
    gateway, transfers, sandbox: SandboxAdmin, account, ccer_serial: CcerSerial, tmp_path
):
    serial = ccer_serial(1, 100)
    await sandbox.seed("cn-ccer", account, serial)
    await sandbox.open_account("cn-sz-ets", f"{account}-to")
    transfer_id = f"cli-{account}"
    followed = await run(
        gateway, "transfer", "--json", "--id", transfer_id, "--from", f"cn-ccer:{account}",
        "--to", f"cn-sz-ets:{account}-to", "--serial", serial, "--quantity", "40", "--purpose", "voluntary",
    )  # fmt: skip
    assert followed.code == 0, followed.err
    states = followed.json_lines()
    assert {s["transfer_id"] for s in states} == {transfer_id}
    assert states[-1]["state"] in ("TRANSFER_STATE_SETTLED", "TRANSFER_STATE_ANCHORED")
    assert states[-1]["purpose"] == "PURPOSE_VOLUNTARY" and states[-1]["quantity"] == "40"

    piped = await run(gateway, "status", transfer_id)
    assert piped.code == 0
    assert f"units\t40 ({ccer_serial(1, 40)})" in piped.out.splitlines()
    await _reached(transfers, transfer_id, (transfer_pb2.TRANSFER_STATE_ANCHORED,))
    (status,) = (await run(gateway, "status", transfer_id, "--json")).json_lines()
    assert status["state"] == "TRANSFER_STATE_ANCHORED"

    receipt = tmp_path / "receipt.json"
    (printed,) = (await run(gateway, "receipt", transfer_id, "--out", str(receipt), "--json")).json_lines()
    assert json.loads(receipt.read_text()) == printed
    verified = await run(gateway, "verify", str(receipt), "--rpc", gateway.chain_url, "--json")
    assert verified.code == 0, verified.out
    (verdict,) = verified.json_lines()
    assert verdict["ok"] is True and verdict["settlement"]["transfer_id"] == transfer_id

    ledger_url = gateway.settings.resolved_ledger_url()
    audited = await run(gateway, "audit", "--ledger-url", ledger_url, "--json")
    (findings,) = audited.json_lines()
    assert audited.code == (1 if findings else 0)
    assert not [f for f in findings if transfer_id in f["message"]]

    # Someone with database access makes the settled row look unsettled: a finding, not a crash.
    database = ledger_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        (settled_at,) = db.execute(
            "SELECT settled_at FROM transfers WHERE transfer_id = ?", (transfer_id,)
        ).fetchone()
        db.execute("UPDATE transfers SET settled_at = NULL WHERE transfer_id = ?", (transfer_id,))
    try:
        tampered = await run(gateway, "audit", "--ledger-url", ledger_url)
    finally:
        with sqlite3.connect(database) as db:
            db.execute("UPDATE transfers SET settled_at = ? WHERE transfer_id = ?", (settled_at, transfer_id))
    assert tampered.code == 1, tampered.err
    assert (
        f"SETTLED-ROW-CHANGED leaf {printed['leaf_index']} is logged as settled, but "
        f"transfer {transfer_id} has not settled" in tampered.out.splitlines()
    )


async def _reached(transfers, transfer_id: str, states: tuple[int, ...], timeout_s: float = 60) -> None:
    for _ in range(int(timeout_s / 0.2)):
        found = await transfers.GetTransfer(transfer_pb2.GetTransferRequest(transfer_id=transfer_id))
        if found.state in states:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{transfer_id} did not reach {states} within {timeout_s} s")


async def test_a_verra_transfer_says_what_the_holder_must_do_and_by_when(
    gateway, transfers, sandbox: SandboxAdmin, account
):
    serial = verra_serial()
    await sandbox.seed("verra", account, serial)
    await sandbox.open_account("hk-core-climate", f"{account}-hk")
    transfer_id = f"cli-verra-{account}"
    submitted = await run(
        gateway, "transfer", "--no-wait", "--id", transfer_id, "--from", f"verra:{account}",
        "--to", f"hk-core-climate:{account}-hk", "--serial", serial,
    )  # fmt: skip
    assert submitted.code == 0, submitted.err
    waiting = await _until_evidence_awaited(gateway, transfer_id)
    assert waiting["holder must"] and transfer_id in waiting["holder must"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", waiting["deadline"])

    await sandbox.holder_acts("verra", "immobilise", account, serial, f"for gateway transfer {transfer_id}")
    await transfers.SubmitEvidence(transfer_pb2.SubmitEvidenceRequest(transfer_id=transfer_id))
    await _reached(transfers, transfer_id, SETTLED)
    settled = await run(gateway, "status", transfer_id)
    assert "holder must" not in settled.out


async def _until_evidence_awaited(gateway, transfer_id: str, timeout_s: float = 30) -> dict[str, str]:
    """`status`, piped, as field → value, once it names the holder's action."""
    fields: dict[str, str] = {}
    for _ in range(int(timeout_s)):
        shown = await run(gateway, "status", transfer_id)
        fields = dict(line.split("\t", 1) for line in shown.out.splitlines())
        if "holder must" in fields:
            return fields
        await asyncio.sleep(0.5)
    raise AssertionError(f"status never named the holder's action: {fields}")


async def test_refusals_go_to_stderr_with_exit_2(gateway, tmp_path):
    missing = await run(gateway, "status", "no-such-transfer")
    assert (missing.code, missing.out) == (2, "")
    assert re.fullmatch(r"error NOT_FOUND: .*no-such-transfer.*\n", missing.err)

    malformed = await run(
        gateway, "transfer", "--from", "cn-ccer:a", "--to", "cn-sz-ets:b", "--serial", "CCER-nonsense",
    )  # fmt: skip
    assert (malformed.code, malformed.out) == (2, "")
    assert malformed.err.startswith("error INVALID_ARGUMENT: ") and malformed.err.count("\n") == 1

    outside = await run(gateway, "audit", cwd=tmp_path)
    assert (outside.code, outside.out) == (2, "")
    assert outside.err.startswith("error: no gateway ledger in the data folder")


async def test_up_prints_its_addresses_as_json_and_stops_on_ctrl_c(tmp_path):
    """`up --demo` serves mTLS with demo certificates it issues, and the CLI finds them by itself."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    free = ("grpc_port", "temporal_port", "temporal_ui_port", "sandbox_port", "chain_rpc_port")
    env |= {ENV_PREFIX + name.upper(): "0" for name in free}
    env |= {ENV_PREFIX + "TEMPORAL_PERSIST": "false", ENV_PREFIX + "DATA_DIR": str(tmp_path / "data")}
    process = await asyncio.create_subprocess_exec(
        CLI,
        "up",
        "--demo",
        "--json",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
        addresses = json.loads(line)
        assert {"gRPC", "Temporal", "Sandbox registries", "Chain JSON-RPC", "Anchor contract"} <= set(
            addresses
        )
        assert not addresses["gRPC"].endswith(":0")
        assert addresses["gRPC security"].startswith("mTLS")
        port = addresses["gRPC"].rsplit(":", 1)[1]
        listed = await asyncio.create_subprocess_exec(
            CLI,
            "holdings",
            "cn-ccer",
            "demo-ccer-owner",
            "--json",
            env=env | {ENV_PREFIX + "GRPC_PORT": port},
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        shown, complaint = await asyncio.wait_for(listed.communicate(), timeout=60)
        assert listed.returncode == 0, complaint.decode()
        assert "CCER-CN-100231" in shown.decode()
        # The demo exchange holds the demo accounts, so the README's transfer goes through.
        moved = await asyncio.create_subprocess_exec(
            CLI,
            *("transfer", "--from", "cn-ccer:demo-ccer-owner", "--to", "cn-sz-ets:demo-sz-emitter"),
            *("--serial", "CCER-CN-100231-2024-3-1-50000", "--quantity", "1", "--purpose", "voluntary"),
            "--no-wait",
            env=env | {ENV_PREFIX + "GRPC_PORT": port},
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, complaint = await asyncio.wait_for(moved.communicate(), timeout=60)
        assert moved.returncode == 0, complaint.decode()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    assert out == b"", "with --json, stdout carries only the addresses"
    assert err.decode().splitlines()[-1] == "stopped"


async def test_up_without_certificates_or_plaintext_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    free = ("grpc_port", "temporal_port", "temporal_ui_port", "sandbox_port", "chain_rpc_port")
    env |= {ENV_PREFIX + name.upper(): "0" for name in free}
    env |= {ENV_PREFIX + "TEMPORAL_PERSIST": "false", ENV_PREFIX + "DATA_DIR": str(tmp_path / "data")}
    process = await asyncio.create_subprocess_exec(
        CLI, "up", env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 2, err.decode()
    assert "Traceback" not in err.decode()
    assert "cannot start: no ca.crt" in err.decode() and "carbon-gateway keys init" in err.decode()
