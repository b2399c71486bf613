"""The commands that run gateway processes: `up` (all in one), `worker`, `serve` and `services`.

Each starts its parts, prints their addresses (or, with --json, one JSON object on
stdout once ready), and runs until SIGINT or SIGTERM, then stops them in reverse.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import click

from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.runtime import ProcessKind

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the addresses as one JSON object once ready."
)
plaintext_option = click.option(
    "--plaintext",
    is_flag=True,
    help="Serve gRPC without TLS, trusting every caller with every role (development only).",
)


def _stdout_kept_from_children() -> IO[str]:
    """Our stdout, with file descriptor 1 pointed at stderr for the processes we start.

    The Temporal dev server inherits descriptor 1 and prints a banner on it, which would
    break `--json` for whoever parses it.
    """
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test runner's capture)
        return sys.stdout
    sys.stdout.flush()
    kept = os.fdopen(os.dup(descriptor), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), descriptor)
    return kept


class Running(Protocol):
    """What a command runs: started, shown, stopped."""

    async def start(self) -> object: ...
    def addresses(self) -> dict[str, str]: ...
    async def stop(self) -> None: ...


def _run(
    starting: str,
    settings: Settings,
    parts: Running,
    as_json: bool,
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Start `parts`, print their addresses, wait for a stop signal, stop them; start-up errors in one line."""
    from adapters.outbound_tls import OutboundTlsError
    from compliance_rules.rulebook import RulePackError
    from gateway.cli import CommandError, _echo_json
    from gateway.keys import KeysError
    from gateway.log_lines import configure_logging
    from gateway.runtime import SharedPartMissing
    from ledger_anchor.chain import ChainError
    from workflows.worker import ForeignWorker

    json_out = _stdout_kept_from_children() if as_json else sys.stdout
    configure_logging(settings)

    def say(line: str) -> None:
        click.echo(line, err=as_json)  # with --json, stdout carries only the JSON

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        say(f"starting {starting}…")
        if before is not None:
            await before()
        await parts.start()
        try:
            shown = parts.addresses()
            if as_json:
                _echo_json(shown, file=json_out)
            for name, address in shown.items():
                say(f"  {name:<20} {address}")
            say("ready; Ctrl-C stops everything")
            await stop.wait()
        finally:
            say("stopping…")
            await parts.stop()
            say("stopped")

    try:
        asyncio.run(run())
    except (ChainError, ForeignWorker, RulePackError, KeysError, OutboundTlsError, SharedPartMissing) as exc:
        raise CommandError(f"cannot start: {exc}") from None


def _settings(plaintext: bool = False) -> Settings:
    from gateway.cli import _settings as loaded

    settings = loaded()
    return settings.model_copy(update={"plaintext": True}) if plaintext else settings


def _check_ports(settings: Settings, kind: ProcessKind | None) -> None:
    from gateway.cli import CommandError
    from gateway.preflight import PortUnavailable, check_ports_free

    try:
        check_ports_free(settings, kind)
    except PortUnavailable as exc:
        raise CommandError(f"cannot start: {exc}") from None


def _gateway_process(kind: ProcessKind, plaintext: bool, as_json: bool, demo: bool = False) -> None:
    from gateway.runtime import EmbeddedGateway, ProcessKind
    from gateway.transport import PLAINTEXT_WARNING

    settings = _settings(plaintext)
    _check_ports(settings, kind)

    async def warn() -> None:
        if settings.plaintext and kind.serves:
            click.echo(PLAINTEXT_WARNING.format(target=settings.grpc_target), err=True)

    names = {
        ProcessKind.ALL: "the carbon gateway",
        ProcessKind.WORKER: "a gateway worker",
        ProcessKind.SERVE: "a gateway gRPC server",
    }
    _run(names[kind], settings, EmbeddedGateway(settings, demo=demo, kind=kind), as_json, warn)


@click.command()
@click.option("--demo", is_flag=True, help="Seed the sandbox registries with the documented demo holdings.")
@json_option
@plaintext_option
def up(demo: bool, as_json: bool, plaintext: bool) -> None:
    """Run the whole gateway on this machine until Ctrl-C.

    gRPC is served over TLS with client certificates from the keys directory
    (`carbon-gateway keys init` makes them; --demo makes them on first start).
    """
    from gateway.runtime import ProcessKind

    _gateway_process(ProcessKind.ALL, plaintext, as_json, demo)


@click.command()
@json_option
def worker(as_json: bool) -> None:
    """Run one Temporal worker (transfers, anchoring, finance, reconciliation) until Ctrl-C.

    Start as many as load needs, on any machines, with the same settings: they share
    the Temporal server, the ledger, the registries and the chain node those name.
    """
    from gateway.runtime import ProcessKind

    _gateway_process(ProcessKind.WORKER, False, as_json)


@click.command()
@json_option
@plaintext_option
def serve(as_json: bool, plaintext: bool) -> None:
    """Run one gRPC server until Ctrl-C; transfers it accepts run on the workers."""
    from gateway.runtime import ProcessKind

    _gateway_process(ProcessKind.SERVE, plaintext, as_json)


@click.command()
@click.option(
    "--write-settings",
    "settings_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("cluster.toml"),
    show_default=True,
    help="Where to write the settings file that `worker` and `serve` start from (CARBON_GATEWAY_CONFIG).",
)
@click.option("--demo", is_flag=True, help="Seed the sandbox registries and the ledger with the demo data.")
@json_option
def services(settings_file: Path, demo: bool, as_json: bool) -> None:
    """Run development stand-ins for what worker and serve processes share, until Ctrl-C.

    A Temporal dev server, the sandbox registries, the embedded chain (taking signed
    transactions) and the ledger of these settings (a SQLite file in the data folder
    unless ledger_url names PostgreSQL). Production uses real ones: docs/deploy.md.
    """
    from gateway.services import DevelopmentServices

    settings = _settings()
    _check_ports(settings, None)

    class Written(DevelopmentServices):
        async def start(self) -> DevelopmentServices:
            await super().start()
            self.write_settings(settings_file)
            return self

        def addresses(self) -> dict[str, str]:
            return super().addresses() | {"Settings file": str(settings_file.resolve())}

    _run("the shared development services", settings, Written(settings, demo=demo), as_json)
