"""scripts/buf_check.py against small contracts of its own: lint findings, breaking changes, releases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CLEAN = """syntax = "proto3";

package shop.v1;

import "google/api/field_behavior.proto";

service ShopService {
  rpc GetItem(GetItemRequest) returns (GetItemResponse);
}

message GetItemRequest {
  string item_id = 1 [(google.api.field_behavior) = REQUIRED];
}

message GetItemResponse {
  string item_id = 1;
  int64 quantity = 2;
}
"""


def write_contract(root: Path, text: str, config: str | None = None) -> Path:
    source = root / "shop" / "v1" / "shop.proto"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(text)
    if config is not None:
        (root / "buf.yaml").write_text(config)
    return root


def buf_check(protos: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/buf_check.py", "--protos", str(protos), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_clean_contract_passes_against_its_own_release(tmp_path):
    protos = write_contract(tmp_path, CLEAN)
    released = buf_check(protos, "--release")
    assert released.returncode == 0, released.stdout + released.stderr
    assert (protos / "releases" / "v1.binpb").stat().st_size > 0
    checked = buf_check(protos)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "buf lint: ok" in checked.stdout
    assert "buf breaking against" in checked.stdout


def test_lint_findings_fail_naming_the_rule_and_the_line(tmp_path):
    broken = CLEAN.replace("int64 quantity = 2;", "int64 itemCount = 2;").replace(
        "returns (GetItemResponse)", "returns (GetItemRequest)"
    )
    protos = write_contract(tmp_path, broken)
    checked = buf_check(protos)
    assert checked.returncode != 0
    assert "shop/v1/shop.proto:17:9: FIELD_LOWER_SNAKE_CASE" in checked.stdout, checked.stdout
    assert "RPC_RESPONSE_STANDARD_NAME" in checked.stdout
    assert "field_behavior.proto" not in checked.stdout  # the copied googleapis file is not linted


def test_a_contract_failing_lint_is_not_released(tmp_path):
    protos = write_contract(tmp_path, CLEAN.replace("item_id = 1;", "ItemId = 1;"))
    released = buf_check(protos, "--release")
    assert released.returncode != 0
    assert "FIELD_LOWER_SNAKE_CASE" in released.stdout
    assert not (protos / "releases" / "v1.binpb").exists()


def test_without_a_baseline_the_check_fails_and_says_so(tmp_path):
    protos = write_contract(tmp_path, CLEAN)
    checked = buf_check(protos)
    assert checked.returncode != 0
    assert "buf lint: ok" in checked.stdout
    assert "no release baseline at" in checked.stdout


def test_a_breaking_change_since_the_release_fails_naming_the_rule(tmp_path):
    protos = write_contract(tmp_path, CLEAN)
    assert buf_check(protos, "--release").returncode == 0
    write_contract(protos, CLEAN.replace("int64 quantity = 2;", "string quantity = 2;"))
    checked = buf_check(protos)
    assert checked.returncode != 0
    assert "buf lint: ok" in checked.stdout
    assert "shop/v1/shop.proto:17:3: FIELD_SAME_TYPE" in checked.stdout, checked.stdout


def test_the_contracts_own_buf_yaml_chooses_the_rules(tmp_path):
    # camelCase field names break STANDARD but not MINIMAL.
    relaxed = "version: v2\nlint:\n  use:\n    - MINIMAL\n"
    protos = write_contract(tmp_path, CLEAN.replace("int64 quantity = 2;", "int64 itemCount = 2;"), relaxed)
    checked = buf_check(protos)
    assert "buf lint: ok" in checked.stdout, checked.stdout
