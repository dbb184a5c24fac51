"""Termination contests: the candidate's contest of a termination and HR's decision.

Revision ID: 0003_contest
Revises: 0002_data_rights
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_contest"
down_revision: str | None = "0002_data_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_SHORT = sa.String(128)
_TIME = sa.DateTime(timezone=True)


def _column(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def upgrade() -> None:
    """Create ``contests`` with its review-queue index."""
    op.create_table(
        "contests",
        _column("contest_id", _SHORT),
        _column("session_id", _SHORT),
        _column("exit_id", _SHORT),
        _column("candidate_id", _SHORT),
        _column("statement", sa.Text()),
        _column("contested_at", _TIME),
        _column("status", sa.String(16)),
        _column("decided_at", _TIME, null=True),
        _column("decided_by_id", _SHORT, null=True),
        _column("decided_by_name", sa.String(200), null=True),
        _column("decision_explanation", sa.Text(), null=True),
        sa.PrimaryKeyConstraint("contest_id"),
    )
    for column in ("session_id", "exit_id", "candidate_id"):
        op.create_index(f"ix_contests_{column}", "contests", [column])
    op.create_index(
        "ix_contests_status_contested_at_contest_id",
        "contests",
        ["status", "contested_at", "contest_id"],
    )


def downgrade() -> None:
    """Drop ``contests`` and its indexes."""
    op.drop_table("contests")
