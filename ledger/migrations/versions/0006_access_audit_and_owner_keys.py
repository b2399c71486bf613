"""Who submitted each transfer and who holds each account; the hash-chained audit log; project
owners' keys and used nonces.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(128)
WHEN = sa.DateTime(timezone=True)

# On PostgreSQL the audit log refuses UPDATE and DELETE outright, whoever asks.
_APPEND_ONLY = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""


def upgrade() -> None:
    op.add_column("transfers", sa.Column("submitted_by", ID, nullable=True))
    op.create_index("ix_transfers_submitted_by", "transfers", ["submitted_by", "created_at", "transfer_id"])
    op.create_table(
        "account_holders",
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("holder_org", ID, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("recorded_by", ID, nullable=False),
        sa.PrimaryKeyConstraint("registry_id", "account_id", name="pk_account_holders"),
    )
    op.create_index("ix_account_holders_holder_org", "account_holders", ["holder_org", "registry_id"])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("org", ID, nullable=False),
        sa.Column("caller", ID, nullable=False),
        sa.Column("method", ID, nullable=False),
        sa.Column("target", ID, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
    )
    # A regulator's filtered page (one organisation's calls, one method's) is an index range scan.
    op.create_index("ix_audit_events_org_seq", "audit_events", ["org", "seq"])
    op.create_index("ix_audit_events_method_seq", "audit_events", ["method", "seq"])
    head = op.create_table(
        "audit_head",
        sa.Column("singleton", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("singleton", name="pk_audit_head"),
    )
    op.bulk_insert(head, [{"singleton": 1, "size": 0, "hash": b""}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)
    op.create_table(
        "owner_keys",
        sa.Column("key_id", ID, nullable=False),
        sa.Column("registry_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("owner_org", ID, nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("registered_at", WHEN, nullable=False),
        sa.Column("registered_by", ID, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("revoked_by", ID, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name="pk_owner_keys"),
    )
    op.create_index("ix_owner_keys_account", "owner_keys", ["registry_id", "account_id"])
    op.create_table(
        "signed_request_nonces",
        sa.Column("key_id", ID, nullable=False),
        sa.Column("nonce", ID, nullable=False),
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["key_id"], ["owner_keys.key_id"], name="fk_signed_request_nonces_key_id_owner_keys"
        ),
        sa.PrimaryKeyConstraint("key_id", "nonce", name="pk_signed_request_nonces"),
    )


def downgrade() -> None:
    op.drop_table("signed_request_nonces")
    op.drop_index("ix_owner_keys_account", table_name="owner_keys")
    op.drop_table("owner_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_method_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_org_seq", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_account_holders_holder_org", table_name="account_holders")
    op.drop_table("account_holders")
    op.drop_index("ix_transfers_submitted_by", table_name="transfers")
    op.drop_column("transfers", "submitted_by")
