"""Why people leave: withdrawal reasons per job, with counts and shares."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contract.codes import ExitKind
from reports._common import Report, ReportFilter, share
from store.tables import ExitRow


class ReasonShare(BaseModel):
    """How often one reason was given, and its share of the withdrawals counted with it."""

    reason_code: str
    count: int
    share: float


class JobReasons(BaseModel):
    """The withdrawals of one job, most frequent reason first."""

    job_id: str
    withdrawals: int
    reasons: list[ReasonShare]


class WithdrawalReasons(Report):
    """Withdrawals in the window, per job and over all jobs."""

    withdrawals: int
    overall: list[ReasonShare]
    jobs: list[JobReasons]

    def rows(self) -> list[dict[str, Any]]:
        """One row per job and reason."""
        return [
            {
                "job_id": job.job_id,
                "reason_code": reason.reason_code,
                "count": reason.count,
                "share": reason.share,
                "job_withdrawals": job.withdrawals,
            }
            for job in self.jobs
            for reason in job.reasons
        ]


async def withdrawal_reasons(
    conn: AsyncConnection, report_filter: ReportFilter
) -> WithdrawalReasons:
    """Count withdrawals per job and reason code in SQL; shares in a worker thread."""
    query = (
        select(ExitRow.job_id, ExitRow.reason_code, func.count())
        .where(
            ExitRow.kind == ExitKind.WITHDRAWN.value,
            *report_filter.where(ExitRow.at, ExitRow.job_id),
        )
        .group_by(ExitRow.job_id, ExitRow.reason_code)
    )
    return await asyncio.to_thread(_fold, report_filter, await conn.execute(query))


def _fold(report_filter: ReportFilter, groups: Iterable[Any]) -> WithdrawalReasons:
    per_job: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = {}
    for job_id, reason, count in groups:
        per_job.setdefault(job_id, {})[reason] = count
        overall[reason] = overall.get(reason, 0) + count
    total = sum(overall.values())
    jobs = [
        JobReasons(job_id=job_id, withdrawals=sum(counts.values()), reasons=_shares(counts))
        for job_id, counts in per_job.items()
    ]
    jobs.sort(key=lambda job: (-job.withdrawals, job.job_id))
    return WithdrawalReasons(
        filter=report_filter, withdrawals=total, overall=_shares(overall), jobs=jobs
    )


def _shares(counts: dict[str, int]) -> list[ReasonShare]:
    whole = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [ReasonShare(reason_code=code, count=n, share=share(n, whole)) for code, n in ranked]
