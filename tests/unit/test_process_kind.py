"""A worker or serve process refuses to start private copies of what every process must share."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.process_kind import ProcessKind, SharedPartMissing, external_parts_missing
from gateway.runtime import EmbeddedGateway
from gateway.settings import ENV_PREFIX, Settings

CLI = Path(sys.executable).parent / "carbon-gateway"
SHARED = {
    "temporal_address": "temporal.internal:7233",
    "ledger_url": "postgresql+psycopg://gateway@ledger.internal/ledger",
    "sandbox_url": "http://registries.internal:8650",
    "chain_rpc_url": "http://chain.internal:8545",
    "anchor_contract": "0x500BAa1fbAdd3aD647d5aa888d28fab8F2Da89A6",
}


@pytest.fixture(autouse=True)
def no_settings_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)


def test_all_in_one_needs_nothing_external():
    assert external_parts_missing(Settings(), ProcessKind.ALL) == []


def test_a_worker_needs_every_shared_service_and_a_server_all_but_the_chain():
    assert external_parts_missing(Settings(), ProcessKind.WORKER) == [
        "temporal_address",
        "ledger_url",
        "sandbox_url",
        "chain_rpc_url",
    ]
    assert external_parts_missing(Settings(), ProcessKind.SERVE) == [
        "temporal_address",
        "ledger_url",
        "sandbox_url",
    ]
    assert external_parts_missing(Settings(**SHARED), ProcessKind.WORKER) == []


def test_the_worker_command_says_in_one_line_what_to_set(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    env[f"{ENV_PREFIX}METRICS_PORT"] = "0"
    ran = subprocess.run(
        [str(CLI), "worker"], capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env
    )
    assert ran.returncode == 2
    error = ran.stderr.strip().splitlines()[-1]
    assert error.startswith("error: cannot start: a worker process shares its services")
    assert "temporal_address" in error and "carbon-gateway services" in error
    assert "Traceback" not in ran.stderr


async def test_a_serve_process_refuses_before_starting_anything(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", plaintext=True, metrics_port=0)
    with pytest.raises(
        SharedPartMissing, match=r"^a serve process shares its services with the others: set temporal_address"
    ):
        await EmbeddedGateway(settings, kind=ProcessKind.SERVE).start()
    assert not (tmp_path / "data").exists(), "nothing may be started or written before the refusal"
