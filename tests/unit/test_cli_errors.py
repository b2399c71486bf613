"""Every user error is one line on stderr and exit 2, never a traceback; `--version` names the package."""

import os
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import main
from gateway.settings import ENV_PREFIX

CLI = Path(sys.executable).with_name("carbon-gateway")


@pytest.fixture(autouse=True)
def clean_folder(monkeypatch, tmp_path):
    """A folder with no data folder and no settings file, and none of the machine's CARBON_GATEWAY_*."""
    for name in list(os.environ):
        if name.upper().startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def one_line_refusal(result: Result, starts: str) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # anything else is a traceback
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(starts), lines[0]
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr
    return lines[0]


def test_version_comes_from_the_installed_package():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"carbon-gateway, version {version('carbon-gateway')}\n"


@pytest.mark.parametrize(
    "command",
    [
        ["registries"],
        ["holdings", "verra"],
        ["status", "tr-1"],
        ["receipt", "tr-1"],
        ["transfer", "--from", "verra:a", "--to", "hk-core-climate:b", "--serial", "x"],
    ],
)
def test_an_unreachable_gateway_is_one_line(command, closed_port, tmp_path):
    from gateway.keys import init_keys

    init_keys(tmp_path / "keys")
    env = {ENV_PREFIX + "KEYS_DIR": str(tmp_path / "keys")}
    line = one_line_refusal(
        run(*command, "--target", f"127.0.0.1:{closed_port}", env=env), "error UNAVAILABLE: "
    )
    assert f"no gateway answers at 127.0.0.1:{closed_port}" in line


@pytest.mark.parametrize(
    ("command", "role"),
    [
        (["status", "tr-1"], "exchange"),
        (["resolve", "tr-1", "retry", "--reason", "r", "--operator", "o"], "admin"),
    ],
)
def test_a_command_with_no_identity_allowed_to_call_says_which_role_to_issue(command, role, closed_port):
    line = one_line_refusal(run(*command, "--target", f"127.0.0.1:{closed_port}"), "error: no identity in ")
    assert role in line and "carbon-gateway keys issue --role ROLE" in line


def test_audit_outside_a_data_folder_is_one_line():
    line = one_line_refusal(run("audit"), "error: no gateway ledger in the data folder .carbon-gateway")
    assert not Path(".carbon-gateway").exists(), "audit must not create an empty ledger"
    assert "--ledger-url" in line


def test_audit_of_a_missing_ledger_file_names_only_the_given_url():
    one_line_refusal(
        run("audit", "--ledger-url", "sqlite:///gone.sqlite3"),
        "error: no gateway ledger at sqlite:///gone.sqlite3",
    )


def test_audit_of_an_unreachable_database_hides_its_password(closed_port):
    url = f"postgresql+psycopg://auditor:s3cret@127.0.0.1:{closed_port}/ledger"
    line = one_line_refusal(run("audit", "--ledger-url", url), "error: cannot open the gateway ledger at ")
    assert "s3cret" not in line and "auditor:***@" in line


@pytest.mark.parametrize(
    "command",
    [
        ["transfer", "--from", "verra", "--to", "hk-core-climate:b", "--serial", "x"],
        ["transfer", "--from", "verra:a", "--to", "hk-core-climate:b", "--serial", "x", "--purpose", "ndcs"],
        ["verify", "no-such-receipt.json", "--rpc", "http://127.0.0.1:8545"],
        ["audit", "--rpc", "http://127.0.0.1:8545"],
        ["holdings"],
        ["no-such-command"],
    ],
)
def test_bad_arguments_are_usage_errors_not_tracebacks(command):
    result = run(*command)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("Error: ")


def test_an_unknown_setting_in_the_file_stops_a_command_naming_it(tmp_path):
    (tmp_path / "carbon-gateway.toml").write_text("grpc_prot = 50052\n")
    line = one_line_refusal(run("registries"), "error: unknown setting 'grpc_prot' in carbon-gateway.toml")
    assert "grpc_port" in line


def test_an_unknown_environment_variable_stops_a_command_naming_it():
    result = run("status", "tr-1", env={"CARBON_GATEWAY_GRPC_PROT": "50052"})
    one_line_refusal(result, "error: unknown environment variable CARBON_GATEWAY_GRPC_PROT")


# `up` runs as the installed command does: a real process, its real stderr.


def up(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    quiet = {"grpc_port": "0", "temporal_port": "0", "temporal_ui_port": "0", "sandbox_port": "0"}
    quiet |= {"chain_rpc_port": "0", "temporal_persist": "false", "data_dir": str(tmp_path / "data")}
    env |= {ENV_PREFIX + k.upper(): v for k, v in (quiet | settings).items()}
    # A preflight that failed to refuse would start a gateway; the timeout ends the test then.
    return subprocess.run([CLI, "up"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_up_with_its_temporal_port_taken_refuses_in_one_line(tmp_path):
    with socket.socket() as first_gateway:
        first_gateway.bind(("127.0.0.1", 0))
        first_gateway.listen()
        port = first_gateway.getsockname()[1]
        done = up(tmp_path, temporal_port=str(port))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: cannot start: port {port} on 127.0.0.1 is in use; the embedded Temporal server needs it "
        "(stop what holds it, or choose another with the setting temporal_port)"
    ]
    assert not (tmp_path / "data").exists(), "nothing may start before the preflight"


def test_up_with_an_unknown_environment_variable_refuses_in_one_line(tmp_path):
    done = up(tmp_path, sandbox_prot="8650")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: unknown environment variable CARBON_GATEWAY_SANDBOX_PROT (did you mean CARBON_GATEWAY_SANDBOX_PORT?)"
    ]


def test_up_with_bad_settings_refuses_in_one_line(tmp_path):
    done = up(tmp_path, chain_rpc_url="http://127.0.0.1:8545")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: bad settings: chain_rpc_url needs anchor_contract (the deployed anchor contract's address)"
    ]
