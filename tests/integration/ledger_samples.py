"""Sample transfers and the two ledger backends the ledger tests run against.

Imported explicitly by the `test_ledger*` modules (no conftest), so each module
states which fixtures it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.serials import SerialBlock
from domain.transfers import AccountRef, Transfer, TransferRequest
from ledger import Ledger
from tests.postgres_cluster import PostgresUnavailable, ThrowawayCluster, server_bin, throwaway_cluster

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

T0 = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
VERRA_A = AccountRef(registry_id="verra", account_id="holder-a")
HK_B = AccountRef(registry_id="hk-core-climate", account_id="exchange-b")
SZ_C = AccountRef(registry_id="cn-sz-puhui", account_id="buyer-c")


def running_cluster() -> Iterator[ThrowawayCluster]:
    """Body of a module-scoped fixture: one cluster per test module, skipped where PostgreSQL is absent."""
    try:
        server_bin()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    with throwaway_cluster() as cluster:
        yield cluster


def ledger_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, empty database of `backend`; PostgreSQL ones come from the module's `cluster` fixture."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    cluster: ThrowawayCluster = request.getfixturevalue("cluster")
    return cluster.create_database()


def open_ledger(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    with Ledger.open(ledger_url(backend, tmp_path, request)) as ledger:
        yield ledger


def block(start: int, end: int, serial_space: str = "VCS") -> SerialBlock:
    return SerialBlock(
        programme=serial_space.split(":")[0],
        serial_space=serial_space,
        project_id="1060",
        vintage="2019",
        unit_type="VCU",
        country="US",
        start=start,
        end=end,
        attributes={"issuance": "9660"},
    )


def transfer(
    transfer_id: str,
    moved: SerialBlock | None = None,
    *,
    source: AccountRef = VERRA_A,
    destination: AccountRef = HK_B,
    created_at: datetime = T0,
) -> Transfer:
    moved = moved or block(1, 100)
    request = TransferRequest(
        transfer_id=transfer_id,
        source=source,
        destination=destination,
        serial=f"{moved.serial_space} {moved.start}-{moved.end}",
        quantity=moved.quantity,
        purpose="NDC",
    )
    return Transfer(request=request, block=moved, created_at=created_at, updated_at=created_at)


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
