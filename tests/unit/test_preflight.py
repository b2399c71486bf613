"""A gateway process's preflight finds a taken port with real sockets, and names the part that needs it."""

import socket
from collections.abc import Iterator

import pytest

from gateway.preflight import PortUnavailable, check_ports_free, ports_needed
from gateway.process_kind import ProcessKind
from gateway.settings import Settings

ALL_FREE = {
    "grpc_port": 0,
    "temporal_port": 0,
    "temporal_ui_port": 0,
    "sandbox_port": 0,
    "chain_rpc_port": 0,
    "metrics_port": 0,
    "public_port": 0,
}


@pytest.fixture(autouse=True)
def no_settings_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process listens on, bound as gRPC binds (SO_REUSEPORT), which must not fool the check."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("setting", "user"),
    [
        ("grpc_port", "the gateway's gRPC server"),
        ("temporal_port", "the embedded Temporal server"),
        ("temporal_ui_port", "the Temporal Web UI"),
        ("sandbox_port", "the sandbox registries"),
        ("chain_rpc_port", "the embedded chain's JSON-RPC"),
        ("metrics_port", "the metrics endpoint"),
        ("public_port", "the public window"),
    ],
)
def test_a_taken_port_is_refused_naming_it_and_its_user(held_port, setting, user):
    settings = Settings(**(ALL_FREE | {setting: held_port}))
    with pytest.raises(PortUnavailable) as caught:
        check_ports_free(settings)
    message = str(caught.value)
    assert message.startswith(f"port {held_port} on 127.0.0.1 is in use; {user} needs it")
    assert setting in message and "\n" not in message


def test_free_ports_pass(held_port):
    with socket.socket() as finder:
        finder.bind(("127.0.0.1", 0))
        free = finder.getsockname()[1]
    check_ports_free(Settings(**(ALL_FREE | {"grpc_port": free})))


def test_parts_run_elsewhere_bind_nothing(held_port):
    settings = Settings(
        temporal_address="temporal.example.org:7233",
        temporal_port=held_port,
        temporal_ui_port=held_port,
        sandbox_url="http://sandbox.example.org",
        sandbox_port=held_port,
        chain_rpc_url="http://node.example.org",
        anchor_contract="0x500BAa1fbAdd3aD647d5aa888d28fab8F2Da89A6",
        chain_rpc_port=held_port,
        grpc_port=0,
        metrics_port=None,
        public_port=0,
    )
    assert ports_needed(settings) == []
    check_ports_free(settings)


def test_a_disabled_ui_needs_no_port():
    needed = {n.setting for n in ports_needed(Settings(temporal_ui_port=0))}
    assert needed == {
        "grpc_port",
        "public_port",
        "temporal_port",
        "sandbox_port",
        "chain_rpc_port",
        "metrics_port",
    }


@pytest.mark.parametrize(
    ("kind", "binds"),
    [
        (ProcessKind.WORKER, {"metrics_port"}),
        (ProcessKind.SERVE, {"grpc_port", "public_port", "metrics_port"}),
        (None, {"temporal_port", "temporal_ui_port", "sandbox_port", "chain_rpc_port"}),
    ],
    ids=["worker", "serve", "services"],
)
def test_each_kind_of_process_binds_only_its_own_ports(kind, binds):
    """Workers, servers and the shared services run side by side on one machine without clashing."""
    assert {n.setting for n in ports_needed(Settings(), kind)} == binds


def test_two_parts_asking_for_one_port_are_refused():
    settings = Settings(**(ALL_FREE | {"sandbox_port": 47001, "chain_rpc_port": 47001}))
    with pytest.raises(PortUnavailable, match=r"^port 47001 is asked for twice"):
        check_ports_free(settings)


def test_an_unknown_host_is_refused_in_one_line():
    with pytest.raises(
        PortUnavailable, match=r"^the gateway's gRPC server cannot listen on no-such-host\.invalid"
    ):
        check_ports_free(Settings(**(ALL_FREE | {"grpc_host": "no-such-host.invalid", "grpc_port": 50051})))
