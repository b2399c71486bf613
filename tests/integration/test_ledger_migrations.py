"""The ledger's migrations: they build the schema from nothing and match the models exactly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from domain.transfers import TransferState
from ledger import Ledger
from ledger.database import MIGRATIONS, alembic_config, open_engine, upgrade_to_head
from ledger.models import Base
from tests.integration.ledger_samples import (
    BACKENDS,
    HK_B,
    VERRA_A,
    block,
    later,
    ledger_url,
    running_cluster,
    transfer,
)
from tests.postgres_cluster import ThrowawayCluster

TABLES = {
    "transfers",
    "transfer_events",
    "serial_reservations",
    "serial_locations",
    "settlement_log",
    "anchors",
    "serial_spans",
    "crosswalk_entries",
    "issuances",
    "credited_generation",
    "generation_certificates",
    "article6_authorisations",
    "first_transfers",
    "corresponding_adjustment_events",
    "pledges",
    "settlement_log_size",
    "anchor_transactions",
    "covered_entities",
    "covered_entity_accounts",
    "verified_emissions",
    "offset_uses",
    "transfer_judgements",
    "audit_events",
    "account_holders",
    "audit_head",
    "owner_keys",
    "signed_request_nonces",
    "library_entries",
    "library_links",
    "green_loans",
    "green_loan_targets",
    "repos",
    "public_benefit_accounts",
    "retirements",
    "finance_events",
    "finance_event_counter",
    "entity_ratings",
    "subscriptions",
    "deliveries",
    "reconciliations",
    "reconciliation_findings",
    "review_holds",
    "log_tree_nodes",
    "log_tree_frontier",
    "alembic_version",
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayCluster]:
    yield from running_cluster()


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return ledger_url(request.param, tmp_path, request)


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = open_engine(url)
    yield engine
    engine.dispose()


def differences(engine: sa.Engine, metadata: sa.MetaData) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_command_line_upgrade_builds_the_schema_on_an_empty_database(url: str, engine: sa.Engine) -> None:
    ini = MIGRATIONS.parent / "alembic.ini"
    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", "upgrade", "head"],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=MIGRATIONS.parent.parent,
    )

    assert set(sa.inspect(engine).get_table_names()) == TABLES
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head()


def test_migrations_and_models_describe_the_same_schema(engine: sa.Engine) -> None:
    upgrade_to_head(engine)

    assert differences(engine, Base.metadata) == []


def test_the_comparison_notices_a_model_the_migrations_lack(engine: sa.Engine) -> None:
    upgrade_to_head(engine)
    drifted = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    sa.Table("loan_links", drifted, sa.Column("loan_id", sa.String(64), primary_key=True))
    drifted.tables["transfers"].append_column(sa.Column("lender", sa.Text(), nullable=True))

    # Each difference is a tuple: (operation, ..., the table or column concerned).
    changes: list[tuple] = differences(engine, drifted)  # type: ignore[assignment]
    found = {(change[0], getattr(change[-1], "name", None)) for change in changes}

    assert ("add_table", "loan_links") in found
    assert ("add_column", "lender") in found


def test_opening_migrates_once_and_downgrade_undoes_everything(url: str, engine: sa.Engine) -> None:
    Ledger.open(url).close()
    Ledger.open(url).close()  # already at head: nothing to do

    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}

    Ledger.open(url).close()
    assert set(sa.inspect(engine).get_table_names()) == TABLES


@pytest.mark.postgres
def test_postgresql_itself_refuses_overlapping_ranges(cluster: ThrowawayCluster) -> None:
    # The autogenerate comparison cannot see exclusion constraints, so look for them directly.
    engine = open_engine(cluster.create_database())
    try:
        upgrade_to_head(engine)
        with engine.connect() as connection:
            constraints = connection.execute(
                sa.text("SELECT conname FROM pg_constraint WHERE contype = 'x' ORDER BY conname")
            ).scalars()
            assert list(constraints) == ["ex_serial_locations_overlap", "ex_serial_reservations_overlap"]

        with engine.begin() as connection:
            for transfer_id in ("T1", "T2"):
                connection.execute(
                    sa.text(
                        "INSERT INTO transfers VALUES (:id, 'r', 'a', 'r2', 'b', 's', NULL, '', '{}',"
                        " 'VCS', 1, 1, 'received', '[]', now(), now(), NULL)"
                    ),
                    {"id": transfer_id},
                )
        insert = sa.text(
            "INSERT INTO serial_reservations VALUES (:id, 'VCS', :start, :end, '{}', 'r', 'a', now())"
        )
        with engine.begin() as connection:
            connection.execute(insert, {"id": "T1", "start": 100, "end": 200})
        with (
            pytest.raises(sa.exc.IntegrityError, match="ex_serial_reservations_overlap"),
            engine.begin() as connection,
        ):
            connection.execute(insert, {"id": "T2", "start": 200, "end": 300})
        with engine.begin() as connection:
            connection.execute(insert, {"id": "T2", "start": 201, "end": 300})
    finally:
        engine.dispose()


def test_upgrading_a_ledger_with_transfers_records_their_widest_block_per_serial_space(
    url: str, engine: sa.Engine
) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0002")
    with engine.begin() as connection:
        for transfer_id, space, start, end in (
            ("T1", "VCS", 1, 10),
            ("T2", "VCS", 100, 599),
            ("T3", "GS:1", 5, 5),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO transfers VALUES (:id, 'r', 'a', 'r2', 'b', 's', NULL, '', '{}',"
                    " :space, :start, :end, 'received', '[]', :at, :at, NULL)"
                ),
                {
                    "id": transfer_id,
                    "space": space,
                    "start": start,
                    "end": end,
                    "at": "2026-01-05 09:30:00+00",
                },
            )

    Ledger.open(url).close()

    with engine.connect() as connection:
        spans = connection.execute(sa.text("SELECT kind, serial_space, longest FROM serial_spans ORDER BY 2"))
        assert [tuple(row) for row in spans] == [("transfers", "GS:1", 0), ("transfers", "VCS", 499)]


def _insert_settled_transfer(connection: sa.Connection, index: int) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO transfers (transfer_id, source_registry_id, source_account_id,"
            " destination_registry_id, destination_account_id, serial, quantity, purpose, block,"
            ' serial_space, start, "end", state, reasons, created_at, updated_at, settled_at)'
            " VALUES (:id, 'r', 'a', 'r2', 'b', 's', NULL, '', '{}',"
            " 'VCS', :start, :start, 'settled', '[]', :at, :at, :at)"
        ),
        {"id": f"T{index}", "start": index + 1, "at": "2026-01-05 09:30:00+00"},
    )
    connection.execute(
        sa.text("INSERT INTO settlement_log VALUES (:index, :id, :leaf, :at)"),
        {"index": index, "id": f"T{index}", "leaf": b"leaf", "at": "2026-01-05 09:30:00+00"},
    )


def test_upgrading_a_ledger_with_a_settlement_log_seeds_its_size_from_the_log(
    url: str, engine: sa.Engine
) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
    with engine.begin() as connection:
        for index in range(3):
            _insert_settled_transfer(connection, index)

    with Ledger.open(url) as ledger:
        assert ledger.log_size() == 3
        assert len(ledger.log_leaves()) == 3
        moved = block(100, 199)
        ledger.record_received(transfer("T9", moved))
        ledger.reserve("T9", moved, VERRA_A)
        for minute, state in enumerate(
            (TransferState.CHECKED, TransferState.SOURCE_LOCKED, TransferState.DESTINATION_CREDITED)
        ):
            ledger.advance("T9", state, later(minute))
        ledger.settle("T9", HK_B, later(5), b"new leaf")
        entry = ledger.log_entry("T9")
        assert entry is not None and entry.leaf_index == 3
        assert ledger.log_size() == 4

    with engine.connect() as connection:
        counter = connection.execute(sa.text("SELECT singleton, size FROM settlement_log_size"))
        assert [tuple(row) for row in counter] == [(1, 4)]


def test_downgrading_0004_keeps_the_log_and_upgrading_again_reseeds_the_counter(
    url: str, engine: sa.Engine
) -> None:
    Ledger.open(url).close()
    with engine.begin() as connection:
        for index in range(2):
            _insert_settled_transfer(connection, index)
        connection.execute(sa.text("UPDATE settlement_log_size SET size = 2"))
        command.downgrade(alembic_config(connection), "0003")
    assert {"settlement_log_size", "anchor_transactions"}.isdisjoint(sa.inspect(engine).get_table_names())
    with engine.begin() as connection:
        _insert_settled_transfer(connection, 2)  # settled by a gateway still on 0003

    with Ledger.open(url) as ledger:
        assert ledger.log_size() == 3
