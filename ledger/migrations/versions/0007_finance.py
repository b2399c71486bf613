"""Carbon finance: the project library, green loans and what they finance, pledges as the lender's act,
repos, public-benefit accounts and retirements, the banks' event log, ratings, subscriptions and deliveries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
WHEN = sa.DateTime(timezone=True)
MONEY = sa.String(64)  # an exact decimal as text (ledger.models.DecimalText)


def upgrade() -> None:
    op.create_table(
        "entity_ratings",
        sa.Column(
            "rating_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("formula_version", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=2), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("computed_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("rating_id", name="pk_entity_ratings"),
    )
    op.create_index("ix_entity_ratings_entity", "entity_ratings", ["entity_id", "rating_id"], unique=False)
    counter = op.create_table(
        "finance_event_counter",
        sa.Column("singleton", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name="pk_finance_event_counter"),
    )
    op.create_table(
        "finance_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=256), nullable=False),
        sa.Column("org", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", ID, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_finance_events"),
        sa.UniqueConstraint("event_id", "org", name="uq_finance_events_event_id_org"),
    )
    op.create_index("ix_finance_events_org", "finance_events", ["org", "seq"], unique=False)
    op.create_table(
        "green_loans",
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("lender", ID, nullable=False),
        sa.Column("borrower_entity", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("use_of_proceeds", sa.Text(), nullable=False),
        sa.Column("sign_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("loan_id", name="pk_green_loans"),
    )
    op.create_index("ix_green_loans_borrower", "green_loans", ["borrower_entity"], unique=False)
    op.create_index("ix_green_loans_lender", "green_loans", ["lender", "created_at", "loan_id"], unique=False)
    op.create_table(
        "library_entries",
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("owner_entity", ID, nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("location", sa.String(length=32), nullable=False),
        sa.Column("expected_reductions_t", sa.BigInteger(), nullable=False),
        sa.Column("funding_currency", sa.String(length=3), nullable=False),
        sa.Column("funding_amount", MONEY, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("recorded_by", ID, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name="pk_library_entries"),
    )
    op.create_index("ix_library_entries_created", "library_entries", ["created_at", "entry_id"], unique=False)
    op.create_table(
        "public_benefit_accounts",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("holding_registry_id", ID, nullable=False),
        sa.Column("holding_account_id", ID, nullable=False),
        sa.Column("operator", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_public_benefit_accounts"),
    )
    op.create_table(
        "repos",
        sa.Column("repo_id", ID, nullable=False),
        sa.Column("seller", ID, nullable=False),
        sa.Column("buyer", ID, nullable=False),
        sa.Column("seller_registry_id", ID, nullable=False),
        sa.Column("seller_account_id", ID, nullable=False),
        sa.Column("buyer_registry_id", ID, nullable=False),
        sa.Column("buyer_account_id", ID, nullable=False),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("repurchase_quantity", sa.BigInteger(), nullable=False),
        sa.Column("repurchase_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("repo_id", name="pk_repos"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("owner_org", ID, nullable=False),
        sa.Column("endpoint_url", sa.Text(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("secret", ID, nullable=False),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("subscription_id", name="pk_subscriptions"),
    )
    op.create_index("ix_subscriptions_owner_org", "subscriptions", ["owner_org"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("subscription_id", ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_attempt_at", WHEN, nullable=True),
        sa.Column("delivered_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.subscription_id"],
            name="fk_deliveries_subscription_id_subscriptions",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "seq", name="pk_deliveries"),
    )
    op.create_index("ix_deliveries_state", "deliveries", ["subscription_id", "state", "seq"], unique=False)
    op.create_table(
        "green_loan_targets",
        sa.Column("loan_id", ID, nullable=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("programme", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["green_loans.loan_id"], name="fk_green_loan_targets_loan_id_green_loans"
        ),
        sa.PrimaryKeyConstraint(
            "loan_id", "entry_id", "programme", "project_id", name="pk_green_loan_targets"
        ),
    )
    op.create_index("ix_green_loan_targets_entry", "green_loan_targets", ["entry_id"], unique=False)
    op.create_index(
        "ix_green_loan_targets_project", "green_loan_targets", ["programme", "project_id"], unique=False
    )
    op.create_table(
        "library_links",
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("programme", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["library_entries.entry_id"], name="fk_library_links_entry_id_library_entries"
        ),
        sa.PrimaryKeyConstraint("entry_id", "programme", "project_id", name="pk_library_links"),
    )
    op.create_index("ix_library_links_project", "library_links", ["programme", "project_id"], unique=False)
    op.create_table(
        "retirements",
        sa.Column("retirement_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("seller_registry_id", ID, nullable=True),
        sa.Column("seller_account_id", ID, nullable=True),
        sa.Column("serial", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("requested_by", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("retired_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["public_benefit_accounts.account_id"],
            name="fk_retirements_account_id_public_benefit_accounts",
        ),
        sa.PrimaryKeyConstraint("retirement_id", name="pk_retirements"),
    )
    op.create_index("ix_retirements_account_id", "retirements", ["account_id"], unique=False)
    op.add_column(
        "pledges", sa.Column("state", sa.String(length=32), server_default="active", nullable=False)
    )
    op.add_column("pledges", sa.Column("loan_id", ID, nullable=True))
    op.add_column("pledges", sa.Column("serial", sa.Text(), nullable=True))
    op.add_column("pledges", sa.Column("consented_transfer_id", ID, nullable=True))
    op.create_index("ix_pledges_lender", "pledges", ["lender", "pledged_at"], unique=False)
    op.bulk_insert(counter, [{"singleton": 1, "next_seq": 1}])
    op.execute("UPDATE pledges SET state = 'released' WHERE released_at IS NOT NULL")


def downgrade() -> None:

    op.drop_index("ix_pledges_lender", table_name="pledges")
    op.drop_column("pledges", "consented_transfer_id")
    op.drop_column("pledges", "serial")
    op.drop_column("pledges", "loan_id")
    op.drop_column("pledges", "state")
    op.drop_index("ix_retirements_account_id", table_name="retirements")
    op.drop_table("retirements")
    op.drop_index("ix_library_links_project", table_name="library_links")
    op.drop_table("library_links")
    op.drop_index("ix_green_loan_targets_project", table_name="green_loan_targets")
    op.drop_index("ix_green_loan_targets_entry", table_name="green_loan_targets")
    op.drop_table("green_loan_targets")
    op.drop_index("ix_deliveries_state", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_subscriptions_owner_org", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("repos")
    op.drop_table("public_benefit_accounts")
    op.drop_index("ix_library_entries_created", table_name="library_entries")
    op.drop_table("library_entries")
    op.drop_index("ix_green_loans_lender", table_name="green_loans")
    op.drop_index("ix_green_loans_borrower", table_name="green_loans")
    op.drop_table("green_loans")
    op.drop_index("ix_finance_events_org", table_name="finance_events")
    op.drop_table("finance_events")
    op.drop_table("finance_event_counter")
    op.drop_index("ix_entity_ratings_entity", table_name="entity_ratings")
    op.drop_table("entity_ratings")
