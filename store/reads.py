"""What readers (API, CLI, reports) get back from the store: a session's view, an exits page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from contract.codes import DownstreamKind, DownstreamStatus, ExitKind, FaultCause, SessionStatus
from contract.sessions import (
    Actor,
    ClientInfo,
    Consent,
    DownstreamView,
    ExitRecord,
    FaultInfo,
    Segment,
    SessionView,
)
from store.paging import Pager
from store.rows import SUSPENDING_KINDS
from store.tables import DownstreamStepRow, ExitRow, SegmentRow, SessionRow

_OPEN_EXIT_STATUSES = frozenset(
    {
        SessionStatus.SUSPENDED,
        SessionStatus.WITHDRAWN,
        SessionStatus.TERMINATED,
        SessionStatus.EXPIRED,
    }
)

_EXIT_PAGES = Pager(ExitRow.at, ExitRow.exit_id, newest_first=True, max_limit=500)


class StoredExit(BaseModel):
    """One row of ``exits``: an exit flattened with its session's ids, for analytics.

    ``resumed_at`` / ``expired_at`` are set on a ``system_fault`` or ``abandoned`` exit
    once the session was resumed, or its resume window closed.
    """

    model_config = ConfigDict(from_attributes=True)

    exit_id: str
    session_id: str
    candidate_id: str
    job_id: str
    interviewer_id: str
    kind: ExitKind
    reason_code: str
    stage: str
    at: datetime
    comment: str | None = None
    explanation: str | None = None
    notice_text: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None
    actor_verified: bool = False
    fault_cause: str | None = None
    fault_detail: str | None = None
    client_ip: str | None = None
    client_browser: str | None = None
    client_browser_version: str | None = None
    client_os: str | None = None
    client_device: str | None = None
    client_network_latency_ms: float | None = None
    resumed_at: datetime | None = None
    expired_at: datetime | None = None

    def to_record(self) -> ExitRecord:
        """The exit in the shape the workflow and the API use."""
        actor = (
            Actor(id=self.actor_id, name=self.actor_name, verified=self.actor_verified)
            if self.actor_id and self.actor_name
            else None
        )
        fault = None
        if self.kind is ExitKind.SYSTEM_FAULT or self.fault_cause or self.fault_detail:
            client = ClientInfo(
                ip=self.client_ip,
                browser=self.client_browser,
                browser_version=self.client_browser_version,
                os=self.client_os,
                device=self.client_device,
                network_latency_ms=self.client_network_latency_ms,
            )
            fault = FaultInfo(
                cause=FaultCause(self.fault_cause) if self.fault_cause else None,
                detail=self.fault_detail,
                client=client if client.model_dump(exclude_none=True) else None,
            )
        return ExitRecord(
            exit_id=self.exit_id,
            kind=self.kind,
            reason_code=self.reason_code,
            at=self.at,
            stage=self.stage,
            comment=self.comment,
            explanation=self.explanation,
            actor=actor,
            notice_text=self.notice_text,
            fault=fault,
        )


class SchemaRevision(BaseModel):
    """Where the database's schema stands among the migrations."""

    current: str | None
    """The revision the database is at; None before any migration ran."""
    head: str
    """The newest revision."""
    up_to_date: bool


class ExitPage(BaseModel):
    """One page of exits, newest first; pass ``next_cursor`` back for the next page."""

    items: list[StoredExit]
    next_cursor: str | None = None


def _current_exit(records: Sequence[ExitRecord], status: SessionStatus) -> ExitRecord | None:
    """The exit that defines the session now, as the workflow's view has it."""
    if not records or status not in _OPEN_EXIT_STATUSES:
        return None
    latest = records[-1]
    if status is SessionStatus.SUSPENDED and latest.kind not in SUSPENDING_KINDS:
        # Suspended after its termination was overturned: the termination no longer defines
        # it (the workflow clears its exit on reinstatement); it stays in ``exits``.
        return None
    return latest


def session_view(
    session: SessionRow,
    segments: Sequence[SegmentRow],
    exits: Sequence[ExitRow],
    downstream: Sequence[DownstreamStepRow],
) -> SessionView:
    """The contract's session view, rebuilt from stored rows.

    ``exit`` is the latest exit while it still defines the session (suspended or ended by
    it); after a resume or a completion it is None and the history stays in ``exits``.
    """
    status = SessionStatus(session.status)
    records = [StoredExit.model_validate(row).to_record() for row in exits]
    completed = [Segment.model_validate(row, from_attributes=True) for row in segments]
    return SessionView(
        session_id=session.session_id,
        status=status,
        current_stage=session.current_stage,
        completed_segments=completed,
        exit=_current_exit(records, status),
        resume_deadline=session.resume_deadline if status is SessionStatus.SUSPENDED else None,
        downstream=[
            DownstreamView(
                step_id=step.step_id,
                kind=DownstreamKind(step.kind),
                scheduled_at=step.scheduled_at,
                status=DownstreamStatus(step.status),
            )
            for step in downstream
        ],
        candidate_id=session.candidate_id,
        job_id=session.job_id,
        interviewer_id=session.interviewer_id,
        exits=records,
        consent=_consent(session),
    )


def _consent(session: SessionRow) -> Consent | None:
    if session.consent_notice_version is None or session.consent_accepted_at is None:
        return None
    return Consent(
        notice_version=session.consent_notice_version,
        accepted_at=session.consent_accepted_at,
        text_sha256=session.consent_text_sha256,
    )


async def read_session_view(session: AsyncSession, session_id: str) -> SessionView | None:
    """The session's rows, read in one transaction, as :func:`session_view`; None if unknown."""
    row = await session.get(SessionRow, session_id)
    if row is None:
        return None
    segments = await session.scalars(
        select(SegmentRow)
        .where(SegmentRow.session_id == session_id)
        .order_by(SegmentRow.saved_at, SegmentRow.segment_id)
    )
    exits = await session.scalars(
        select(ExitRow)
        .where(ExitRow.session_id == session_id)
        .order_by(ExitRow.at, ExitRow.exit_id)
    )
    steps = await session.scalars(
        select(DownstreamStepRow)
        .where(DownstreamStepRow.session_id == session_id)
        .order_by(DownstreamStepRow.scheduled_at, DownstreamStepRow.step_id)
    )
    return session_view(row, segments.all(), exits.all(), steps.all())


async def list_exits(
    session: AsyncSession,
    *,
    equal_to: Mapping[InstrumentedAttribute[str], object | None],
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    jobs: frozenset[str] | None = None,
) -> ExitPage:
    """One page of exits, newest first, as :meth:`store.Store.list_exits` describes.

    Args:
        session: A read session.
        equal_to: A column of ``exits`` → the value it must equal (as text); None: any.
        since: Only exits at or after this time.
        until: Only exits strictly before this time.
        limit: Page size.
        cursor: ``next_cursor`` of the previous page.
        jobs: Only exits from these jobs; None: every job.
    """
    query = select(ExitRow).where(
        *(column == str(value) for column, value in equal_to.items() if value is not None)
    )
    if jobs is not None:
        query = query.where(ExitRow.job_id.in_(sorted(jobs)) if jobs else false())
    if since is not None:
        query = query.where(ExitRow.at >= since)
    if until is not None:
        query = query.where(ExitRow.at < until)
    query = _EXIT_PAGES.query(query, limit=limit, cursor=cursor)
    rows, next_cursor = _EXIT_PAGES.cut((await session.scalars(query)).all(), limit=limit)
    return ExitPage(items=[StoredExit.model_validate(row) for row in rows], next_cursor=next_cursor)


async def session_job(session: AsyncSession, session_id: str) -> str | None:
    """The job of the recorded session ``session_id``, or None."""
    job: str | None = await session.scalar(
        select(SessionRow.job_id).where(SessionRow.session_id == session_id)
    )
    return job
