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
    false,
    text,
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
        # The funnel groups by the stage list: SQLite only, since PostgreSQL caps the size
        # of an index entry and a session's stage list has no length limit.
        Index(
            "ix_sessions_funnel",
            "started_at",
            "job_id",
            "current_stage",
            "status",
            "stage_list",
        ).ddl_if(dialect="sqlite"),
        # Retention finds ended sessions not yet anonymised, oldest first.
        Index("ix_sessions_anonymised_at_updated_at", "anonymised_at", "updated_at"),
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
    # ``stages`` joined by commas (no stage name has one): the funnel groups on it, which
    # costs PostgreSQL a fraction of hashing the JSON list.
    stage_list: Mapped[str | None] = mapped_column(Text)
    policy: Mapped[dict[str, Any]]
    # The notice the candidate accepted before the interview (all three None without one).
    consent_notice_version: Mapped[str | None] = mapped_column(String(64))
    consent_accepted_at: Mapped[datetime | None]
    consent_text_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), index=True)
    current_stage: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    resume_deadline: Mapped[datetime | None]
    last_event_seq: Mapped[int]
    anonymised_at: Mapped[datetime | None]
    """When retention or an erasure removed the candidate's personal data from the session."""
    last_seen_at: Mapped[datetime | None]
    """The latest heartbeat the API noted (see ``liveness.py``); None before the first."""
    last_client: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )
    """The client that heartbeat reported (``ClientInfo``); its IP is personal data."""


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
        # The funnel: exits of the sessions started in a window, per stage and kind.
        Index(
            "ix_exits_session_started_at_job_id_stage_kind",
            "session_started_at",
            "job_id",
            "stage",
            "kind",
        ),
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
    actor_verified: Mapped[bool] = mapped_column(server_default=false())
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
    # Copied from the session, so that the funnel's cohort (sessions started in a window)
    # needs no join; None only if a migration could not find the session.
    session_started_at: Mapped[datetime | None]


class CandidateTagRow(Base):
    """A preference tag read from one of a candidate's exits, e.g. salary above range.

    Written in the same transaction as the exit it comes from, so tags never lag exits.
    """

    __tablename__ = "candidate_tags"
    __table_args__ = (
        # Both cover the tags report, window included: per tag (counted through
        # ``previous_at``) and per candidate (in its order). No index with ``at`` right
        # after ``tag`` or alone: SQLite would take it for the per-candidate rows of any
        # window, then sort them all instead of stopping at the limit.
        Index(
            "ix_candidate_tags_tag_previous_at_at",
            "tag",
            "previous_at",
            "at",
            "candidate_id",
            "job_id",
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
    previous_at: Mapped[datetime | None]
    """``at`` of the same candidate's previous row with this tag (in ``at, exit_id`` order),
    None for the first: a window's rows with no previous one inside it count its candidates."""


class SessionEventRow(Base):
    """Every event recorded, as the workflow emitted it; its key makes recording idempotent."""

    __tablename__ = "session_events"

    event_id: Mapped[str] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(index=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]


class ContestRow(Base):
    """A candidate's contest of a termination, and HR's decision on it.

    Written by the record transaction of the ``termination.*`` events: HR's review queue.
    """

    __tablename__ = "contests"
    __table_args__ = (
        # The review queue: contests of one status, oldest first, in page order.
        Index("ix_contests_status_contested_at_contest_id", "status", "contested_at", "contest_id"),
    )

    contest_id: Mapped[str] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(index=True)
    exit_id: Mapped[str] = mapped_column(index=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    statement: Mapped[str] = mapped_column(Text)
    contested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[str | None]
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_by_verified: Mapped[bool] = mapped_column(server_default=false())
    decision_explanation: Mapped[str | None] = mapped_column(Text)


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


class AuditPersonalRow(Base):
    """The free text an audit entry sealed by digest (``audit_personal.py``); erasable.

    An erasure or retention blanks ``salt`` and ``fields_json`` and stamps ``erased_at``;
    the row stays, so that a row deleted any other way shows in ``audit verify``.
    """

    __tablename__ = "audit_personal"

    event_id: Mapped[str] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(index=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    salt: Mapped[str | None] = mapped_column(String(64))
    fields_json: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None]


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


class LitigationHoldRow(Base):
    """A litigation hold on a candidate's data; lifted holds stay, as history.

    While a hold is active (``lifted_at`` None) retention skips the candidate and an
    erasure is refused. At most one hold per candidate is active.
    """

    __tablename__ = "litigation_holds"
    __table_args__ = (
        Index(
            "uq_litigation_holds_active_candidate_id",
            "candidate_id",
            unique=True,
            sqlite_where=text("lifted_at IS NULL"),
            postgresql_where=text("lifted_at IS NULL"),
        ),
    )

    hold_id: Mapped[str] = mapped_column(primary_key=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str]
    set_by_name: Mapped[str] = mapped_column(String(200))
    set_by_verified: Mapped[bool] = mapped_column(server_default=false())
    set_at: Mapped[datetime]
    lifted_by: Mapped[str | None]
    lifted_by_name: Mapped[str | None] = mapped_column(String(200))
    lifted_by_verified: Mapped[bool] = mapped_column(server_default=false())
    lifted_at: Mapped[datetime | None]
    lift_reason: Mapped[str | None] = mapped_column(Text)


class ErasureRequestRow(Base):
    """A candidate's request to be erased, and what carrying it out removed."""

    __tablename__ = "erasure_requests"

    request_id: Mapped[str] = mapped_column(primary_key=True)
    candidate_id: Mapped[str] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str]
    requested_by_name: Mapped[str] = mapped_column(String(200))
    requested_by_verified: Mapped[bool] = mapped_column(server_default=false())
    requested_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    counts: Mapped[dict[str, Any] | None]
    session_ids: Mapped[list[Any] | None]
    detail: Mapped[str | None] = mapped_column(Text)


class ApiKeyRow(Base):
    """An API key made at run time (``exitflow keys``): its name, role and times, never the secret.

    ``secret_hash`` is the SHA-256 of the secret. A revoked key keeps its row, so its name
    stays taken and the audit chain's entries about it name one key only.
    """

    __tablename__ = "api_keys"
    __table_args__ = (Index("uq_api_keys_secret_hash", "secret_hash", unique=True),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ExitPolicyRow(Base):
    """One version of an exit policy (contract section 10); a save adds a row, never edits one.

    ``fields`` holds every field of the version; the author is who saved it (``verified`` when
    a sign-in proved it). Version 1 of ``default`` is written by the migration (``system``).
    """

    __tablename__ = "exit_policies"

    policy_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fields: Mapped[dict[str, Any]]
    author_id: Mapped[str]
    author_name: Mapped[str] = mapped_column(String(200))
    author_verified: Mapped[bool]
    at: Mapped[datetime]
