"""The settlement log's size counter and the journal of signed anchor transactions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = sa.String(32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "settlement_log_size",
        sa.Column("singleton", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name="pk_settlement_log_size"),
    )
    # A ledger settled before this revision keeps numbering where its log ends.
    op.execute("INSERT INTO settlement_log_size (singleton, size) SELECT 1, COUNT(*) FROM settlement_log")

    op.create_table(
        "anchor_transactions",
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract_address", sa.String(42), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("max_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("max_priority_fee_per_gas", sa.BigInteger(), nullable=False),
        sa.Column("raw_tx", sa.LargeBinary(), nullable=False),
        sa.Column("signed_at", WHEN, nullable=False),
        sa.Column("status", STATE, nullable=False),
        sa.Column("status_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("tx_hash", name="pk_anchor_transactions"),
        sa.UniqueConstraint(
            "chain_id", "contract_address", "tree_size", "attempt", name="uq_anchor_transactions_attempt"
        ),
    )
    op.create_index(
        "ix_anchor_transactions_sender_nonce", "anchor_transactions", ["chain_id", "sender", "nonce"]
    )


def downgrade() -> None:
    op.drop_table("anchor_transactions")
    op.drop_table("settlement_log_size")
