"""`carbon-gateway deploy-contract --rpc URL`: put the anchor contract on a chain, once per deployment.

The address it prints is the `anchor_contract` every worker is started with. The key is
the gateway's anchoring key (from --key-file or CARBON_GATEWAY_ANCHOR_KEY), the same one
the workers sign anchors with: the contract accepts tree heads from its deployer only.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("deploy-contract")
@click.option("--rpc", "rpc_url", required=True, help="JSON-RPC URL of a node of the anchoring chain.")
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A file holding the anchoring key in hex (default: the CARBON_GATEWAY_ANCHOR_KEY variable).",
)
def deploy_command(rpc_url: str, key_file: Path | None) -> None:
    """Deploy the anchor contract and print its address (the anchor_contract setting)."""
    from web3 import Web3  # loaded only by the command that uses it

    from ledger_anchor.chain import ChainError, GatewaySigner, deploy

    try:
        signer = GatewaySigner.from_key_file(key_file) if key_file else GatewaySigner.from_env()
        address = deploy(Web3(Web3.HTTPProvider(rpc_url)), signer)
    except (ChainError, OSError, ValueError) as exc:
        raise click.ClickException(f"cannot deploy: {exc}") from None
    click.echo(address)
