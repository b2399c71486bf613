"""Reconciliation runs, their findings and regulators' resolutions, and the holds transfers wait on.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

WHEN = sa.DateTime(timezone=True)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("reconciliation_id", sa.String(length=128), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("started_at", WHEN, nullable=False),
        sa.Column("snapshot_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("reconciliation_id", name=op.f("pk_reconciliations")),
    )
    op.create_index(
        "ix_reconciliations_started", "reconciliations", ["started_at", "reconciliation_id"], unique=False
    )
    op.create_table(
        "reconciliation_findings",
        sa.Column("reconciliation_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("finding", sa.JSON(), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["reconciliation_id"],
            ["reconciliations.reconciliation_id"],
            name=op.f("fk_reconciliation_findings_reconciliation_id_reconciliations"),
        ),
        sa.PrimaryKeyConstraint("reconciliation_id", "seq", name=op.f("pk_reconciliation_findings")),
    )
    op.create_index(
        op.f("ix_reconciliation_findings_fingerprint"),
        "reconciliation_findings",
        ["fingerprint"],
        unique=False,
    )
    op.create_table(
        "review_holds",
        sa.Column(
            "hold_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("reconciliation_id", sa.String(length=128), nullable=False),
        sa.Column("serial_space", sa.Text(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["reconciliation_id"],
            ["reconciliations.reconciliation_id"],
            name=op.f("fk_review_holds_reconciliation_id_reconciliations"),
        ),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_review_holds")),
    )
    op.create_index("ix_review_holds_range", "review_holds", ["serial_space", "start", "end"], unique=False)
    op.create_index("ix_review_holds_run", "review_holds", ["reconciliation_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_review_holds_run", table_name="review_holds")
    op.drop_index("ix_review_holds_range", table_name="review_holds")
    op.drop_table("review_holds")
    op.drop_index(op.f("ix_reconciliation_findings_fingerprint"), table_name="reconciliation_findings")
    op.drop_table("reconciliation_findings")
    op.drop_index("ix_reconciliations_started", table_name="reconciliations")
    op.drop_table("reconciliations")
