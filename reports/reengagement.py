"""Re-engagement list: candidates whose session expired or broke, for jobs still open."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from contract.codes import ExitKind, SessionStatus
from reports._common import Report, ReportFilter
from store.tables import ExitRow, SessionRow


class ReengagementCandidate(BaseModel):
    """Someone worth inviting back, how to reach them, and what happened."""

    candidate_id: str
    name: str | None
    email: str | None
    phone: str | None
    locale: str
    job_id: str
    job_title: str
    session_id: str
    kind: ExitKind
    """``expired`` (the window closed) or ``system_fault`` (still suspended after a fault)."""
    reason_code: str
    stage: str
    at: datetime
    resume_deadline: datetime | None


class ReengagementList(Report):
    """Newest first; a job counts as still open when a session for it started in the window.

    A candidate is left out once they have a later session for the same job that is active
    or completed: they came back by themselves. A session whose personal data was erased or
    aged out is left out too: there is no one to contact, and an erased candidate asked
    not to be.
    """

    candidates: list[ReengagementCandidate]
    limit: int = Field(ge=1)
    truncated: bool

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate and session."""
        return [item.model_dump() for item in self.candidates]


async def reengagement_list(
    conn: AsyncConnection, report_filter: ReportFilter, *, limit: int = 500
) -> ReengagementList:
    """Expired exits and still-open faults in the window, joined to the session's contact."""
    opener = aliased(SessionRow)
    later = aliased(SessionRow)
    job_open = exists().where(
        opener.job_id == ExitRow.job_id, *report_filter.window(opener.started_at)
    )
    came_back = exists().where(
        later.candidate_id == ExitRow.candidate_id,
        later.job_id == ExitRow.job_id,
        later.started_at > ExitRow.at,
        later.status.in_((SessionStatus.ACTIVE.value, SessionStatus.COMPLETED.value)),
    )
    open_fault = and_(
        ExitRow.kind == ExitKind.SYSTEM_FAULT.value,
        ExitRow.resumed_at.is_(None),
        ExitRow.expired_at.is_(None),
    )
    query = (
        select(
            ExitRow.candidate_id,
            SessionRow.candidate_name,
            SessionRow.candidate_email,
            SessionRow.candidate_phone,
            SessionRow.locale,
            ExitRow.job_id,
            SessionRow.job_title,
            ExitRow.session_id,
            ExitRow.kind,
            ExitRow.reason_code,
            ExitRow.stage,
            ExitRow.at,
            SessionRow.resume_deadline,
        )
        .join(SessionRow, SessionRow.session_id == ExitRow.session_id)
        .where(
            or_(ExitRow.kind == ExitKind.EXPIRED.value, open_fault),
            *report_filter.where(ExitRow.at, ExitRow.job_id),
            job_open,
            ~came_back,
            SessionRow.anonymised_at.is_(None),
        )
        .order_by(ExitRow.at.desc(), ExitRow.exit_id.desc())
        .limit(limit + 1)
    )
    rows = await conn.execute(query)
    return await asyncio.to_thread(_fold, report_filter, limit, rows)


def _fold(report_filter: ReportFilter, limit: int, rows: Iterable[Any]) -> ReengagementList:
    found = [
        ReengagementCandidate(
            candidate_id=row.candidate_id,
            name=row.candidate_name,
            email=row.candidate_email,
            phone=row.candidate_phone,
            locale=row.locale,
            job_id=row.job_id,
            job_title=row.job_title,
            session_id=row.session_id,
            kind=ExitKind(row.kind),
            reason_code=row.reason_code,
            stage=row.stage,
            at=row.at,
            resume_deadline=row.resume_deadline if row.kind != ExitKind.EXPIRED else None,
        )
        for row in rows
    ]
    return ReengagementList(
        filter=report_filter,
        candidates=found[:limit],
        limit=limit,
        truncated=len(found) > limit,
    )
