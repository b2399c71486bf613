"""Transfers, their events, and the serial-block index (reservations and locations).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
STATE = sa.String(32)
WHEN = sa.DateTime(timezone=True)


def _range_columns() -> list[sa.Column]:
    return [
        sa.Column("serial_space", sa.Text(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("block", sa.JSON(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("source_registry_id", ID, nullable=False),
        sa.Column("source_account_id", ID, nullable=False),
        sa.Column("destination_registry_id", ID, nullable=False),
        sa.Column("destination_account_id", ID, nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("block", sa.JSON(), nullable=False),
        sa.Column("serial_space", sa.Text(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("settled_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_transfers"),
    )
    op.create_index("ix_transfers_state", "transfers", ["state"])
    op.create_index("ix_transfers_created_at_transfer_id", "transfers", ["created_at", "transfer_id"])
    op.create_index("ix_transfers_source", "transfers", ["source_registry_id", "source_account_id"])
    op.create_index(
        "ix_transfers_destination", "transfers", ["destination_registry_id", "destination_account_id"]
    )
    op.create_index("ix_transfers_serial_range", "transfers", ["serial_space", "start", "end"])

    op.create_table(
        "transfer_events",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_transfer_events_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("transfer_id", "seq", name="pk_transfer_events"),
    )

    op.create_table(
        "serial_reservations",
        sa.Column("transfer_id", ID, nullable=False),
        *_range_columns(),
        sa.Column("source_registry_id", ID, nullable=False),
        sa.Column("source_account_id", ID, nullable=False),
        sa.Column("reserved_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_serial_reservations_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_serial_reservations"),
    )
    op.create_index(
        "ix_serial_reservations_range", "serial_reservations", ["serial_space", "start", "end"], unique=True
    )

    op.create_table(
        "serial_locations",
        sa.Column(
            "location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        *_range_columns(),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("settled_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_serial_locations_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("location_id", name="pk_serial_locations"),
    )
    op.create_index(
        "ix_serial_locations_range", "serial_locations", ["serial_space", "start", "end"], unique=True
    )
    op.create_index("ix_serial_locations_transfer_id", "serial_locations", ["transfer_id"])

    if op.get_bind().dialect.name == "postgresql":
        _refuse_overlaps_in_postgresql()


def _refuse_overlaps_in_postgresql() -> None:
    """No two overlapping ranges of one serial space, enforced by the database under any interleaving."""
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table in ("serial_reservations", "serial_locations"):
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT ex_{table}_overlap "
            "EXCLUDE USING gist (serial_space WITH =, int8range(start, \"end\", '[]') WITH &&)"
        )


def downgrade() -> None:
    op.drop_table("serial_locations")
    op.drop_table("serial_reservations")
    op.drop_table("transfer_events")
    op.drop_table("transfers")
