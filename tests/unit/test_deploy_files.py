"""deploy/compose.yaml and docs/deploy.md name only settings and commands the gateway has."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.cli import main
from gateway.settings import ENV_PREFIX, OTHER_ENV_VARS, Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
KNOWN = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | OTHER_ENV_VARS


def test_every_variable_the_compose_file_sets_is_a_setting():
    named = set(re.findall(r"\b(CARBON_GATEWAY_[A-Z0-9_]+)\b", COMPOSE.read_text()))
    assert named, "the compose file configures the gateway through CARBON_GATEWAY_* variables"
    assert not named - KNOWN, f"not settings: {sorted(named - KNOWN)}"


def test_the_compose_file_runs_the_worker_and_serve_commands():
    commands = set(re.findall(r'command: \["(\w[\w-]*)"\]', COMPOSE.read_text()))
    assert commands == {"worker", "serve"}
    assert commands <= set(main.commands)


def test_every_command_the_deploy_doc_runs_exists():
    used = set(re.findall(r"carbon-gateway ([a-z][a-z-]+)", DEPLOY_DOC.read_text()))
    assert {"worker", "serve", "services", "deploy-contract"} <= used
    assert not used - set(main.commands), f"no such commands: {sorted(used - set(main.commands))}"
