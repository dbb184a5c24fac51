"""Exit policies (contract section 10): one row per version, and ``default`` version 1.

Version 1 of ``default`` is written here, not made up by code when first read: a session
pins ``(policy_id, version)``, so that version's values must be stored and never change
with the code's defaults. They are today's (``SessionPolicy``'s) defaults, frozen below;
its author is ``system``. It is not in the audit chain: the chain records what a person
or key did, and the chain's writer is store code that a migration must not depend on.

Revision ID: 0009_exit_policies
Revises: 0008_actor_verified
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0009_exit_policies"
down_revision: str | None = "0008_actor_verified"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time, as in the baseline.
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ALL_STEPS = ["assessment", "written_test", "onsite_interview", "other"]
DEFAULT_V1 = {
    "resume_window_hours": 24.0,
    "heartbeat_timeout_seconds": 120.0,
    "reminders_before_deadline_hours": [2.0],
    "channels": ["email"],
    "channels_by_event": {},
    "can_reapply": True,
    "reapply_after_days": 0.0,
    "contest_window_days": 30.0,
    "cancel_downstream": {
        "withdrawn": _ALL_STEPS,
        "terminated": _ALL_STEPS,
        "expired": _ALL_STEPS,
        "system_fault": [],
        "abandoned": [],
    },
    "risk_threshold": 0.7,
    "risk_holdout_share": 0.0,
    "risk_intervention": "none",
    "job_ids": ["*"],
}
"""What a session got before policies existed; never edit (sessions pin version 1)."""


def upgrade() -> None:
    """Create ``exit_policies`` and write ``default`` version 1."""
    table = op.create_table(
        "exit_policies",
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("fields", _JSON, nullable=False),
        sa.Column("author_id", sa.String(128), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("author_verified", sa.Boolean(), nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "version"),
    )
    at = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        at = at.replace(tzinfo=None)  # as UTCDateTime stores it on SQLite
    op.bulk_insert(
        table,
        [
            {
                "policy_id": "default",
                "version": 1,
                "fields": DEFAULT_V1,
                "author_id": "system",
                "author_name": "system",
                "author_verified": True,
                "at": at,
            }
        ],
    )


def downgrade() -> None:
    """Drop ``exit_policies``: every version of every policy goes."""
    op.drop_table("exit_policies")
