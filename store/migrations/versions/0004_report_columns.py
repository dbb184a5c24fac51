"""Report columns: each exit's session start, tag links, stage lists, a session's consent.

``exits.session_started_at`` lets the funnel pick its cohort (sessions started in a window)
without joining ``sessions``, and ``sessions.stage_list`` lets it group without hashing JSON;
``candidate_tags.previous_at`` lets the tags report count candidates without
``COUNT(DISTINCT ...)``; the ``sessions.consent_*`` columns keep the notice a candidate
accepted. Existing rows are backfilled from what is already stored.

Revision ID: 0004_report_columns
Revises: 0003_contest
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_report_columns"
down_revision: str | None = "0003_contest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)
_FUNNEL_INDEX = ("ix_exits_session_started_at_job_id_stage_kind", "exits")
_FUNNEL_COLUMNS = ["session_started_at", "job_id", "stage", "kind"]
_TAGS_INDEX = ("ix_candidate_tags_tag_previous_at_at", "candidate_tags")
_TAGS_COLUMNS = ["tag", "previous_at", "at", "candidate_id", "job_id"]

# Correlated subqueries run on SQLite and PostgreSQL alike; each probes an index
# (the sessions key; candidate_tags by candidate_id, tag, at), so they stay linear.
_BACKFILL_EXITS = """
UPDATE exits SET session_started_at = (
    SELECT sessions.started_at FROM sessions WHERE sessions.session_id = exits.session_id
)
WHERE session_started_at IS NULL
"""
# Stage names match [A-Za-z0-9_.-]+ (StageName): the JSON list's text without its spaces,
# quotes and brackets is the names joined by commas, on either database.
_BACKFILL_STAGE_LISTS = """
UPDATE sessions SET stage_list = REPLACE(REPLACE(REPLACE(REPLACE(
    CAST(stages AS TEXT), ' ', ''), '"', ''), '[', ''), ']', '')
"""
_BACKFILL_TAGS = """
UPDATE candidate_tags SET previous_at = (
    SELECT MAX(earlier.at) FROM candidate_tags AS earlier
    WHERE earlier.candidate_id = candidate_tags.candidate_id
      AND earlier.tag = candidate_tags.tag
      AND (earlier.at < candidate_tags.at
           OR (earlier.at = candidate_tags.at AND earlier.exit_id < candidate_tags.exit_id))
)
"""


def upgrade() -> None:
    """Add the columns, backfill them, then swap the report indexes that use them."""
    op.add_column("sessions", sa.Column("consent_notice_version", sa.String(64), nullable=True))
    op.add_column("sessions", sa.Column("consent_accepted_at", _TIME, nullable=True))
    op.add_column("sessions", sa.Column("consent_text_sha256", sa.String(64), nullable=True))
    op.add_column("sessions", sa.Column("stage_list", sa.Text(), nullable=True))
    op.add_column("exits", sa.Column("session_started_at", _TIME, nullable=True))
    op.add_column("candidate_tags", sa.Column("previous_at", _TIME, nullable=True))
    op.execute(_BACKFILL_EXITS)
    op.execute(_BACKFILL_STAGE_LISTS)
    op.execute(_BACKFILL_TAGS)
    # Built after the backfill, so each is written once instead of updated row by row.
    op.drop_index("ix_exits_session_id_stage_kind", table_name="exits")
    op.create_index(*_FUNNEL_INDEX, _FUNNEL_COLUMNS)
    op.drop_index("ix_candidate_tags_tag_candidate_id_at_job_id", table_name="candidate_tags")
    op.create_index(*_TAGS_INDEX, _TAGS_COLUMNS)
    _funnel_sessions_index("stage_list")


def downgrade() -> None:
    """Restore the former indexes and drop the columns (the consent kept in them is lost)."""
    _funnel_sessions_index("stages")
    op.drop_index(_TAGS_INDEX[0], table_name=_TAGS_INDEX[1])
    op.create_index(
        "ix_candidate_tags_tag_candidate_id_at_job_id",
        "candidate_tags",
        ["tag", "candidate_id", "at", "job_id"],
    )
    op.drop_index(_FUNNEL_INDEX[0], table_name=_FUNNEL_INDEX[1])
    op.create_index("ix_exits_session_id_stage_kind", "exits", ["session_id", "stage", "kind"])
    with op.batch_alter_table("candidate_tags") as batch:
        batch.drop_column("previous_at")
    with op.batch_alter_table("exits") as batch:
        batch.drop_column("session_started_at")
    with op.batch_alter_table("sessions") as batch:
        for column in (
            "stage_list",
            "consent_text_sha256",
            "consent_accepted_at",
            "consent_notice_version",
        ):
            batch.drop_column(column)


def _funnel_sessions_index(stage_column: str) -> None:
    # SQLite only, as in the baseline: PostgreSQL caps an index entry's size.
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_sessions_funnel", table_name="sessions")
    columns = ["started_at", "job_id", "current_stage", "status", stage_column]
    op.create_index("ix_sessions_funnel", "sessions", columns)
