"""The one-machine chain: py-evm in this process, rebuilt from its data folder on every start.

An anchor must never vanish because the gateway restarted, yet py-evm keeps its
state in memory. So every signed transaction and every empty block is written
to `chain.jsonl` in the data folder before it is applied, and a start replays
that file onto the same genesis. The deployer is the gateway's key (a fixed
development key unless one is given), so the contract lands at the same
address and every anchor transaction keeps its hash and block number. Block
hashes are not reproduced (py-evm draws a random mix hash per block), which a
receipt never relies on.

Other processes see the chain through a JSON-RPC endpoint on loopback: they
can read blocks, receipts, logs and call the contract. It is read-only unless
served with `accept_transactions`, as `carbon-gateway services` does so that
worker processes can anchor through it (signed raw transactions only: the node
holds no key and signs nothing).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_canonical_address
from pydantic import BaseModel, ConfigDict
from web3 import EthereumTesterProvider, Web3
from web3.types import Nonce, RPCEndpoint, RPCResponse
from web3.utils.address import get_create_address

from ledger_anchor.chain import ChainError, GatewaySigner, deploy

CHAIN_LOG = "chain.jsonl"
CHAIN_IDENTITY = "chain.json"
# A fixed genesis (time and funded account) so every replay starts from the same state.
GENESIS_TIMESTAMP = 1_704_067_200  # 2024-01-01T00:00:00Z
GENESIS_BALANCE = 10**24
# The development key is public by construction: it is for a chain on loopback that nobody
# else can reach, so knowing it grants nothing.
DEVELOPMENT_KEY = "0x" + keccak(b"carbon-gateway/embedded-chain/deployer/v1").hex()

READ_METHODS = frozenset(
    {
        "web3_clientVersion",
        "net_version",
        "net_listening",
        "eth_chainId",
        "eth_blockNumber",
        "eth_syncing",
        "eth_gasPrice",
        "eth_maxPriorityFeePerGas",
        "eth_feeHistory",
        "eth_getBalance",
        "eth_getCode",
        "eth_getStorageAt",
        "eth_getTransactionCount",
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getBlockTransactionCountByNumber",
        "eth_getBlockTransactionCountByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
        "eth_call",
        "eth_estimateGas",
        "eth_getLogs",
    }
)
# JSON-RPC fields that carry fixed-size byte strings but that eth-tester hands back as integers.
_BLOOM_FIELDS = frozenset({"logsBloom"})


class ChainEvent(BaseModel):
    """One line of the chain log: a signed transaction, or empty blocks mined for confirmations."""

    model_config = ConfigDict(frozen=True)

    raw_tx: str | None = None
    empty_blocks: int = 0


class ChainIdentity(BaseModel):
    """Who deployed the chain in a data folder, and where its contract lives; checked on every start."""

    model_config = ConfigDict(frozen=True)

    deployer: str
    contract_address: str


class _ChainLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def events(self) -> list[ChainEvent]:
        if not self.path.exists():
            return []
        lines = self.path.read_text().splitlines()
        return [ChainEvent.model_validate_json(line) for line in lines if line.strip()]

    def append(self, event: ChainEvent) -> None:
        with self.path.open("a") as handle:
            handle.write(event.model_dump_json(exclude_defaults=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class _RecordingProvider(EthereumTesterProvider):
    """Writes each state-changing request to the chain log before applying it; serialises access."""

    def __init__(self, tester: EthereumTester, log: _ChainLog) -> None:
        super().__init__(tester)
        self.tester = tester
        self.log = log
        self.lock = threading.RLock()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self.lock:
            if method == "eth_sendRawTransaction":
                raw = params[0] if isinstance(params[0], str) else "0x" + bytes(params[0]).hex()
                self.log.append(ChainEvent(raw_tx=raw))
            elif method == "evm_mine":
                count = int(params[0]) if params else 1
                self.log.append(ChainEvent(empty_blocks=count))
            return super().make_request(method, params)


def _genesis_state(signer: GatewaySigner) -> dict[bytes, dict[str, Any]]:
    # eth-tester's first account is the default `from` of calls that name none, and a call
    # must be able to afford its gas even though nothing is charged; fund it alongside the signer.
    state: dict[bytes, dict[str, Any]] = PyEVMBackend.generate_genesis_state(num_accounts=1)
    state[to_canonical_address(signer.address)] = {
        "balance": GENESIS_BALANCE,
        "nonce": 0,
        "code": b"",
        "storage": {},
    }
    return state


def _tester_for(signer: GatewaySigner) -> EthereumTester:
    backend = PyEVMBackend(
        genesis_parameters=PyEVMBackend.generate_genesis_params(overrides={"timestamp": GENESIS_TIMESTAMP}),
        genesis_state=_genesis_state(signer),
    )
    return EthereumTester(backend)


def _replay(tester: EthereumTester, events: list[ChainEvent]) -> None:
    for event in events:
        if event.raw_tx is not None:
            try:
                tester.send_raw_transaction(event.raw_tx)
            except Exception:  # refused then, refused now: replay must reach the same state, not succeed
                continue
        if event.empty_blocks:
            tester.mine_blocks(event.empty_blocks)


class EmbeddedChain:
    """A py-evm chain persisted in `data_dir`, with the anchor contract deployed by `signer`."""

    def __init__(self, data_dir: Path, signer: GatewaySigner | None = None) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.signer = signer or GatewaySigner.from_hex(DEVELOPMENT_KEY)
        log = _ChainLog(data_dir / CHAIN_LOG)
        tester = _tester_for(self.signer)
        _replay(tester, log.events())
        self._provider = _RecordingProvider(tester, log)
        self.w3 = Web3(self._provider)
        self.contract_address = self._ensure_contract()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def _ensure_contract(self) -> ChecksumAddress:
        """The contract's address: rebuilt by the replay, or deployed on the folder's first start."""
        expected = get_create_address(self.signer.address, Nonce(0))
        identity = self._identity(expected)
        if identity.deployer != self.signer.address:
            # Replaying another key's transactions onto this genesis would silently drop them.
            raise ChainError(
                f"the chain in {self.data_dir} belongs to {identity.deployer}; "
                f"start it with that key, not {self.signer.address}"
            )
        if self.w3.eth.get_code(expected):
            return expected
        if self.w3.eth.get_transaction_count(self.signer.address) != 0:
            raise ChainError(f"replaying {self.data_dir / CHAIN_LOG} did not rebuild the anchor contract")
        deployed = deploy(self.w3, self.signer)
        if deployed != expected:
            raise ChainError(f"the anchor contract landed at {deployed}, not {expected}")
        return deployed

    def _identity(self, expected: ChecksumAddress) -> ChainIdentity:
        """Read the folder's identity, writing it (before anything is deployed) on first start."""
        path = self.data_dir / CHAIN_IDENTITY
        if path.exists():
            return ChainIdentity.model_validate_json(path.read_text())
        if self._provider.log.events():
            raise ChainError(
                f"{self.data_dir / CHAIN_LOG} exists without {CHAIN_IDENTITY}; refusing to guess"
            )
        identity = ChainIdentity(deployer=self.signer.address, contract_address=expected)
        path.write_text(identity.model_dump_json(indent=2) + "\n")
        return identity

    def mine(self, blocks: int = 1) -> int:
        """Mine empty blocks (an idle chain makes none) and return the new head."""
        self._provider.make_request(RPCEndpoint("evm_mine"), [blocks])
        return int(self.w3.eth.block_number)

    def serve(self, host: str = "127.0.0.1", port: int = 0, *, accept_transactions: bool = False) -> str:
        """Start the JSON-RPC endpoint (read-only unless `accept_transactions`) and return its URL."""
        if self._server is None:
            methods = READ_METHODS | {"eth_sendRawTransaction"} if accept_transactions else READ_METHODS
            handler = type(
                "_Handler",
                (_JsonRpcHandler,),
                {"provider": self._provider, "w3": self.w3, "methods": methods},
            )
            self._server = ThreadingHTTPServer((host, port), handler)
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the JSON-RPC endpoint is not serving")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmbeddedChain:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _to_json_rpc(value: Any, key: str = "") -> Any:
    """web3-side values back into JSON-RPC form: quantities and data as 0x-hex."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return "0x" + value.to_bytes(256, "big").hex() if key in _BLOOM_FIELDS else hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {k: _to_json_rpc(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json_rpc(v) for v in value]
    return str(value)


class _JsonRpcHandler(BaseHTTPRequestHandler):
    provider: _RecordingProvider
    w3: Web3
    methods: frozenset[str] = READ_METHODS

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            self._reply({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
            return
        if isinstance(body, list):
            self._reply([self._answer(request) for request in body])
        else:
            self._reply(self._answer(body))

    def _answer(self, request: Any) -> dict[str, Any]:
        request_id = request.get("id") if isinstance(request, dict) else None
        method = request.get("method") if isinstance(request, dict) else None
        if method not in self.methods:
            return _error(request_id, -32601, f"{method} is not available: this endpoint is read-only")
        try:
            with self.provider.lock:
                if method == "net_version":
                    # eth-tester answers mainnet's "1"; tools that compare it with eth_chainId expect equality.
                    result: Any = str(int(self.w3.eth.chain_id))
                else:
                    result = self.w3.manager.request_blocking(
                        RPCEndpoint(method), request.get("params") or []
                    )
        except Exception as exc:  # every failure becomes a JSON-RPC error for the caller to read
            return _error(request_id, -32000, str(exc))
        return {"jsonrpc": "2.0", "id": request_id, "result": _to_json_rpc(result)}

    def do_OPTIONS(self) -> None:
        """A browser's preflight: the public window's pages read this node from another origin."""
        self.send_response(204)
        self._allow_any_origin()
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _allow_any_origin(self) -> None:
        # Read-only, no cookies or credentials: any page may ask, as of any public node.
        self.send_header("Access-Control-Allow-Origin", "*")

    def _reply(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self._allow_any_origin()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a read-only endpoint's access log is noise."""


def _error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
