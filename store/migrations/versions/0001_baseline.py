"""Baseline: exitflow's schema as it was before migrations existed.

A database made then by ``create_all`` has exactly these tables and indexes; it is stamped
at this revision, not upgraded to it.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_baseline"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in tables.py at the time: later edits there must not change
# what this revision creates. Times are plain timestamps with a zone; keeping them in UTC
# is the Python side's job (UTCDateTime).
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SHORT = sa.String(128)
_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the eight tables of exitflow and their indexes."""
    # One create_all of a frozen snapshot instead of one ``op`` per table and index: the
    # same DDL in a third of the time, and every test's fresh database runs it.
    _baseline().create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    """Drop the eight tables and their indexes."""
    _baseline().drop_all(op.get_bind(), checkfirst=False)


def _column(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    return sa.Column(name, type_, nullable=null)


def _indexed(name: str, type_: sa.types.TypeEngine[Any], *, null: bool = False) -> sa.Column[Any]:
    # ``mapped_column(index=True)``: an index named ix_<table>_<column>.
    return sa.Column(name, type_, nullable=null, index=True)


@functools.cache
def _baseline() -> sa.MetaData:
    # Built once per process (the revision module is loaded once): building the tables
    # costs more than creating them in a fresh database.
    metadata = sa.MetaData()
    sa.Table(
        "sessions",
        metadata,
        sa.Column("session_id", _SHORT, primary_key=True),
        _column("workflow_id", _SHORT),
        _indexed("candidate_id", _SHORT),
        _column("candidate_name", sa.String(200), null=True),
        _column("candidate_email", sa.String(320), null=True),
        _column("candidate_phone", sa.String(32), null=True),
        _column("locale", sa.String(16)),
        _indexed("job_id", _SHORT),
        _column("job_title", sa.String(200)),
        _indexed("interviewer_id", _SHORT),
        _column("stages", _JSON),
        _column("policy", _JSON),
        _indexed("status", sa.String(32)),
        _column("current_stage", sa.String(64)),
        _indexed("started_at", _TIME),
        _column("updated_at", _TIME),
        _column("ended_at", _TIME, null=True),
        _column("resume_deadline", _TIME, null=True),
        _column("last_event_seq", sa.Integer()),
        sa.Index("ix_sessions_started_at_job_id", "started_at", "job_id"),
        sa.Index("ix_sessions_job_id_started_at_status", "job_id", "started_at", "status"),
        sa.Index(
            "ix_sessions_interviewer_id_started_at_job_id_status",
            *("interviewer_id", "started_at", "job_id", "status"),
        ),
        # SQLite only: PostgreSQL caps an index entry's size, and the stage list has no limit.
        sa.Index(
            "ix_sessions_funnel", "started_at", "job_id", "current_stage", "status", "stages"
        ).ddl_if(dialect="sqlite"),
    )
    sa.Table(
        "segments",
        metadata,
        sa.Column("session_id", _SHORT, primary_key=True),
        sa.Column("segment_id", _SHORT, primary_key=True),
        _column("stage", sa.String(64)),
        _column("kind", sa.String(32)),
        _column("video_seconds", sa.Float(), null=True),
        _column("questions_answered", sa.Integer(), null=True),
        _column("questions_correct", sa.Integer(), null=True),
        _column("artifact_uri", sa.String(2048), null=True),
        _column("saved_at", _TIME),
    )
    sa.Table(
        "exits",
        metadata,
        sa.Column("exit_id", _SHORT, primary_key=True),
        _indexed("session_id", _SHORT),
        _indexed("candidate_id", _SHORT),
        _indexed("job_id", _SHORT),
        _indexed("interviewer_id", _SHORT),
        _indexed("kind", sa.String(32)),
        _indexed("reason_code", sa.String(64)),
        _indexed("stage", sa.String(64)),
        _indexed("at", _TIME),
        _column("comment", sa.Text(), null=True),
        _column("explanation", sa.Text(), null=True),
        _column("notice_text", sa.Text(), null=True),
        _column("actor_id", _SHORT, null=True),
        _column("actor_name", sa.String(200), null=True),
        _indexed("fault_cause", sa.String(32), null=True),
        _column("fault_detail", sa.Text(), null=True),
        _column("client_ip", sa.String(64), null=True),
        _column("client_browser", sa.String(64), null=True),
        _column("client_browser_version", sa.String(64), null=True),
        _column("client_os", sa.String(64), null=True),
        _column("client_device", sa.String(64), null=True),
        _column("client_network_latency_ms", sa.Float(), null=True),
        _column("resumed_at", _TIME, null=True),
        _column("expired_at", _TIME, null=True),
        sa.Index("ix_exits_at_exit_id", "at", "exit_id"),
        sa.Index(
            "ix_exits_kind_at_job_id_stamps", "kind", "at", "job_id", "resumed_at", "expired_at"
        ),
        sa.Index("ix_exits_kind_job_id_at", "kind", "job_id", "at"),
        sa.Index("ix_exits_session_id_stage_kind", "session_id", "stage", "kind"),
    )
    sa.Table(
        "candidate_tags",
        metadata,
        sa.Column("exit_id", _SHORT, primary_key=True),
        sa.Column("tag", sa.String(64), primary_key=True),
        _column("candidate_id", _SHORT),
        _column("session_id", _SHORT),
        _indexed("job_id", _SHORT),
        _column("reason_code", sa.String(64)),
        _column("at", _TIME),
        sa.Index(
            "ix_candidate_tags_tag_candidate_id_at_job_id", "tag", "candidate_id", "at", "job_id"
        ),
        sa.Index(
            "ix_candidate_tags_candidate_id_tag_at_job_id", "candidate_id", "tag", "at", "job_id"
        ),
    )
    sa.Table(
        "session_events",
        metadata,
        sa.Column("event_id", _SHORT, primary_key=True),
        _indexed("session_id", _SHORT),
        _indexed("type", sa.String(64)),
        _column("seq", sa.Integer()),
        _indexed("at", _TIME),
        _column("payload", _JSON),
    )
    sa.Table(
        "audit_log",
        metadata,
        sa.Column("id", _AUTO_ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", _SHORT, nullable=False, unique=True),
        _indexed("session_id", _SHORT),
        _indexed("candidate_id", _SHORT),
        _column("type", sa.String(64)),
        _indexed("at", _TIME),
        _column("body", sa.Text()),
        _column("prev_hash", sa.String(64)),
        _column("hash", sa.String(64)),
        # The id is the chain order: SQLite must never reuse a deleted last row's id.
        sqlite_autoincrement=True,
    )
    sa.Table(
        "deliveries",
        metadata,
        sa.Column("event_id", _SHORT, primary_key=True),
        sa.Column("channel", sa.String(32), primary_key=True),
        _indexed("outcome", sa.String(16)),
        _column("attempts", sa.Integer()),
        _column("status_code", sa.Integer(), null=True),
        _column("detail", sa.Text(), null=True),
        _column("updated_at", _TIME),
    )
    sa.Table(
        "downstream_steps",
        metadata,
        sa.Column("session_id", _SHORT, primary_key=True),
        sa.Column("step_id", _SHORT, primary_key=True),
        _indexed("kind", sa.String(32)),
        _column("scheduled_at", _TIME),
        _indexed("status", sa.String(16)),
        _column("reason", sa.Text(), null=True),
        _column("updated_at", _TIME),
    )
    return metadata
