"""API keys made at run time (``exitflow keys``), stored by the SHA-256 of their secret.

Revision ID: 0007_api_keys
Revises: 0006_audit_personal
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_api_keys"
down_revision: str | None = "0006_audit_personal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``api_keys``, with a unique index on the secret's hash (the lookup key)."""
    op.create_table(
        "api_keys",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=True),
        sa.Column("last_used_at", _TIME, nullable=True),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("uq_api_keys_secret_hash", "api_keys", ["secret_hash"], unique=True)


def downgrade() -> None:
    """Drop ``api_keys``: every key made at run time stops working."""
    op.drop_index("uq_api_keys_secret_hash", table_name="api_keys")
    op.drop_table("api_keys")
