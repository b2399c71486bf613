"""docs/api.md is what scripts/proto_docs.py makes of protos/, and it shows what the .proto files say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """syntax = "proto3";

package shop.v1;

import "google/api/field_behavior.proto";

// Sells things.
service ShopService {
  // Follows one item until it is sold.
  //
  // buf:lint:ignore RPC_RESPONSE_STANDARD_NAME a directive for buf, not for readers.
  rpc WatchItem(WatchItemRequest) returns (stream Item);
}

message WatchItemRequest {
  // The item to follow.
  string item_id = 1 [(google.api.field_behavior) = REQUIRED];
  map<string, Item.Condition> conditions = 2;
}

message Item {
  enum Condition {
    CONDITION_UNSPECIFIED = 0;
    // Never used.
    CONDITION_NEW = 1;
  }
  string item_id = 1 [(google.api.field_behavior) = OUTPUT_ONLY];
  optional int64 price = 2;
  repeated string tags = 3;
}
"""


def proto_docs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/proto_docs.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_committed_api_docs_are_fresh():
    result = proto_docs("--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_show_rpcs_fields_behaviours_enums_and_comments(tmp_path):
    protos = tmp_path / "protos"
    (protos / "shop" / "v1").mkdir(parents=True)
    (protos / "shop" / "v1" / "shop.proto").write_text(SAMPLE)
    out = tmp_path / "api.md"
    assert proto_docs("--protos", str(protos), "--out", str(out)).returncode == 0
    text = out.read_text()
    assert "### service `ShopService`\n\nSells things." in text
    assert (
        "| `WatchItem` | [`WatchItemRequest`](#message-watchitemrequest) | stream [`Item`](#message-item) "
        "| Follows one item until it is sold. |"
    ) in text
    assert "| `item_id` | 1 | `string` |  | REQUIRED | The item to follow. |" in text
    assert "| `conditions` | 2 | map<`string`, [`Item.Condition`](#enum-itemcondition)> |  |  |  |" in text
    assert "| `item_id` | 1 | `string` |  | OUTPUT_ONLY |  |" in text
    assert "| `price` | 2 | `int64` | optional |  |  |" in text
    assert "| `tags` | 3 | `string` | repeated |  |  |" in text
    assert "### enum `Item.Condition`" in text
    assert "| `CONDITION_NEW` | 1 | Never used. |" in text
    assert "ConditionsEntry" not in text  # map entries are not messages of the contract
    assert "buf:lint" not in text


def test_check_fails_on_stale_docs(tmp_path):
    protos = tmp_path / "protos"
    (protos / "shop" / "v1").mkdir(parents=True)
    (protos / "shop" / "v1" / "shop.proto").write_text(SAMPLE)
    out = tmp_path / "api.md"
    assert proto_docs("--protos", str(protos), "--out", str(out)).returncode == 0
    assert proto_docs("--protos", str(protos), "--out", str(out), "--check").returncode == 0
    (protos / "shop" / "v1" / "shop.proto").write_text(SAMPLE.replace("// Never used.", "// Unused."))
    stale = proto_docs("--protos", str(protos), "--out", str(out), "--check")
    assert stale.returncode != 0
    assert "is stale: run `make docs`" in stale.stdout
