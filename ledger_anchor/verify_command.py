"""`carbon-gateway verify RECEIPT.json --rpc URL`: the command a third party runs on a receipt.

Kept beside the verifier so the gateway's CLI only mounts it (`cli.add_command(verify_command)`);
it also runs alone as `python -m ledger_anchor.verify_command`. Exit status 0 means yes, 1 means no,
2 a usage error (a receipt file that does not exist).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from domain.errors import InvalidInput
from ledger_anchor.leaf import SettlementRecord, decode_settlement
from ledger_anchor.receipt import SettlementReceipt


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
@click.argument("receipt", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--rpc", "rpc_url", required=True, help="JSON-RPC URL of a node of the anchoring chain.")
@click.option(
    "--confirmations",
    "min_confirmations",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Blocks required on top of (and including) the anchoring block.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the verdict (and settlement) as one JSON object."
)
def verify_command(receipt: Path, rpc_url: str, min_confirmations: int, as_json: bool) -> None:
    """Check a settlement receipt against the chain: prints yes or no, and why."""
    from ledger_anchor.verify import verify_receipt_file  # web3: loaded only by the command that uses it

    verdict = verify_receipt_file(receipt, rpc_url, min_confirmations=min_confirmations)
    record = _settlement(receipt) if verdict.ok else None
    if as_json:
        result: dict[str, Any] = verdict.model_dump(mode="json")
        result["settlement"] = record.model_dump(mode="json") if record else None
        click.echo(json.dumps(result, ensure_ascii=False, separators=(",", ":")))
    else:
        click.echo(f"{'yes' if verdict.ok else 'no'}: {verdict.reason}")
        if verdict.ok:
            click.echo(
                describe(record) if record else "(the leaf is not a settlement encoding this version knows)"
            )
    raise SystemExit(0 if verdict.ok else 1)


def _settlement(receipt: Path) -> SettlementRecord | None:
    """What a verified receipt's leaf says was settled, when this version reads its encoding."""
    try:
        return decode_settlement(SettlementReceipt.read(receipt).leaf_bytes())
    except InvalidInput:
        return None


if __name__ == "__main__":
    verify_command()
