"""`carbon-gateway verify RECEIPT.json --rpc URL`: the command a third party runs on a receipt.

Kept beside the verifier so the gateway's CLI only mounts it (`cli.add_command(verify_command)`);
it also runs alone as `python -m ledger_anchor.verify_command`. Exit status 0 means yes, 1 means no.
"""

from __future__ import annotations

from pathlib import Path

import click

from domain.errors import InvalidInput
from ledger_anchor.leaf import SettlementRecord, decode_settlement
from ledger_anchor.receipt import SettlementReceipt
from ledger_anchor.verify import verify_receipt_file


def describe(record: SettlementRecord) -> str:
    """One line naming what the receipt proves was settled."""
    return (
        f"settlement {record.transfer_id}: {record.quantity} {record.unit_class} "
        f"(serials {record.start}..{record.end} of {record.serial_space}) "
        f"from {record.source.registry_id}/{record.source.account_id} "
        f"to {record.destination.registry_id}/{record.destination.account_id} "
        f"at {record.settled_at.isoformat()}"
    )


@click.command("verify")
@click.argument("receipt", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--rpc", "rpc_url", required=True, help="JSON-RPC URL of a node of the anchoring chain.")
@click.option(
    "--confirmations",
    "min_confirmations",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Blocks required on top of (and including) the anchoring block.",
)
def verify_command(receipt: Path, rpc_url: str, min_confirmations: int) -> None:
    """Check a settlement receipt against the chain: prints yes or no, and why."""
    verdict = verify_receipt_file(receipt, rpc_url, min_confirmations=min_confirmations)
    click.echo(f"{'yes' if verdict.ok else 'no'}: {verdict.reason}")
    if verdict.ok:
        try:
            click.echo(describe(decode_settlement(SettlementReceipt.read(receipt).leaf_bytes())))
        except InvalidInput:
            click.echo("(the leaf is not a settlement encoding this version knows)")
    raise SystemExit(0 if verdict.ok else 1)


if __name__ == "__main__":
    verify_command()
