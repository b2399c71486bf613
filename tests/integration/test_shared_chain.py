"""The development chain `carbon-gateway services` shares takes signed transactions over JSON-RPC.

Worker processes anchor through it as through any node, and `deploy-contract` puts an
anchor contract on it, as an operator does on a real chain (docs/deploy.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from web3 import Web3

from ledger_anchor.chain import GatewaySigner, anchor_contract
from ledger_anchor.embedded_chain import DEVELOPMENT_KEY, EmbeddedChain

CLI = Path(sys.executable).parent / "carbon-gateway"


def test_a_contract_deployed_over_json_rpc_is_owned_by_the_key_that_deployed_it(tmp_path: Path):
    key_file = tmp_path / "anchor.key"
    key_file.write_text(DEVELOPMENT_KEY + "\n")
    with EmbeddedChain(tmp_path / "chain") as chain:
        url = chain.serve(accept_transactions=True)
        deployed = subprocess.run(
            [str(CLI), "deploy-contract", "--rpc", url, "--key-file", str(key_file)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert deployed.returncode == 0, deployed.stderr
        address = deployed.stdout.strip()
        assert Web3.is_checksum_address(address) and address != chain.contract_address
        remote = Web3(Web3.HTTPProvider(url))
        assert remote.eth.get_code(address), "no contract at the printed address"
        owner = anchor_contract(remote, address).functions.GATEWAY().call()
        assert owner == GatewaySigner.from_hex(DEVELOPMENT_KEY).address
