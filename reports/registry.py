"""Every report by name, and how to run one on an engine in a read-only transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reports._common import Report, ReportFilter, ReportTime
from reports.faults import fault_breakdown
from reports.funnel import stage_funnel
from reports.interviewers import interviewer_report
from reports.reasons import withdrawal_reasons
from reports.recruiting import recruiting_effect
from reports.reengagement import reengagement_list
from reports.resume import resume_report
from reports.tags import candidate_tags
from store.engine import DEFERRED_BEGIN, is_statement_timeout, statement_timeout

REPORT_WORK_MEM = "64MB"
"""PostgreSQL memory per sort or hash of a report, enough for a million exits."""
DEFAULT_TIMEOUT_SECONDS = 30.0
"""How long a report may query when its caller sets no limit (``EXITFLOW_REPORT_TIMEOUT_SECONDS``
has the same default)."""


class ReportTimeout(Exception):
    """The database stopped a report that ran longer than its time limit."""

    def __init__(self, name: str, timeout_seconds: float) -> None:
        """Name the report and the limit it ran into."""
        super().__init__(f"the {name} report ran longer than {timeout_seconds:g} s and was stopped")
        self.name = name
        self.timeout_seconds = timeout_seconds


class ReportOptions(BaseModel):
    """What some reports take beyond the window and job; the others ignore it."""

    change_at: ReportTime | None = None
    """``recruiting``: where the two compared periods meet."""
    candidate_id: str | None = Field(default=None, max_length=128)
    """``tags``: one candidate only."""
    min_sessions: int = Field(default=20, ge=1, le=1_000_000)
    """``interviewers``: fewer sessions than this are never flagged."""
    limit: int = Field(default=500, ge=1, le=10_000)
    """``funnel`` (stages), ``tags`` and ``reengagement``: at most this many rows."""


async def _recruiting(
    conn: AsyncConnection, report_filter: ReportFilter, options: ReportOptions
) -> Report:
    change_at = options.change_at
    if change_at is None:
        if report_filter.since is None or report_filter.until is None:
            raise ValueError("recruiting needs change_at, or both since and until to split")
        change_at = report_filter.since + (report_filter.until - report_filter.since) / 2
    return await recruiting_effect(conn, report_filter, change_at=change_at)


ReportRunner = Callable[[AsyncConnection, ReportFilter, ReportOptions], Awaitable[Report]]

REPORTS: dict[str, ReportRunner] = {
    "funnel": lambda conn, f, o: stage_funnel(conn, f, limit=o.limit),
    "reasons": lambda conn, f, o: withdrawal_reasons(conn, f),
    "faults": lambda conn, f, o: fault_breakdown(conn, f),
    "resume": lambda conn, f, o: resume_report(conn, f),
    "interviewers": lambda conn, f, o: interviewer_report(conn, f, min_sessions=o.min_sessions),
    "recruiting": _recruiting,
    "tags": lambda conn, f, o: candidate_tags(conn, f, candidate_id=o.candidate_id, limit=o.limit),
    "reengagement": lambda conn, f, o: reengagement_list(conn, f, limit=o.limit),
}
"""Report name → runner, in the order the CLI and the dashboard show them."""


async def run_report(
    engine: AsyncEngine,
    name: str,
    report_filter: ReportFilter,
    options: ReportOptions | None = None,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> Report:
    """Run report ``name`` in one read-only transaction (SQLite: without the write lock).

    The database stops the report's queries after ``timeout_seconds`` (``statement_timeout``);
    what the report computes in Python runs in a worker thread, off the event loop.

    Raises:
        KeyError: When no report has this name.
        ValueError: When the report needs an option it was not given.
        ReportTimeout: When the database stopped the report at its time limit.
    """
    runner = REPORTS[name]
    reader = engine.execution_options(**{DEFERRED_BEGIN: True})
    try:
        async with reader.connect() as conn:
            if conn.dialect.name == "postgresql":
                # The default 4MB makes PostgreSQL sort a GROUP BY on disk instead of hashing
                # it, and split the funnel's hash join into batches; this holds for this
                # transaction.
                await conn.execute(text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))
            async with statement_timeout(conn, timeout_seconds):
                return await runner(conn, report_filter, options or ReportOptions())
    except DBAPIError as err:
        if is_statement_timeout(err):
            raise ReportTimeout(name, timeout_seconds) from None
        raise
