"""The settlement log's Merkle tree kept incrementally: stored perfect-subtree roots and their frontier.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('log_tree_frontier',
    sa.Column('singleton', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('leaves', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('singleton', name=op.f('pk_log_tree_frontier'))
    )
    op.create_table('log_tree_nodes',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_log_tree_nodes'))
    )


def downgrade() -> None:
    op.drop_table('log_tree_nodes')
    op.drop_table('log_tree_frontier')
