"""The committed ABI and bytecode are what Anchor.vy compiles to today."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_contract.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_contract", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_artifact_is_fresh():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr + "\nrun: python scripts/build_contract.py"


def test_check_fails_on_a_stale_artifact(tmp_path, monkeypatch):
    build = _script()
    stale = json.loads(build.ARTIFACT.read_text())
    stale["bytecode"] = stale["bytecode"][:-2] + "00"
    artifact = tmp_path / "anchor.json"
    artifact.write_text(json.dumps(stale))
    monkeypatch.setattr(build, "ARTIFACT", artifact)
    monkeypatch.setattr(build, "ROOT", tmp_path)
    assert build.main(["--check"]) == 1
    assert build.main([]) == 0
    assert build.main(["--check"]) == 0


def test_artifact_targets_shanghai():
    artifact = json.loads((ROOT / "ledger_anchor" / "contract" / "anchor.json").read_text())
    assert artifact["evm_version"] == "shanghai"
    assert artifact["compiler"] == "vyper 0.4.3"
    assert {entry.get("name") for entry in artifact["abi"]} >= {
        "anchor",
        "Anchored",
        "root_at",
        "latest_size",
    }
