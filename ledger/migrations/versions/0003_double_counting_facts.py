"""The double-counting facts: crosswalk, issuances, generation, Article 6 records, pledges, serial spans.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
STATE = sa.String(32)
WHEN = sa.DateTime(timezone=True)
MWH = sa.String(64)  # exact decimals as text


def _range_columns(nullable: bool = False) -> list[sa.Column]:
    return [
        sa.Column("serial_space", sa.Text(), nullable=nullable),
        sa.Column("start", sa.BigInteger(), nullable=nullable),
        sa.Column("end", sa.BigInteger(), nullable=nullable),
        sa.Column("block", sa.JSON(), nullable=nullable),
    ]


def _period_columns() -> list[sa.Column]:
    return [
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
    ]


def _range_index(table: str) -> None:
    op.create_index(f"ix_{table}_serial_range", table, ["serial_space", "start", "end"])


def upgrade() -> None:
    op.create_table(
        "serial_spans",
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("serial_space", sa.Text(), nullable=False),
        sa.Column("longest", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "serial_space", name="pk_serial_spans"),
    )
    # Transfers recorded before this revision: their widest block per space bounds `lineage`.
    op.execute(
        "INSERT INTO serial_spans (kind, serial_space, longest) "
        "SELECT 'transfers', serial_space, MAX(\"end\" - start) FROM transfers GROUP BY serial_space"
    )

    op.create_table(
        "crosswalk_entries",
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("programme_a", ID, nullable=False),
        sa.Column("project_a", ID, nullable=False),
        sa.Column("programme_b", ID, nullable=False),
        sa.Column("project_b", ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("source_reference", sa.Text(), nullable=False),
        sa.Column("loaded_by", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("link", name="pk_crosswalk_entries"),
    )
    op.create_index("ix_crosswalk_entries_side_a", "crosswalk_entries", ["programme_a", "project_a"])
    op.create_index("ix_crosswalk_entries_side_b", "crosswalk_entries", ["programme_b", "project_b"])

    op.create_table(
        "issuances",
        sa.Column("programme", ID, nullable=False),
        sa.Column("issuance_id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        *_period_columns(),
        *_range_columns(),
        sa.PrimaryKeyConstraint("programme", "issuance_id", name="pk_issuances"),
    )
    op.create_index("ix_issuances_project", "issuances", ["programme", "project_id", "period_start"])
    _range_index("issuances")

    op.create_table(
        "credited_generation",
        sa.Column("programme", ID, nullable=False),
        sa.Column("issuance_id", ID, nullable=False),
        sa.Column("plant_id", ID, nullable=False),
        *_period_columns(),
        sa.Column("generated_mwh", MWH, nullable=False),
        sa.Column("credited_mwh", MWH, nullable=False),
        *_range_columns(),
        sa.PrimaryKeyConstraint("programme", "issuance_id", name="pk_credited_generation"),
    )
    _range_index("credited_generation")

    op.create_table(
        "generation_certificates",
        sa.Column("programme", ID, nullable=False),
        sa.Column("certificate_id", ID, nullable=False),
        sa.Column("plant_id", ID, nullable=False),
        *_period_columns(),
        sa.Column("mwh", MWH, nullable=False),
        sa.PrimaryKeyConstraint("programme", "certificate_id", name="pk_generation_certificates"),
    )
    op.create_index(
        "ix_generation_certificates_plant", "generation_certificates", ["plant_id", "period_start"]
    )

    op.create_table(
        "article6_authorisations",
        sa.Column("authorisation_id", ID, nullable=False),
        sa.Column("host_party", sa.String(2), nullable=False),
        sa.Column("authorised_use", STATE, nullable=False),
        sa.Column("cooperative_approach_id", ID, nullable=False),
        sa.Column("authorised_on", sa.Date(), nullable=False),
        sa.Column("mitigation_type", sa.Text(), nullable=False),
        *_range_columns(nullable=True),
        sa.Column("programme", ID, nullable=True),
        sa.Column("project_id", ID, nullable=True),
        sa.Column("vintage", ID, nullable=True),
        sa.PrimaryKeyConstraint("authorisation_id", name="pk_article6_authorisations"),
    )
    _range_index("article6_authorisations")
    op.create_index(
        "ix_article6_authorisations_project",
        "article6_authorisations",
        ["programme", "project_id", "vintage"],
    )

    op.create_table(
        "first_transfers",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("authorisation_id", ID, nullable=False),
        sa.Column("host_party", sa.String(2), nullable=False),
        sa.Column("acquiring_party", sa.String(2), nullable=False),
        sa.Column("transferred_at", WHEN, nullable=False),
        sa.Column("adjustment", STATE, nullable=False),
        *_range_columns(),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["article6_authorisations.authorisation_id"],
            name="fk_first_transfers_authorisation_id_article6_authorisations",
        ),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_first_transfers"),
    )
    op.create_index("ix_first_transfers_authorisation_id", "first_transfers", ["authorisation_id"])
    _range_index("first_transfers")

    op.create_table(
        "corresponding_adjustment_events",
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", STATE, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["first_transfers.transfer_id"],
            name="fk_corresponding_adjustment_events_transfer_id_first_transfers",
        ),
        sa.PrimaryKeyConstraint("transfer_id", "seq", name="pk_corresponding_adjustment_events"),
    )

    op.create_table(
        "pledges",
        sa.Column("pledge_id", ID, nullable=False),
        sa.Column("lender", sa.Text(), nullable=False),
        sa.Column("holder_registry_id", ID, nullable=False),
        sa.Column("holder_account_id", ID, nullable=False),
        sa.Column("pledged_at", WHEN, nullable=False),
        sa.Column("released_at", WHEN, nullable=True),
        *_range_columns(),
        sa.PrimaryKeyConstraint("pledge_id", name="pk_pledges"),
    )
    _range_index("pledges")


def downgrade() -> None:
    op.drop_table("pledges")
    op.drop_table("corresponding_adjustment_events")
    op.drop_table("first_transfers")
    op.drop_table("article6_authorisations")
    op.drop_table("generation_certificates")
    op.drop_table("credited_generation")
    op.drop_table("issuances")
    op.drop_table("crosswalk_entries")
    op.drop_table("serial_spans")
