"""What the session workflow hands to the exit pipeline's activities."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from contract.codes import DownstreamStatus, EventType, SessionStatus
from contract.sessions import (
    Candidate,
    ClientInfo,
    Consent,
    Contest,
    DownstreamView,
    ExitRecord,
    Job,
    Segment,
    SessionPolicy,
)


class Suspension(BaseModel):
    """A running resume window."""

    suspension_id: str
    exit_id: str
    suspended_at: datetime
    resume_deadline: datetime
    resume_token: str


class ContestWindow(BaseModel):
    """The time a terminated candidate has to contest the decision, and its raw token."""

    exit_id: str
    opened_at: datetime
    deadline: datetime
    contest_token: str


class SessionSnapshot(BaseModel):
    """The whole session at the moment of an event."""

    session_id: str
    workflow_id: str
    candidate: Candidate
    job: Job
    interviewer_id: str
    stages: list[str]
    policy: SessionPolicy
    status: SessionStatus
    current_stage: str
    started_at: datetime
    ended_at: datetime | None = None
    segments: list[Segment] = Field(default_factory=list)
    suspension: Suspension | None = None
    downstream: list[DownstreamView] = Field(default_factory=list)
    consent: Consent | None = None
    contest_window: ContestWindow | None = None


class SessionEvent(BaseModel):
    """One state change; ``event_id`` keys every side effect it causes.

    The record, the audit entry, the webhook (its ``webhook-id``) and the email (its
    ``Message-ID``) all derive from ``event_id``, so a retried activity or a restarted
    worker finds the work already done instead of doing it twice.
    """

    event_id: str
    type: EventType
    seq: int
    at: datetime
    session: SessionSnapshot
    exit: ExitRecord | None = None
    cancelled_steps: list[DownstreamView] = Field(default_factory=list)
    restored_steps: list[DownstreamView] = Field(default_factory=list)
    """Set on ``termination.overturned``: the steps the termination cancelled, scheduled again."""
    contest: Contest | None = None
    """Set on ``termination.*`` events: the contest as it stands after the event."""


class DownstreamChange(BaseModel):
    """A downstream step moved to a new status."""

    session_id: str
    step_id: str
    kind: str
    scheduled_at: datetime
    status: DownstreamStatus
    at: datetime
    reason: str | None = None


class DeliveryOutcome(BaseModel):
    """How one channel's delivery of one event ended."""

    channel: str
    outcome: str
    """``sent``, ``failed`` (permanent, recorded) or ``skipped`` (channel not configured)."""
    attempts: int = 1
    status_code: int | None = None
    detail: str | None = None


class LastSeenRequest(BaseModel):
    """Input of ``read_last_seen``: whose page, and as of which moment of the workflow."""

    session_id: str
    as_of: datetime
    """The workflow's now: the timeline its timers run on (skipped in time-skipping tests)."""


class LastSeen(BaseModel):
    """What the store knows of a session's page: its latest heartbeat through the API."""

    seconds_ago: float | None = None
    """Seconds from that heartbeat to ``as_of`` (never negative); None: no beat noted."""
    client: ClientInfo | None = None
