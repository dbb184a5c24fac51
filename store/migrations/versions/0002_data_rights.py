"""Candidate data rights: litigation holds, erasure requests, anonymised sessions.

Revision ID: 0002_data_rights
Revises: 0001_baseline
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_data_rights"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_SHORT = sa.String(128)
_TIME = sa.DateTime(timezone=True)
_ACTIVE = "lifted_at IS NULL"


def _column(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def upgrade() -> None:
    """Add ``sessions.anonymised_at``, ``litigation_holds`` and ``erasure_requests``."""
    # A nullable column: SQLite adds it in place, no table copy needed.
    op.add_column("sessions", _column("anonymised_at", _TIME, null=True))
    op.create_index(
        "ix_sessions_anonymised_at_updated_at", "sessions", ["anonymised_at", "updated_at"]
    )
    op.create_table(
        "litigation_holds",
        _column("hold_id", _SHORT),
        _column("candidate_id", _SHORT),
        _column("reason", sa.Text()),
        _column("set_by", _SHORT),
        _column("set_by_name", sa.String(200)),
        _column("set_at", _TIME),
        _column("lifted_by", _SHORT, null=True),
        _column("lifted_by_name", sa.String(200), null=True),
        _column("lifted_at", _TIME, null=True),
        _column("lift_reason", sa.Text(), null=True),
        sa.PrimaryKeyConstraint("hold_id"),
    )
    op.create_index("ix_litigation_holds_candidate_id", "litigation_holds", ["candidate_id"])
    # At most one active hold per candidate, whatever races the API loses.
    op.create_index(
        "uq_litigation_holds_active_candidate_id",
        "litigation_holds",
        ["candidate_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )
    op.create_table(
        "erasure_requests",
        _column("request_id", _SHORT),
        _column("candidate_id", _SHORT),
        _column("status", sa.String(16)),
        _column("reason", sa.Text(), null=True),
        _column("requested_by", _SHORT),
        _column("requested_by_name", sa.String(200)),
        _column("requested_at", _TIME),
        _column("completed_at", _TIME, null=True),
        _column("counts", _JSON, null=True),
        _column("session_ids", _JSON, null=True),
        _column("detail", sa.Text(), null=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index("ix_erasure_requests_candidate_id", "erasure_requests", ["candidate_id"])


def downgrade() -> None:
    """Undo ``upgrade``: anonymised data stays anonymised, only the marks go."""
    op.drop_table("erasure_requests")
    op.drop_table("litigation_holds")
    op.drop_index("ix_sessions_anonymised_at_updated_at", table_name="sessions")
    # SQLite drops a column only by copying the table.
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("anonymised_at")
