"""`carbon-gateway`: run the gateway's processes, or act as a gRPC client of a running one.

Serials and ids are what a user copies from one command into the next, so output
never cuts them: a terminal gets tables whose cells fold, a pipe gets plain
tab-separated lines, and `--json` gets one JSON value per line. Refusals and user
errors are one line on stderr (`error CODE: message`) with exit status 2.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gateway.audit_log_command import audit_log
from gateway.finance_command import finance
from gateway.keys_command import keys
from gateway.process_commands import serve, services, up, worker
from gateway.reconcile_command import reconcile
from gateway.rules_command import rules
from gateway.settings import Settings, SettingsError
from gateway.sign_command import owner_key, sign
from ledger_anchor.deploy_command import deploy_command
from ledger_anchor.verify_command import verify_command
from protos.carbon.gateway.v1 import (
    oversight_pb2,
    oversight_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)

if TYPE_CHECKING:
    from ledger import Ledger

FINAL = {
    transfer_pb2.TRANSFER_STATE_SETTLED,
    transfer_pb2.TRANSFER_STATE_ANCHORED,
    transfer_pb2.TRANSFER_STATE_REJECTED,
    transfer_pb2.TRANSFER_STATE_COMPENSATED,
    transfer_pb2.TRANSFER_STATE_NEEDS_INTERVENTION,
}
SUCCESS = {transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED}
# `--purpose ndc` etc., straight from the contract's enum so the two cannot drift apart.
PURPOSES = [
    name.removeprefix("PURPOSE_").lower()
    for name, number in transfer_pb2.Purpose.items()
    if number != transfer_pb2.PURPOSE_UNSPECIFIED
]


class CommandError(click.ClickException):
    """A refusal or a user error: `error CODE: message` (or `error: message`) on stderr, exit 2."""

    exit_code = 2

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error {self.code}: {self.message}" if self.code else f"error: {self.message}", err=True)


def _settings() -> Settings:
    try:
        return Settings()
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


# Output


def _to_json(message: Message) -> dict[str, Any]:
    """The proto3 JSON form, with the contract's field names and every field present."""
    return MessageToDict(message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)


def _echo_json(value: Any, file: IO[str] | None = None) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, separators=(",", ":")), file=file)


def _print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None, header: bool = True
) -> None:
    """Rows in full: folded cells on a terminal, tab-separated lines anywhere else."""
    console = Console()
    if not console.is_terminal:
        for row in [headers, *rows] if header else rows:
            click.echo("\t".join(" ".join(cell.split()) for cell in row))
        return
    table = Table(title=title, show_header=header, box=box.HEAVY_HEAD if header else None)
    for name in headers:
        table.add_column(name, overflow="fold", no_wrap=False)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


def _state(value: int) -> str:
    return transfer_pb2.TransferState.Name(value).removeprefix("TRANSFER_STATE_")


def _evidence_rows(transfer: transfer_pb2.Transfer) -> list[tuple[str, str]]:
    """What the holder must do, and by when, while the transfer waits for their own action."""
    if not transfer.HasField("evidence_awaited"):
        return []
    awaited = transfer.evidence_awaited
    rows = [("holder must", awaited.holder_action)]
    if awaited.HasField("deadline_time"):
        rows.append(("deadline", awaited.deadline_time.ToJsonString()))
    return rows


def _show(transfer: transfer_pb2.Transfer) -> None:
    rows = [
        ("transfer", transfer.transfer_id),
        ("state", _state(transfer.state)),
        ("from", f"{transfer.source.registry_id}:{transfer.source.account_id}"),
        ("to", f"{transfer.destination.registry_id}:{transfer.destination.account_id}"),
        ("units", f"{transfer.quantity} ({transfer.moved_serial or transfer.serial})"),
    ]
    if transfer.purpose != transfer_pb2.PURPOSE_UNSPECIFIED:
        rows.append(("purpose", transfer_pb2.Purpose.Name(transfer.purpose).removeprefix("PURPOSE_").lower()))
    rows += _evidence_rows(transfer)
    rows += [("reason", f"{reason.code}: {reason.message}") for reason in transfer.reasons]
    _print_table(("field", "value"), rows, header=False)


# Commands


@click.group()
@click.version_option(package_name="carbon-gateway", prog_name="carbon-gateway")
def main() -> None:
    """Moves carbon credits between registries."""


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON, one value per line, instead of text."
)


target_option = click.option(
    "--target", default=lambda: _settings().grpc_target, show_default="settings' gRPC address"
)


def rpc(service: str, method: str) -> str:
    """The role table's key for one RPC."""
    return f"/carbon.gateway.v1.{service}/{method}"


def _credentials(rpcs: Sequence[str]) -> grpc.ChannelCredentials | None:
    """A local identity allowed every one of `rpcs` (picked from the keys directory), or plaintext."""
    from gateway.keys import KeysError
    from gateway.roles import ACCESS
    from gateway.transport import client_credentials

    roles = frozenset.intersection(*(ACCESS[name].roles for name in rpcs))
    try:
        return client_credentials(_settings(), roles)
    except KeysError as exc:
        raise CommandError(str(exc)) from None


@contextlib.contextmanager
def _channel(target: str, *rpcs: str) -> Iterator[grpc.Channel]:
    """A channel for calling `rpcs`, whose RPC errors end the command with `error CODE: message`
    and exit code 2. Over TLS it presents a local identity whose role may call them all."""
    credentials = _credentials(rpcs)
    opened = (
        grpc.insecure_channel(target) if credentials is None else grpc.secure_channel(target, credentials)
    )
    with opened as channel:
        try:
            yield channel
        except grpc.RpcError as error:
            code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
            details = (error.details() if isinstance(error, grpc.Call) else None) or str(error)
            if code == "UNAVAILABLE" and "failed to connect" in details:
                details = f"no gateway answers at {target} (is `carbon-gateway up` running?): {details}"
            raise CommandError(" ".join(details.split()), code=code) from None


_PAGE_SIZE = 500  # the contract's largest page: fewest round trips


def _every_page(call: Callable[[Any], Any], request: Any, items: str) -> list[Any]:
    """Every item of a paged list RPC, asking page after page until the last."""
    found: list[Any] = []
    while True:
        page = call(request)
        found += getattr(page, items)
        if not page.next_page_token:
            return found
        request.page_token = page.next_page_token


def _account(value: str) -> transfer_pb2.AccountRef:
    registry_id, sep, account_id = value.partition(":")
    if not sep or not registry_id or not account_id:
        raise click.BadParameter(f"expected REGISTRY:ACCOUNT, got {value!r}")
    return transfer_pb2.AccountRef(registry_id=registry_id, account_id=account_id)


def _report_progress(update: transfer_pb2.Transfer, previous: transfer_pb2.Transfer | None) -> None:
    """One line per state, and what the holder must do whenever that changes."""
    if previous is None or update.state != previous.state:
        click.echo(f"  {_state(update.state)}")
    if update.HasField("evidence_awaited") and (previous is None or _asked(previous) != _asked(update)):
        for name, value in _evidence_rows(update):
            click.echo(f"  {name}: {value}")


def _asked(transfer: transfer_pb2.Transfer) -> tuple[str, int] | None:
    """What the holder is asked, to the second: a deadline recomputed a moment later is not news."""
    if not transfer.HasField("evidence_awaited"):
        return None
    awaited = transfer.evidence_awaited
    return awaited.holder_action, awaited.deadline_time.seconds


def _follow(
    stub: transfer_pb2_grpc.TransferServiceStub, transfer_id: str, as_json: bool
) -> transfer_pb2.Transfer:
    """Print every state WatchTransfer sends; return the last (a final one)."""
    previous: transfer_pb2.Transfer | None = None
    for watched in stub.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=transfer_id)):
        update = watched.transfer
        if as_json:
            _echo_json(_to_json(update))
        else:
            _report_progress(update, previous)
        previous = update
    if previous is None:
        raise CommandError(f"the gateway sent no state for {transfer_id}", code="UNKNOWN")
    return previous


@main.command()
@click.option("--id", "transfer_id", default=lambda: f"tr-{uuid.uuid4().hex[:12]}", help="Client-chosen id.")
@click.option("--from", "source", required=True, help="REGISTRY:ACCOUNT holding the units.")
@click.option("--to", "destination", required=True, help="REGISTRY:ACCOUNT receiving them.")
@click.option("--serial", required=True, help="A block held by the source account.")
@click.option("--quantity", type=int, default=None, help="Move the first N units (default: all).")
@click.option("--purpose", type=click.Choice(PURPOSES), default=None, help="What the units are for.")
@click.option("--wait/--no-wait", default=True, help="Follow the transfer to a final state.")
@json_option
@target_option
def transfer(
    transfer_id: str,
    source: str,
    destination: str,
    serial: str,
    quantity: int | None,
    purpose: str | None,
    wait: bool,
    as_json: bool,
    target: str,
) -> None:
    """Submit a transfer; exits 1 unless it settles (or, with --no-wait, is accepted).

    With --json, prints the transfer once per state seen (the last line is the final state).
    """
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=_account(source),
        destination=_account(destination),
        serial=serial,
        purpose=f"PURPOSE_{(purpose or 'unspecified').upper()}",
    )
    if quantity is not None:
        request.quantity = quantity
    submit, watch = rpc("TransferService", "SubmitTransfer"), rpc("TransferService", "WatchTransfer")
    with _channel(target, submit, watch) as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        latest = stub.SubmitTransfer(request).transfer
        if not wait and as_json:
            _echo_json(_to_json(latest))
        elif wait:
            latest = _follow(stub, transfer_id, as_json)
    if not as_json:
        _show(latest)
    if wait and latest.state not in SUCCESS:
        sys.exit(1)


@main.command()
@click.argument("transfer_id")
@json_option
@target_option
def status(transfer_id: str, as_json: bool, target: str) -> None:
    """Show one transfer; exits 1 when it ended without settling."""
    with _channel(target, rpc("TransferService", "GetTransfer")) as channel:
        found = transfer_pb2_grpc.TransferServiceStub(channel).GetTransfer(
            transfer_pb2.GetTransferRequest(transfer_id=transfer_id)
        )
    if as_json:
        _echo_json(_to_json(found))
    else:
        _show(found)
    if found.state in FINAL and found.state not in SUCCESS:
        sys.exit(1)


RESOLUTIONS = {
    "retry": transfer_pb2.RESOLUTION_RETRY,
    "settled": transfer_pb2.RESOLUTION_RECORD_SETTLED,
    "compensated": transfer_pb2.RESOLUTION_RECORD_COMPENSATED,
}


@main.command()
@click.argument("transfer_id")
@click.argument("resolution", type=click.Choice(list(RESOLUTIONS)))
@click.option("--reason", required=True, help="Why, in a sentence (kept in the transfer's history).")
@click.option("--operator", required=True, help="Who decides.")
@json_option
@target_option
def resolve(
    transfer_id: str, resolution: str, reason: str, operator: str, as_json: bool, target: str
) -> None:
    """Decide a transfer that needs intervention: retry its stopped step, or record it settled or
    compensated by hand."""
    with _channel(target, rpc("TransferService", "ResolveTransfer")) as channel:
        resolved = (
            transfer_pb2_grpc.TransferServiceStub(channel)
            .ResolveTransfer(
                transfer_pb2.ResolveTransferRequest(
                    transfer_id=transfer_id,
                    resolution=RESOLUTIONS[resolution],
                    reason=reason,
                    operator=operator,
                )
            )
            .transfer
        )
    if as_json:
        _echo_json(_to_json(resolved))
    else:
        _show(resolved)


@main.command()
@click.argument("registry_id")
@click.argument("account_id", required=False)
@json_option
@target_option
def holdings(registry_id: str, account_id: str | None, as_json: bool, target: str) -> None:
    """List the holdings of a registry, or of one account in it."""
    request = registry_pb2.ListHoldingsRequest(registry_id=registry_id, page_size=_PAGE_SIZE)
    if account_id is not None:
        request.account_id = account_id
    with _channel(target, rpc("RegistryService", "ListHoldings")) as channel:
        stub = registry_pb2_grpc.RegistryServiceStub(channel)
        found = registry_pb2.ListHoldingsResponse(
            holdings=_every_page(stub.ListHoldings, request, "holdings")
        )
    if as_json:
        _echo_json(_to_json(found))
        return
    rows = [
        (
            h.account_id,
            h.serial,
            str(h.quantity),
            f"{registry_pb2.UnitStatus.Name(h.status).removeprefix('UNIT_STATUS_').lower()} ({h.registry_status})",
        )
        for h in found.holdings
    ]
    _print_table(("account", "serial", "quantity", "status"), rows, title=f"holdings in {registry_id}")


@main.command()
@json_option
@target_option
def registries(as_json: bool, target: str) -> None:
    """List every registry the gateway links."""
    with _channel(target, rpc("RegistryService", "ListRegistries")) as channel:
        stub = registry_pb2_grpc.RegistryServiceStub(channel)
        request = registry_pb2.ListRegistriesRequest(page_size=_PAGE_SIZE)
        found = registry_pb2.ListRegistriesResponse(
            registries=_every_page(stub.ListRegistries, request, "registries")
        )
    if as_json:
        _echo_json(_to_json(found))
        return
    rows = [
        (r.registry_id, r.name, r.jurisdiction, r.programme, "yes" if r.evidence_based else "no")
        for r in found.registries
    ]
    _print_table(("registry", "name", "jurisdiction", "programme", "evidence-based"), rows)


@main.command()
@click.argument("transfer_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the receipt here.")
@json_option
@target_option
def receipt(transfer_id: str, out: Path | None, as_json: bool, target: str) -> None:
    """Fetch a settlement's receipt (leaf, inclusion proof, anchor) for `carbon-gateway verify`.

    Without --out the receipt is printed; with --json it is printed on one line (also with --out).
    """
    with _channel(target, rpc("OversightService", "GetSettlementProof")) as channel:
        proof = oversight_pb2_grpc.OversightServiceStub(channel).GetSettlementProof(
            oversight_pb2.GetSettlementProofRequest(transfer_id=transfer_id)
        )
    from gateway.wire import receipt_from_proof  # the domain and ledger: only this command needs them

    document = receipt_from_proof(proof)
    if out is not None:
        try:
            document.write(out)
        except OSError as exc:
            raise CommandError(f"cannot write {out}: {exc.strerror}") from None
    if as_json:
        _echo_json(document.model_dump(mode="json"))
    elif out is None:
        click.echo(document.model_dump_json(indent=2))
    else:
        click.echo(f"receipt for {transfer_id} written to {out}")


def _open_ledger(ledger_url: str | None) -> Ledger:
    """The ledger to audit; one line instead of a database traceback when there is none.

    A URL is named without its password; the default SQLite file by its data folder, not its path.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from ledger import Ledger

    settings = None if ledger_url else _settings()
    url = ledger_url or (settings.resolved_ledger_url() if settings else "")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise click.BadParameter("not a database URL", param_hint="--ledger-url") from None
    if settings is not None and settings.ledger_url is None:
        where = f"in the data folder {settings.data_dir}"
        hint = " (run audit where `carbon-gateway up` keeps it, or pass --ledger-url)"
    else:
        where, hint = f"at {parsed.render_as_string(hide_password=True)}", ""
    database = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if is_file and not Path(database).is_file():  # opening it would create an empty ledger
        raise CommandError(f"no gateway ledger {where}{hint}")
    try:
        return Ledger.open(parsed.render_as_string(hide_password=False))
    except SQLAlchemyError as exc:
        cause = " ".join(str(getattr(exc, "orig", None) or exc).split("(Background on")[0].split())
        raise CommandError(f"cannot open the gateway ledger {where}: {cause}") from None


@main.command()
@click.option("--ledger-url", default=None, help="The ledger to audit (default: the gateway's own).")
@click.option("--rpc", default=None, help="JSON-RPC URL of the anchoring chain (checks the anchored roots).")
@click.option("--contract", default=None, help="The anchor contract's address (with --rpc).")
@json_option
def audit(ledger_url: str | None, rpc: str | None, contract: str | None, as_json: bool) -> None:
    """Check every settled row against the settlement log and the log against the chain; exit 1 on findings.

    With --json, prints the findings as one JSON list.
    """
    from web3 import Web3
    from web3.exceptions import Web3Exception

    from gateway.settlement_proofs import audit as audit_ledger

    if bool(rpc) != bool(contract):
        raise click.UsageError("--rpc and --contract go together")
    ledger = _open_ledger(ledger_url)
    try:
        w3 = Web3(Web3.HTTPProvider(rpc)) if rpc else None
        findings = audit_ledger(ledger, w3, contract)
    except (OSError, ValueError, Web3Exception) as exc:  # the chain, not the ledger: say which node
        raise CommandError(f"cannot read the anchors at {rpc}: {' '.join(str(exc).split())}") from None
    finally:
        ledger.close()
    if as_json:
        _echo_json([f.model_dump() for f in findings])
    elif not findings:
        click.echo("no findings: every settled row matches the anchored settlement log")
    for finding in [] if as_json else findings:
        click.echo(f"{finding.code} {finding.message}")
    sys.exit(1 if findings else 0)


main.add_command(up)
main.add_command(worker)
main.add_command(serve)
main.add_command(services)
main.add_command(verify_command)
main.add_command(deploy_command)
main.add_command(rules)

if __name__ == "__main__":
    main()
main.add_command(owner_key)
main.add_command(sign)
main.add_command(audit_log)
main.add_command(keys)
main.add_command(finance)
main.add_command(reconcile)
