"""Whether each recorded actor was proven by a sign-in (contract section 9).

A termination, contest decision, hold, lift or erasure made by a signed-in person names the
person from their token (``verified``); one made with an API key keeps the name the caller
sent, unverified. Rows from before this revision were all made with keys: false.

Revision ID: 0008_actor_verified
Revises: 0007_api_keys
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_actor_verified"
down_revision: str | None = "0007_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("exits", "actor_verified"),
    ("contests", "decided_by_verified"),
    ("litigation_holds", "set_by_verified"),
    ("litigation_holds", "lifted_by_verified"),
    ("erasure_requests", "requested_by_verified"),
)


def upgrade() -> None:
    """Add one boolean per actor, false for every existing row."""
    for table, column in COLUMNS:
        op.add_column(
            table, sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop the columns."""
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
