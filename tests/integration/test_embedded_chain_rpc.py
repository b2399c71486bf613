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


def test_a_page_of_another_origin_may_read_it(tmp_path):
    """The public window's pages check receipts against this node from the site's own origin."""
    with EmbeddedChain(tmp_path / "chain") as chain:
        url = chain.serve()
        preflight = urllib.request.Request(
            url,
            method="OPTIONS",
            headers={"Origin": "http://127.0.0.1:8080", "Access-Control-Request-Method": "POST"},
        )
        with urllib.request.urlopen(preflight, timeout=5) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert "POST" in response.headers["Access-Control-Allow-Methods"]
            assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
        request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["Access-Control-Allow-Origin"] == "*"
