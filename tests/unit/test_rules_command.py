"""`carbon-gateway rules`, what a regulator runs on the packs: offline, one line per problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from compliance_rules.rulebook import PACKS_FOLDER, RulePackError
from gateway.cli import main
from gateway.runtime import EmbeddedGateway
from gateway.settings import Settings


def test_rules_list_show_and_check_the_shipped_packs():
    runner = CliRunner()
    listed = runner.invoke(main, ["rules", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert {"RULE-SZ-OFFSET-CCER", "RULE-GD-OFFSET-ORIGIN", "RULE-A6-AUTHORISED"} <= {r["rule"] for r in rows}
    shown = runner.invoke(main, ["rules", "show", "RULE-SZ-OFFSET-TOTAL"])
    assert json.loads(shown.output)["source"]["confirmed"] is False
    checked = runner.invoke(main, ["rules", "check", *map(str, sorted(PACKS_FOLDER.glob("*.toml")))])
    assert checked.exit_code == 0 and checked.output.count("valid") == 5


def test_rules_check_names_the_file_the_rule_and_the_field(tmp_path: Path):
    broken = tmp_path / "cn-sz-ets.toml"
    text = (PACKS_FOLDER / "cn-sz-ets.toml").read_text()
    broken.write_text(text.replace("share = 0.1", "share = 1.5", 1))
    checked = CliRunner().invoke(main, ["rules", "check", str(broken)])
    assert checked.exit_code == 1
    assert "cn-sz-ets.toml: rule RULE-SZ" in checked.output and "params.share" in checked.output
    assert "Traceback" not in checked.output


async def test_a_malformed_pack_stops_the_gateway_before_anything_starts(tmp_path: Path):
    packs = tmp_path / "packs"
    packs.mkdir()
    (packs / "cn-sz-ets.toml").write_text(
        (PACKS_FOLDER / "cn-sz-ets.toml").read_text().replace("share = 0.1", "share = 1.5", 1)
    )
    gateway = EmbeddedGateway(Settings(data_dir=tmp_path / "data", rule_packs_dir=packs))
    with pytest.raises(RulePackError, match=r"params\.share"):
        await gateway.start()
    assert gateway.client is None  # nothing was started
