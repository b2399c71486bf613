"""Covered entities, their accounts and verified emissions; offset use per compliance year; judgements.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("transfers", sa.Column("compliance_year", sa.Integer(), nullable=True))
    op.create_table(
        "covered_entities",
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("market", ID, nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name="pk_covered_entities"),
    )
    op.create_table(
        "covered_entity_accounts",
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["covered_entities.entity_id"],
            name="fk_covered_entity_accounts_entity_id_covered_entities",
        ),
        sa.PrimaryKeyConstraint("registry_id", "account_id", name="pk_covered_entity_accounts"),
    )
    op.create_table(
        "verified_emissions",
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("tonnes", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["covered_entities.entity_id"],
            name="fk_verified_emissions_entity_id_covered_entities",
        ),
        sa.PrimaryKeyConstraint("entity_id", "year", name="pk_verified_emissions"),
    )
    op.create_table(
        "offset_uses",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("programme", sa.Text(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_offset_uses_transfer_id_transfers"
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["covered_entities.entity_id"], name="fk_offset_uses_entity_id_covered_entities"
        ),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_offset_uses"),
    )
    op.create_index("ix_offset_uses_entity_year", "offset_uses", ["entity_id", "year"])
    op.create_table(
        "transfer_judgements",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("compliance_year", sa.Integer(), nullable=False),
        sa.Column("packs", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("judged_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"], ["transfers.transfer_id"], name="fk_transfer_judgements_transfer_id_transfers"
        ),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_transfer_judgements"),
    )


def downgrade() -> None:
    op.drop_table("transfer_judgements")
    op.drop_index("ix_offset_uses_entity_year", table_name="offset_uses")
    op.drop_table("offset_uses")
    op.drop_table("verified_emissions")
    op.drop_table("covered_entity_accounts")
    op.drop_table("covered_entities")
    op.drop_column("transfers", "compliance_year")  # SQLite 3.35+ drops a plain column in place
