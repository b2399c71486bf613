"""The shipped example settings file loads, sits at the defaults, and names every setting."""

import os
import re
import tomllib
from pathlib import Path

import pytest

from gateway.settings import CONFIG_ENV, ENV_PREFIX, OTHER_ENV_VARS, Settings, SettingsError
from ledger_anchor.chain import KEY_ENV_VAR

EXAMPLE = Path(__file__).resolve().parents[2] / "carbon-gateway.example.toml"
COMMENTED_SETTING = re.compile(r"^# ?([a-z_]+ = .*)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No stray CARBON_GATEWAY_* of the machine, and no carbon-gateway.toml in the working folder."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_the_example_loads_to_the_defaults(monkeypatch):
    monkeypatch.setenv(CONFIG_ENV, str(EXAMPLE))
    assert Settings() == Settings.model_construct()


def test_the_example_names_every_setting_once():
    text = EXAMPLE.read_text()
    active = list(tomllib.loads(text))
    commented = list(tomllib.loads("\n".join(COMMENTED_SETTING.findall(text))))
    assert sorted(active + commented) == sorted(Settings.model_fields)


def test_the_commented_examples_are_valid_settings(monkeypatch, tmp_path):
    uncommented = tmp_path / "all.toml"
    uncommented.write_text(COMMENTED_SETTING.sub(r"\1", EXAMPLE.read_text()))
    monkeypatch.setenv(CONFIG_ENV, str(uncommented))
    loaded = Settings()
    assert loaded.chain_rpc_url and loaded.anchor_contract and loaded.ledger_url


def test_an_unknown_key_in_the_file_stops_start_up_naming_it(tmp_path):
    (tmp_path / "carbon-gateway.toml").write_text("grpc_prot = 50052\n")
    with pytest.raises(SettingsError, match=r"^unknown setting 'grpc_prot' in carbon-gateway.toml") as caught:
        Settings()
    assert "grpc_port" in str(caught.value)  # the suggestion


def test_an_unknown_environment_variable_stops_start_up_naming_it(monkeypatch):
    monkeypatch.setenv("CARBON_GATEWAY_LEDGER_ULR", "sqlite:///x.sqlite3")
    with pytest.raises(SettingsError, match=r"^unknown environment variable CARBON_GATEWAY_LEDGER_ULR"):
        Settings()


def test_the_variables_read_outside_the_model_are_not_refused(monkeypatch, tmp_path):
    (tmp_path / "mine.toml").write_text("grpc_port = 50999\n")
    monkeypatch.setenv(CONFIG_ENV, str(tmp_path / "mine.toml"))
    monkeypatch.setenv(KEY_ENV_VAR, "0x" + "11" * 32)
    monkeypatch.setenv("CARBON_GATEWAY_GRPC_HOST", "0.0.0.0")
    assert KEY_ENV_VAR in OTHER_ENV_VARS
    loaded = Settings()
    assert (loaded.grpc_host, loaded.grpc_port) == ("0.0.0.0", 50999)


def test_the_environment_wins_over_the_file(monkeypatch, tmp_path):
    (tmp_path / "carbon-gateway.toml").write_text("grpc_port = 50999\n")
    monkeypatch.setenv("CARBON_GATEWAY_GRPC_PORT", "50998")
    assert Settings().grpc_port == 50998


@pytest.mark.parametrize(
    ("file_text", "environment", "message"),
    [
        ("grpc_port = \n", {}, r"^carbon-gateway.toml is not valid TOML: "),
        ("grpc_port = 'many'\n", {}, r"^bad settings: grpc_port: Input should be a valid integer"),
        ('chain_rpc_url = "http://node:8545"\n', {}, r"^bad settings: chain_rpc_url needs anchor_contract"),
        ("", {"CARBON_GATEWAY_EVIDENCE_DEADLINES_S": "{verra"}, r"EVIDENCE_DEADLINES_S is not valid JSON$"),
        (
            "",
            {CONFIG_ENV: "missing.toml"},
            r"^CARBON_GATEWAY_CONFIG names missing.toml, which is not a file$",
        ),
    ],
)
def test_bad_settings_are_one_line(monkeypatch, tmp_path, file_text, environment, message):
    (tmp_path / "carbon-gateway.toml").write_text(file_text)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message) as caught:
        Settings()
    assert "\n" not in str(caught.value)
    assert "Error" not in str(caught.value)  # no exception class names
