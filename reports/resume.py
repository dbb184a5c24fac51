"""Resume: of the sessions suspended in the window, how many came back, how fast, or expired."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from reports._common import (
    Report,
    ReportFilter,
    as_int,
    count_where,
    seconds_between,
    share,
)
from store.rows import SUSPENDING_KINDS
from store.tables import ExitRow


class ResumeReport(Report):
    """Suspensions (faults and abandonments) that began in the window, and how they ended.

    A resume is only accepted inside the window, so every resumed suspension counts as
    resumed in time. ``pending`` ones are still inside their window.
    """

    suspended: int
    resumed: int
    expired: int
    pending: int
    resumed_share: float
    expired_share: float
    median_seconds_to_resume: float | None

    def rows(self) -> list[dict[str, Any]]:
        """A single row."""
        return [self.model_dump(exclude={"filter"})]


async def resume_report(conn: AsyncConnection, report_filter: ReportFilter) -> ResumeReport:
    """Counts in one aggregate; the exact median by ordering only the resumed ones in SQL.

    SQLite has no percentile function, so both databases use the same bounded approach: the
    middle one or two durations, fetched with ``ORDER BY ... LIMIT 2 OFFSET (n-1)/2``.
    """
    where = (
        ExitRow.kind.in_(SUSPENDING_KINDS),
        *report_filter.where(ExitRow.at, ExitRow.job_id),
    )
    totals = (
        await conn.execute(
            select(
                func.count(),
                count_where(ExitRow.resumed_at.is_not(None)),
                count_where(ExitRow.expired_at.is_not(None)),
            ).where(*where)
        )
    ).one()
    suspended, resumed, expired = (as_int(value) for value in totals)
    median = None
    if resumed:
        duration = seconds_between(ExitRow.resumed_at, ExitRow.at, conn.dialect)
        # PostgreSQL's epoch is a numeric, slow to sort; the interval sorts the same, faster.
        postgres = conn.dialect.name == "postgresql"
        order = ExitRow.resumed_at - ExitRow.at if postgres else duration
        middle = await conn.scalars(
            select(duration)
            .where(*where, ExitRow.resumed_at.is_not(None))
            .order_by(order)
            .limit(2 - resumed % 2)
            .offset((resumed - 1) // 2)
        )
        values = [float(value) for value in middle]
        median = round(sum(values) / len(values), 3)
    return ResumeReport(
        filter=report_filter,
        suspended=suspended,
        resumed=resumed,
        expired=expired,
        pending=suspended - resumed - expired,
        resumed_share=share(resumed, suspended),
        expired_share=share(expired, suspended),
        median_seconds_to_resume=median,
    )
