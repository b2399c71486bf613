"""`carbon-gateway`: run the embedded gateway, or act as a gRPC client of a running one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import grpc
from rich.console import Console
from rich.table import Table

from gateway import wire
from gateway.settings import Settings
from ledger_anchor.verify_command import verify_command
from protos.carbon.gateway.v1 import (
    oversight_pb2,
    oversight_pb2_grpc,
    registry_pb2,
    registry_pb2_grpc,
    transfer_pb2,
    transfer_pb2_grpc,
)

console = Console()
FINAL = {
    transfer_pb2.TRANSFER_STATE_SETTLED,
    transfer_pb2.TRANSFER_STATE_ANCHORED,
    transfer_pb2.TRANSFER_STATE_REJECTED,
    transfer_pb2.TRANSFER_STATE_COMPENSATED,
    transfer_pb2.TRANSFER_STATE_NEEDS_INTERVENTION,
}
SUCCESS = {transfer_pb2.TRANSFER_STATE_SETTLED, transfer_pb2.TRANSFER_STATE_ANCHORED}


@click.group()
def main() -> None:
    """Moves carbon credits between registries."""


@main.command()
@click.option("--demo", is_flag=True, help="Seed the sandbox registries with the documented demo holdings.")
def up(demo: bool) -> None:
    """Run the whole gateway on this machine until Ctrl-C."""
    from gateway.runtime import EmbeddedGateway

    async def serve() -> None:
        gateway = EmbeddedGateway(Settings(), demo=demo)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        console.print("starting the carbon gateway…")
        await gateway.start()
        try:
            for name, address in gateway.addresses().items():
                console.print(f"  {name:<20} {address}")
            console.print("ready; Ctrl-C stops everything")
            await stop.wait()
        finally:
            console.print("stopping…")
            await gateway.stop()
            console.print("stopped")

    asyncio.run(serve())


target_option = click.option(
    "--target", default=lambda: Settings().grpc_target, show_default="settings' gRPC address"
)


@contextlib.contextmanager
def _channel(target: str) -> Iterator[grpc.Channel]:
    """A channel whose RPC errors end the command with a readable message and exit code 2."""
    with grpc.insecure_channel(target) as channel:
        try:
            yield channel
        except grpc.RpcError as error:
            code = error.code().name if isinstance(error, grpc.Call) else "UNKNOWN"
            details = error.details() if isinstance(error, grpc.Call) else str(error)
            console.print(f"[red]error[/red] {code}: {details}")
            sys.exit(2)


def _account(value: str) -> transfer_pb2.AccountRef:
    registry_id, sep, account_id = value.partition(":")
    if not sep or not registry_id or not account_id:
        raise click.BadParameter(f"expected REGISTRY:ACCOUNT, got {value!r}")
    return transfer_pb2.AccountRef(registry_id=registry_id, account_id=account_id)


def _state(value: int) -> str:
    return transfer_pb2.TransferState.Name(value).removeprefix("TRANSFER_STATE_")


def _show(transfer: transfer_pb2.Transfer) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("transfer", transfer.transfer_id)
    table.add_row("state", _state(transfer.state))
    table.add_row("from", f"{transfer.source.registry_id}:{transfer.source.account_id}")
    table.add_row("to", f"{transfer.destination.registry_id}:{transfer.destination.account_id}")
    table.add_row("units", f"{transfer.quantity} ({transfer.moved_serial})")
    for reason in transfer.reasons:
        table.add_row("reason", f"{reason.code}: {reason.message}")
    console.print(table)


@main.command()
@click.option("--id", "transfer_id", default=lambda: f"tr-{uuid.uuid4().hex[:12]}", help="Client-chosen id.")
@click.option("--from", "source", required=True, help="REGISTRY:ACCOUNT holding the units.")
@click.option("--to", "destination", required=True, help="REGISTRY:ACCOUNT receiving them.")
@click.option("--serial", required=True, help="A block held by the source account.")
@click.option("--quantity", type=int, default=None, help="Move the first N units (default: all).")
@click.option("--purpose", default="")
@click.option("--wait/--no-wait", default=True, help="Follow the transfer to a final state.")
@target_option
def transfer(
    transfer_id: str,
    source: str,
    destination: str,
    serial: str,
    quantity: int | None,
    purpose: str,
    wait: bool,
    target: str,
) -> None:
    """Submit a transfer; exits non-zero unless it settles (or, with --no-wait, is accepted)."""
    request = transfer_pb2.SubmitTransferRequest(
        transfer_id=transfer_id,
        source=_account(source),
        destination=_account(destination),
        serial=serial,
        purpose=purpose,
    )
    if quantity is not None:
        request.quantity = quantity
    with _channel(target) as channel:
        stub = transfer_pb2_grpc.TransferServiceStub(channel)
        latest = stub.SubmitTransfer(request)
        if wait:
            for update in stub.WatchTransfer(transfer_pb2.WatchTransferRequest(transfer_id=transfer_id)):
                console.print(f"  {_state(update.state)}")
                latest = update
    _show(latest)
    if wait and latest.state not in SUCCESS:
        sys.exit(1)


@main.command()
@click.argument("transfer_id")
@target_option
def status(transfer_id: str, target: str) -> None:
    """Show one transfer; exits 1 when it ended without settling."""
    with _channel(target) as channel:
        found = transfer_pb2_grpc.TransferServiceStub(channel).GetTransfer(
            transfer_pb2.GetTransferRequest(transfer_id=transfer_id)
        )
    _show(found)
    if found.state in FINAL and found.state not in SUCCESS:
        sys.exit(1)


@main.command()
@click.argument("registry_id")
@click.argument("account_id", required=False)
@target_option
def holdings(registry_id: str, account_id: str | None, target: str) -> None:
    """List the holdings of a registry, or of one account in it."""
    request = registry_pb2.ListHoldingsRequest(registry_id=registry_id)
    if account_id is not None:
        request.account_id = account_id
    with _channel(target) as channel:
        found = registry_pb2_grpc.RegistryServiceStub(channel).ListHoldings(request)
    table = Table("account", "serial", "quantity", "status", title=f"holdings in {registry_id}")
    for h in found.holdings:
        status_name = registry_pb2.UnitStatus.Name(h.status).removeprefix("UNIT_STATUS_")
        table.add_row(h.account_id, h.serial, str(h.quantity), f"{status_name.lower()} ({h.registry_status})")
    console.print(table)


@main.command()
@target_option
def registries(target: str) -> None:
    """List every registry the gateway links."""
    with _channel(target) as channel:
        found = registry_pb2_grpc.RegistryServiceStub(channel).ListRegistries(
            registry_pb2.ListRegistriesRequest()
        )
    table = Table("registry", "name", "jurisdiction", "programme", "evidence-based")
    for r in found.registries:
        table.add_row(r.registry_id, r.name, r.jurisdiction, r.programme, "yes" if r.evidence_based else "no")
    console.print(table)


@main.command()
@click.argument("transfer_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the receipt here.")
@target_option
def receipt(transfer_id: str, out: Path | None, target: str) -> None:
    """Fetch a settlement's receipt (leaf, inclusion proof, anchor) for `carbon-gateway verify`."""
    with _channel(target) as channel:
        proof = oversight_pb2_grpc.OversightServiceStub(channel).GetSettlementProof(
            oversight_pb2.GetSettlementProofRequest(transfer_id=transfer_id)
        )
    document = wire.receipt_from_proof(proof)
    if out is None:
        click.echo(document.model_dump_json(indent=2))
    else:
        document.write(out)
        console.print(f"receipt for {transfer_id} written to {out}")


@main.command()
@click.option("--ledger-url", default=lambda: Settings().resolved_ledger_url(), help="The ledger to audit.")
@click.option("--rpc", default=None, help="JSON-RPC URL of the anchoring chain (checks the anchored roots).")
@click.option("--contract", default=None, help="The anchor contract's address (with --rpc).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def audit(ledger_url: str, rpc: str | None, contract: str | None, as_json: bool) -> None:
    """Check every settled row against the settlement log and the log against the chain; exit 1 on findings."""
    from web3 import Web3

    from gateway.settlement_proofs import audit as audit_ledger
    from ledger import Ledger

    ledger = Ledger.open(ledger_url)
    try:
        w3 = Web3(Web3.HTTPProvider(rpc)) if rpc else None
        findings = audit_ledger(ledger, w3, contract if w3 else None)
    finally:
        ledger.close()
    if as_json:
        click.echo(json.dumps([f.model_dump() for f in findings], indent=2))
    elif not findings:
        console.print("no findings: every settled row matches the anchored settlement log")
    for finding in [] if as_json else findings:
        console.print(f"[red]{finding.code}[/red] {finding.message}")
    sys.exit(1 if findings else 0)


main.add_command(verify_command)

if __name__ == "__main__":
    main()
