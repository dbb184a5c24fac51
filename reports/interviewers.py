"""Interviewers: each one's exit rate next to the team average, outliers flagged."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
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

OUTLIER_Z = 2.0
"""How many binomial standard errors above the team average flags an interviewer."""


class InterviewerExits(BaseModel):
    """One interviewer's sessions started in the window and how many ended in an exit."""

    interviewer_id: str
    sessions: int
    exited: int
    withdrawn: int
    terminated: int
    expired: int
    exit_rate: float
    z_score: float
    """(rate − team rate) / √(team rate · (1 − team rate) / sessions): small samples score low."""
    flagged: bool


class InterviewerReport(Report):
    """Exit rates per interviewer, the pooled team rate, and who stands far above it."""

    sessions: int
    team_exit_rate: float
    min_sessions: int
    interviewers: list[InterviewerExits]

    def rows(self) -> list[dict[str, Any]]:
        """One row per interviewer, with the team rate beside it."""
        return [
            {**row.model_dump(), "team_exit_rate": self.team_exit_rate} for row in self.interviewers
        ]


async def interviewer_report(
    conn: AsyncConnection, report_filter: ReportFilter, *, min_sessions: int = 20
) -> InterviewerReport:
    """Exit rate per interviewer over sessions started in the window.

    An interviewer is flagged when their rate is at least ``OUTLIER_Z`` standard errors
    above the team's and they had at least ``min_sessions`` sessions.
    """
    status = SessionRow.status
    query = (
        select(
            SessionRow.interviewer_id,
            func.count(),
            count_where(status == SessionStatus.WITHDRAWN.value),
            count_where(status == SessionStatus.TERMINATED.value),
            count_where(status == SessionStatus.EXPIRED.value),
        )
        .where(*report_filter.where(SessionRow.started_at, SessionRow.job_id))
        .group_by(SessionRow.interviewer_id)
    )
    groups = await conn.execute(query)
    return await asyncio.to_thread(_fold, report_filter, groups, min_sessions)


def _fold(
    report_filter: ReportFilter, groups: Iterable[Any], min_sessions: int
) -> InterviewerReport:
    counts = [
        (interviewer, as_int(n), as_int(w), as_int(t), as_int(e))
        for interviewer, n, w, t, e in groups
    ]
    total = sum(row[1] for row in counts)
    team_exited = sum(w + t + e for _, _, w, t, e in counts)
    team_rate = team_exited / total if total else 0.0
    rows = []
    for interviewer, n, withdrawn, terminated, expired in counts:
        exited = withdrawn + terminated + expired
        rate = exited / n
        spread = math.sqrt(team_rate * (1 - team_rate) / n)
        z = (rate - team_rate) / spread if spread else 0.0
        rows.append(
            InterviewerExits(
                interviewer_id=interviewer,
                sessions=n,
                exited=exited,
                withdrawn=withdrawn,
                terminated=terminated,
                expired=expired,
                exit_rate=share(exited, n),
                z_score=round(z, 2),
                flagged=n >= min_sessions and z >= OUTLIER_Z,
            )
        )
    rows.sort(key=lambda row: (-row.exit_rate, row.interviewer_id))
    return InterviewerReport(
        filter=report_filter,
        sessions=total,
        team_exit_rate=share(team_exited, total),
        min_sessions=min_sessions,
        interviewers=rows,
    )
