"""exitflow's tables: typed SQLAlchemy 2 declarative models, one class per table.

Times are stored in UTC and always come back timezone-aware, on SQLite as on PostgreSQL,
so that rows compare and sort the same on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime kept in UTC; naive values are taken to be UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        aware = value.astimezone(UTC)
        # SQLite keeps the text without an offset: drop it only once the value is in UTC.
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments a column declared exactly INTEGER.
AutoId = BigInteger().with_variant(Integer(), "sqlite")
Short = String(128)


class Base(DeclarativeBase):
    """Declarative base of every exitflow table."""

    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads it as a class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: Json,
        list[Any]: Json,
        str: Short,
    }


class SessionRow(Base):
    """The latest known state of one interview session."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_started_at_job_id", "started_at", "job_id"),
        # Covering indexes of the reports: their scans never touch the rows.
        Index("ix_sessions_job_id_started_at_status", "job_id", "started_at", "status"),
        Index(
            "ix_sessions_interviewer_id_started_at_job_id_status",
            "interviewer_id",
            "started_at",
            "job_id",
            "status",
        ),
        # The funnel groups by the JSON stage list: SQLite only, since PostgreSQL caps the
        # size of an index entry and a session's stage list has no length limit.
        Index(
            "ix_sessions_funnel",
            "started_at",
            "job_id",
            "current_stage",
            "status",
            "stages",
        ).ddl_if(dialect="sqlite"),
    )

    session_id: Mapped[str] = mapped_column(primary_key=True)
    workflow_id: Mapped[str]
    candidate_id: Mapped[str] = mapped_column(index=True)
    candidate_name: Mapped[str | None] = mapped_column(String(200))
    candidate_email: Mapped[str | None] = mapped_column(String(320))
    candidate_phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str] = mapped_column(index=True)
    job_title: Mapped[str] = mapped_column(String(200))
    interviewer_id: Mapped[str] = mapped_column(index=True)
    stages: Mapped[list[Any]]
    policy: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(32), index=True)
    current_stage: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    resume_deadline: Mapped[datetime | None]
    last_event_seq: Mapped[int]


class SegmentRow(Base):
    """One saved piece of a session's work; a repeated ``segment_id`` replaces it."""

    __tablename__ = "segments"

    session_id: Mapped[str] = mapped_column(primary_key=True)
    segment_id: Mapped[str] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    video_seconds: Mapped[float | None] = mapped_column(Float)
    questions_answered: Mapped[int | None]
    questions_correct: Mapped[int | None]
    artifact_uri: Mapped[str | None] = mapped_column(String(2048))
    saved_at: Mapped[datetime]


class ExitRow(Base):
    """One exit, flattened for analytics: who or what ended the session, why, where."""

    __tablename__ = "exits"
    __table_args__ = (
        Index("ix_exits_at_exit_id", "at", "exit_id"),
        # The reports filter by kind, then a time window, then (often) a job; resume reads
        # the two stamps too, so that its scan never touches the rows.
        Index("ix_exits_kind_at_job_id_stamps", "kind", "at", "job_id", "resumed_at", "expired_at"),
        Index("ix_exits_kind_job_id_at", "kind", "job_id", "at"),
        # The funnel's semi-join from exits to the sessions of its window.
        Index("ix_exits_session_id_stage_kind", "session_id", "stage", "kind"),
    )

    exit_id: Mapped[str] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(index=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    job_id: Mapped[str] = mapped_column(index=True)
    interviewer_id: Mapped[str] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    reason_code: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    notice_text: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[str | None]
    actor_name: Mapped[str | None] = mapped_column(String(200))
    fault_cause: Mapped[str | None] = mapped_column(String(32), index=True)
    fault_detail: Mapped[str | None] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    client_browser: Mapped[str | None] = mapped_column(String(64))
    client_browser_version: Mapped[str | None] = mapped_column(String(64))
    client_os: Mapped[str | None] = mapped_column(String(64))
    client_device: Mapped[str | None] = mapped_column(String(64))
    client_network_latency_ms: Mapped[float | None] = mapped_column(Float)
    resumed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]


class CandidateTagRow(Base):
    """A preference tag read from one of a candidate's exits, e.g. salary above range.

    Written in the same transaction as the exit it comes from, so tags never lag exits.
    """

    __tablename__ = "candidate_tags"
    __table_args__ = (
        # Both cover the tags report, window included: per tag and per candidate (in its
        # order). No index on ``at`` alone: SQLite would take it for any window, then sort.
        Index(
            "ix_candidate_tags_tag_candidate_id_at_job_id", "tag", "candidate_id", "at", "job_id"
        ),
        Index(
            "ix_candidate_tags_candidate_id_tag_at_job_id", "candidate_id", "tag", "at", "job_id"
        ),
    )

    exit_id: Mapped[str] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    candidate_id: Mapped[str]
    session_id: Mapped[str]
    job_id: Mapped[str] = mapped_column(index=True)
    reason_code: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class SessionEventRow(Base):
    """Every event recorded, as the workflow emitted it; its key makes recording idempotent."""

    __tablename__ = "session_events"

    event_id: Mapped[str] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]


class AuditRow(Base):
    """One link of the tamper-evident audit chain; ``id`` is the chain order."""

    __tablename__ = "audit_log"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - ids are never reused

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(unique=True)
    session_id: Mapped[str] = mapped_column(index=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class DeliveryRow(Base):
    """How one channel's delivery of one event went."""

    __tablename__ = "deliveries"

    event_id: Mapped[str] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int]
    status_code: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class DownstreamStepRow(Base):
    """A step a session leads to, and how far it got."""

    __tablename__ = "downstream_steps"

    session_id: Mapped[str] = mapped_column(primary_key=True)
    step_id: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    scheduled_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
