"""Heartbeats on the session row: when the API last heard the page, and its client.

Revision ID: 0005_last_seen
Revises: 0004_report_columns
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0005_last_seen"
down_revision: str | None = "0004_report_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    """Add ``sessions.last_seen_at`` and ``sessions.last_client`` (both NULL until a beat)."""
    op.add_column("sessions", sa.Column("last_seen_at", _TIME, nullable=True))
    op.add_column("sessions", sa.Column("last_client", _JSON, nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_client")
        batch.drop_column("last_seen_at")
