"""Recruiting effect: completion rate and withdrawal share per job, before and after a change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contract.codes import SessionStatus
from reports._common import (
    Report,
    ReportFilter,
    as_int,
    count_where,
    share,
)
from store.tables import SessionRow


class PeriodRates(BaseModel):
    """Sessions started in one period and how they went."""

    sessions: int = 0
    completed: int = 0
    withdrawn: int = 0
    completion_rate: float = 0.0
    withdrawal_share: float = 0.0
    """Active withdrawals (the candidate quit on purpose) as a share of sessions started."""


class JobEffect(BaseModel):
    """One job before and after ``change_at``, and how each rate moved (after − before)."""

    job_id: str
    before: PeriodRates
    after: PeriodRates
    completion_rate_change: float
    withdrawal_share_change: float


class RecruitingEffect(Report):
    """Per job: sessions started in ``[since, change_at)`` against ``[change_at, until)``."""

    change_at: datetime
    jobs: list[JobEffect]

    def rows(self) -> list[dict[str, Any]]:
        """One row per job."""
        return [
            {
                "job_id": job.job_id,
                "sessions_before": job.before.sessions,
                "completion_before": job.before.completion_rate,
                "withdrawal_before": job.before.withdrawal_share,
                "sessions_after": job.after.sessions,
                "completion_after": job.after.completion_rate,
                "withdrawal_after": job.after.withdrawal_share,
                "completion_change": job.completion_rate_change,
                "withdrawal_change": job.withdrawal_share_change,
            }
            for job in self.jobs
        ]


async def recruiting_effect(
    conn: AsyncConnection, report_filter: ReportFilter, *, change_at: datetime
) -> RecruitingEffect:
    """Both periods in one GROUP BY job; rates and changes computed from the counts.

    The period is counted, not grouped on, so that the GROUP BY can follow an index.
    """
    status, later = SessionRow.status, SessionRow.started_at >= change_at
    completed, withdrawn = SessionStatus.COMPLETED.value, SessionStatus.WITHDRAWN.value
    query = (
        select(
            SessionRow.job_id,
            func.count(),
            count_where(status == completed),
            count_where(status == withdrawn),
            count_where(later),
            count_where(and_(later, status == completed)),
            count_where(and_(later, status == withdrawn)),
        )
        .where(*report_filter.where(SessionRow.started_at, SessionRow.job_id))
        .group_by(SessionRow.job_id)
    )
    groups = await conn.execute(query)
    return await asyncio.to_thread(_fold, report_filter, groups, change_at)


def _fold(
    report_filter: ReportFilter, groups: Iterable[Any], change_at: datetime
) -> RecruitingEffect:
    periods: dict[str, tuple[PeriodRates, PeriodRates]] = {}
    for job_id, *counts in groups:
        n, done, quit_, n_after, done_after, quit_after = (as_int(c) for c in counts)
        periods[job_id] = (
            _rates(n - n_after, done - done_after, quit_ - quit_after),
            _rates(n_after, done_after, quit_after),
        )
    jobs = []
    for job_id in sorted(periods):
        before, after = periods[job_id]
        jobs.append(
            JobEffect(
                job_id=job_id,
                before=before,
                after=after,
                completion_rate_change=round(after.completion_rate - before.completion_rate, 4),
                withdrawal_share_change=round(after.withdrawal_share - before.withdrawal_share, 4),
            )
        )
    return RecruitingEffect(filter=report_filter, change_at=change_at, jobs=jobs)


def _rates(sessions: int, completed: int, withdrawn: int) -> PeriodRates:
    return PeriodRates(
        sessions=sessions,
        completed=completed,
        withdrawn=withdrawn,
        completion_rate=share(completed, sessions),
        withdrawal_share=share(withdrawn, sessions),
    )
