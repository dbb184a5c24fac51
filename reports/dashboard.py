"""The dashboard: the reports as one HTML page with SVG charts (``dashboard.html``).

Rendered on the server, so the page needs no script and loads nothing from elsewhere.
"""

from __future__ import annotations

import asyncio
from html import escape
from pathlib import Path
from string import Template
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncEngine

from reports._common import Report, ReportFilter
from reports.charts import Bar, bar_chart, percent
from reports.faults import FaultBreakdown
from reports.funnel import StageFunnel
from reports.interviewers import InterviewerReport
from reports.reasons import WithdrawalReasons
from reports.reengagement import ReengagementList
from reports.registry import DEFAULT_TIMEOUT_SECONDS, ReportOptions, run_report
from reports.resume import ResumeReport

_TEMPLATE = Template((Path(__file__).parent / "dashboard.html").read_text(encoding="utf-8"))
_MAX_TABLE_ROWS = 50
_MAX_COUNTED = 1_000
"""The re-engagement tile counts up to this many (then shows ``1000+``): the page needs a
number, not ten thousand contacts loaded into memory."""


class Account(NamedTuple):
    """The person the page is for, and the sign-out form's CSRF token (None: no form)."""

    name: str
    csrf_token: str | None = None


async def dashboard_page(
    engine: AsyncEngine,
    where: ReportFilter,
    *,
    since: str = "",
    until: str = "",
    job_id: str = "",
    account: Account | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
) -> str:
    """Funnel, reasons, fault causes and interviewer comparison for the window and job.

    Args:
        engine: The store's engine; every report runs in its own read-only transaction.
        where: The window and job the reports cover.
        since: What the page's "from" field shows, as the reader typed it.
        until: What the page's "to" field shows.
        job_id: What the page's "job" field shows.
        account: Who is signed in, shown with a sign-out button when it has a CSRF token.
        timeout_seconds: How long each report may query (``run_report``).

    Raises:
        ReportTimeout: When the database stopped one of the reports at its time limit.
    """

    async def run(name: str, options: ReportOptions | None = None) -> Report:
        return await run_report(engine, name, where, options, timeout_seconds=timeout_seconds)

    funnel = await run("funnel")
    reasons = await run("reasons")
    faults = await run("faults")
    resume = await run("resume")
    people = await run("interviewers", ReportOptions(min_sessions=10))
    reengage = await run("reengagement", ReportOptions(limit=_MAX_COUNTED))
    assert isinstance(funnel, StageFunnel) and isinstance(reasons, WithdrawalReasons)
    assert isinstance(faults, FaultBreakdown) and isinstance(resume, ResumeReport)
    assert isinstance(people, InterviewerReport) and isinstance(reengage, ReengagementList)
    shown = _Shown(funnel, reasons, faults, resume, people, reengage)
    # Drawing is CPU work: a worker thread does it, so the event loop keeps answering.
    fields = (since, until, job_id)
    return await asyncio.to_thread(_page, where, shown, fields, account)


class _Shown(NamedTuple):
    """The reports the page shows."""

    funnel: StageFunnel
    reasons: WithdrawalReasons
    faults: FaultBreakdown
    resume: ResumeReport
    people: InterviewerReport
    reengage: ReengagementList


def _page(
    where: ReportFilter, shown: _Shown, fields: tuple[str, str, str], account: Account | None
) -> str:
    funnel, reasons, faults, _, people, _ = shown
    since, until, job_id = fields
    return _TEMPLATE.substitute(
        account=_account(account),
        scope=escape(_scope(where)),
        since=escape(since),
        until=escape(until),
        job_id=escape(job_id),
        tiles=_tiles(shown),
        funnel=_funnel(funnel),
        interviewers=_interviewers(people),
        reasons=_shares(
            [(r.reason_code, r.count, r.share) for r in reasons.overall], "withdrawal reasons"
        ),
        fault_causes=_shares(
            [(f.value, f.count, f.share) for f in faults.by_cause], "fault causes"
        ),
        fault_browsers=_shares(
            [(f.value, f.count, f.share) for f in faults.by_browser[:6]], "faults by browser"
        ),
        reasons_table=_reasons_table(reasons),
    )


def _account(account: Account | None) -> str:
    if account is None:
        return ""
    shown = f'<span class="who">Signed in as <b>{escape(account.name)}</b></span>'
    if account.csrf_token is None:
        return f'<div class="account">{shown}</div>'
    return (
        f'<form class="account" method="post" action="/signout">{shown}'
        f'<input type="hidden" name="csrf" value="{escape(account.csrf_token)}">'
        '<button type="submit">Sign out</button></form>'
    )


def _scope(where: ReportFilter) -> str:
    since = where.since.date().isoformat() if where.since else "the beginning"
    until = where.until.date().isoformat() if where.until else "now"
    job = where.job_id or ("all jobs" if where.jobs is None else "your jobs")
    return f"{since} → {until} · {job}"


def _tiles(shown: _Shown) -> str:
    funnel, reasons, faults, resume, _, reengage = shown
    median = resume.median_seconds_to_resume
    tiles = [
        (str(funnel.sessions), "sessions started"),
        (str(reasons.withdrawals), "withdrawals"),
        (str(faults.faults), "system faults"),
        (percent(resume.resumed_share), f"resumed · median {_duration(median)}"),
        (percent(resume.expired_share), "of suspensions expired"),
        (f"{len(reengage.candidates)}{'+' if reengage.truncated else ''}", "to re-engage"),
    ]
    return "".join(
        f'<div class="tile"><b>{escape(v)}</b><span>{escape(t)}</span></div>' for v, t in tiles
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _funnel(funnel: StageFunnel) -> str:
    top = max((row.reached for row in funnel.stages), default=0) or 1
    bars = [
        Bar(
            label=row.stage,
            fraction=row.lost / top,
            under=row.reached / top,
            text=f"{row.lost} of {row.reached} · {percent(row.loss_rate)}",
            tone="alert" if row.worst else "base",
        )
        for row in funnel.stages
    ]
    return bar_chart(bars, title="funnel")


def _interviewers(people: InterviewerReport) -> str:
    rows = people.interviewers[:12]
    top = max([row.exit_rate for row in rows] + [people.team_exit_rate, 0.01])
    bars = [
        Bar(
            label=row.interviewer_id,
            fraction=row.exit_rate / top,
            text=f"{percent(row.exit_rate)} · n={row.sessions}",
            tone="alert"
            if row.flagged
            else ("muted" if row.sessions < people.min_sessions else "base"),
        )
        for row in rows
    ]
    return bar_chart(
        bars,
        marker=people.team_exit_rate / top,
        marker_label=f"team {percent(people.team_exit_rate)}",
        title="interviewers",
    )


def _shares(items: list[tuple[str, int, float]], title: str) -> str:
    top = max((share for _, _, share in items), default=0) or 1
    bars = [
        Bar(label=label, fraction=share / top, text=f"{count} · {percent(share)}")
        for label, count, share in items
    ]
    return bar_chart(bars, title=title)


def _reasons_table(reasons: WithdrawalReasons) -> str:
    if not reasons.jobs:
        return '<p class="empty">No withdrawals in this window.</p>'
    head = "<tr><th>job</th><th>withdrawals</th><th>top reasons (share of the job's)</th></tr>"
    body = "".join(
        f"<tr><td>{escape(job.job_id)}</td><td>{job.withdrawals}</td><td>"
        + ", ".join(f"{escape(r.reason_code)} {percent(r.share)}" for r in job.reasons[:4])
        + "</td></tr>"
        for job in reasons.jobs[:_MAX_TABLE_ROWS]
    )
    hidden = len(reasons.jobs) - _MAX_TABLE_ROWS
    more = f'<p class="empty">{hidden} more jobs: the reasons report lists them all.</p>'
    return f"<table>{head}{body}</table>" + (more if hidden > 0 else "")
