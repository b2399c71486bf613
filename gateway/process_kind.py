"""What one gateway process runs, and what it must then be told about the services it shares."""

from __future__ import annotations

from enum import StrEnum

from gateway.settings import Settings


class ProcessKind(StrEnum):
    """What one gateway process runs."""

    ALL = "all"  # `up`: worker, gRPC server and the embedded stand-ins, in one process
    WORKER = "worker"  # the Temporal worker (transfers, anchoring, finance, reconciliation) and schedules
    SERVE = "serve"  # the gRPC server and the orphan sweep

    @property
    def works(self) -> bool:
        return self is not ProcessKind.SERVE

    @property
    def serves(self) -> bool:
        return self is not ProcessKind.WORKER


class SharedPartMissing(ValueError):
    """A worker or serve process was started without an external service every process must share."""


def external_parts_missing(settings: Settings, kind: ProcessKind) -> list[str]:
    """The settings a WORKER or SERVE process lacks: it must not start private stand-ins of shared parts."""
    if kind is ProcessKind.ALL:
        return []
    wanted = {
        "temporal_address": settings.temporal_address,
        "ledger_url": settings.ledger_url,  # a default SQLite file in its own data folder is not shared
        "sandbox_url": settings.sandbox_url,
    }
    if kind is ProcessKind.WORKER:
        wanted["chain_rpc_url"] = settings.chain_rpc_url
    return [name for name, value in wanted.items() if not value]
