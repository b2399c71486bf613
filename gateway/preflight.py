"""Checks a gateway process runs before starting anything: every port it will bind is free.

Without them a taken port shows up half-way through start-up, or not at all: the
embedded Temporal dev server reports the conflict and the SDK then connects to
whoever holds the port, so a second gateway would join the first one's Temporal.
"""

from __future__ import annotations

import errno
import socket
from collections import defaultdict
from dataclasses import dataclass

from gateway.process_kind import ProcessKind
from gateway.settings import Settings

# The embedded parts listen on loopback only (gateway/runtime.py); gRPC on the configured host.
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class PortNeed:
    """One port `up` binds, who binds it, and the setting that chooses it."""

    host: str
    port: int
    user: str
    setting: str


class PortUnavailable(Exception):
    """A port `up` needs is taken or cannot be bound; the message is one line naming it and its user."""


def ports_needed(settings: Settings, kind: ProcessKind | None = ProcessKind.ALL) -> list[PortNeed]:
    """The fixed ports a process will bind with these settings (0 means any free port).

    `kind` None is `carbon-gateway services`, which binds the stand-ins' ports and no gRPC;
    a worker binds none of these; parts pointed at external services bind nothing.
    """
    s = settings
    needs = []
    if kind is not None and kind.serves:
        needs.append(PortNeed(s.grpc_host, s.grpc_port, "the gateway's gRPC server", "grpc_port"))
        if s.public_port is not None:
            needs.append(PortNeed(s.public_host, s.public_port, "the public window", "public_port"))
    if kind is ProcessKind.ALL or kind is None:
        needs += _stand_in_ports(s)
    if s.metrics_port is not None and kind is not None:
        needs.append(PortNeed(s.metrics_host, s.metrics_port, "the metrics endpoint", "metrics_port"))
    return [need for need in needs if need.port > 0]


def _stand_in_ports(s: Settings) -> list[PortNeed]:
    needs = []
    if s.temporal_address is None:
        needs.append(PortNeed(LOOPBACK, s.temporal_port, "the embedded Temporal server", "temporal_port"))
        if s.temporal_ui_port > 0:
            needs.append(PortNeed(LOOPBACK, s.temporal_ui_port, "the Temporal Web UI", "temporal_ui_port"))
    if s.sandbox_url is None:
        needs.append(PortNeed(LOOPBACK, s.sandbox_port, "the sandbox registries", "sandbox_port"))
    if s.chain_rpc_url is None:
        needs.append(PortNeed(LOOPBACK, s.chain_rpc_port, "the embedded chain's JSON-RPC", "chain_rpc_port"))
    return needs


def check_ports_free(settings: Settings, kind: ProcessKind | None = ProcessKind.ALL) -> None:
    """Raise PortUnavailable for the first port that two parts share or that something else holds."""
    needs = ports_needed(settings, kind)
    by_port: defaultdict[int, list[PortNeed]] = defaultdict(list)
    for need in needs:
        by_port[need.port].append(need)
    for port, sharing in by_port.items():
        if len(sharing) > 1:
            settings_named = " and ".join(n.setting for n in sharing)
            raise PortUnavailable(f"port {port} is asked for twice ({settings_named}); give each its own")
    for need in needs:
        _check_free(need)


def _check_free(need: PortNeed) -> None:
    host = need.host.strip("[]")  # gRPC's "[::]" form
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, need.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise PortUnavailable(f"{need.user} cannot listen on {need.host}: unknown host") from None
    with socket.socket(family, kind, proto) as probe:
        # As the servers themselves do: a port left in TIME_WAIT by a gateway just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
            raise PortUnavailable(
                f"port {need.port} on {need.host} {reason}; {need.user} needs it "
                f"(stop what holds it, or choose another with the setting {need.setting})"
            ) from None
