"""The embedded chain's JSON-RPC names one network: net_version agrees with eth_chainId."""

import json
import urllib.request

from web3 import HTTPProvider, Web3

from ledger_anchor.embedded_chain import EmbeddedChain


def _rpc(url: str, method: str) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def test_net_version_is_the_chain_id_in_decimal(tmp_path):
    with EmbeddedChain(tmp_path / "chain") as chain:
        url = chain.serve()
        chain_id = int(_rpc(url, "eth_chainId")["result"], 16)
        assert chain_id == chain.chain_id != 1
        assert _rpc(url, "net_version") == {"jsonrpc": "2.0", "id": 1, "result": str(chain_id)}
        assert Web3(HTTPProvider(url)).net.version == str(chain_id)
