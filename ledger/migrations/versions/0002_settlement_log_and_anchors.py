"""The append-only settlement log and the anchored tree heads.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "settlement_log",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("transfer_id", sa.String(128), nullable=False),
        sa.Column("leaf", sa.LargeBinary(), nullable=False),
        sa.Column("appended_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_settlement_log_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("leaf_index", name="pk_settlement_log"),
        sa.UniqueConstraint("transfer_id", name="uq_settlement_log_transfer_id"),
    )
    op.create_table(
        "anchors",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_address", sa.String(42), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("sent_at", WHEN, nullable=False),
        sa.Column("final_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("tree_size", name="pk_anchors"),
    )


def downgrade() -> None:
    op.drop_table("anchors")
    op.drop_table("settlement_log")
