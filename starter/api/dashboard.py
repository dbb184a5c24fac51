"""``GET /v1/reports/dashboard``: the reports as one HTML page with SVG charts (role hr).

Rendered on the server, so it needs no script and loads nothing from elsewhere. A browser
can open it directly: it asks for HTTP Basic credentials, any user name and the hr key as
the password; API clients may send the usual ``Authorization: Bearer`` instead.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime
from html import escape
from pathlib import Path
from string import Template
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from reports import (
    FaultBreakdown,
    InterviewerReport,
    ReengagementList,
    ReportFilter,
    ReportOptions,
    ResumeReport,
    StageFunnel,
    WithdrawalReasons,
    run_report,
)
from reports.charts import Bar, bar_chart, percent
from starter.api.auth import ApiError, authorize, invalid_field
from starter.api.deps import State

router = APIRouter(prefix="/v1/reports", tags=["reports"])
_TEMPLATE = Template((Path(__file__).parent / "dashboard.html").read_text(encoding="utf-8"))
_REALM = 'Basic realm="exitflow reports", charset="UTF-8"'


def require_hr(request: Request) -> None:
    """Admit a Bearer hr key, or HTTP Basic with the hr key as password; else ask for one.

    Raises:
        ApiError: 401 with a Basic challenge, or 403 for another role's key.
    """
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        try:
            authorize(request, ("hr",))
        except ApiError as err:
            if err.status == 401:
                err.headers = {"WWW-Authenticate": _REALM}
            raise
        return
    try:
        _, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        password = ""
    presented = password.encode()
    role = None
    for key in request.app.state.api_keys:
        if presented and hmac.compare_digest(key.secret, presented):
            role = key.role
    if role is None:
        raise ApiError(
            401,
            "unauthorized",
            "Sign in with the hr API key as password.",
            None,
            {"WWW-Authenticate": _REALM},
        )
    if role != "hr":
        raise ApiError(403, "forbidden", f"The {role} role may not call this route.")


def _when(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError as err:
        raise invalid_field(name, f"{name} must be a date or an ISO 8601 time.") from err


@router.get(
    "/dashboard",
    response_class=HTMLResponse,
    summary="Exit analytics dashboard (HTML)",
    openapi_extra={"x-roles": ["hr"]},
)
async def dashboard(
    request: Request,
    state: State,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    job_id: Annotated[str | None, Query(max_length=128)] = None,
) -> HTMLResponse:
    """Funnel, reasons, fault causes and interviewer comparison for the window and job."""
    require_hr(request)
    where = ReportFilter(
        since=_when("since", since), until=_when("until", until), job_id=job_id or None
    )
    engine = state.store.engine
    funnel = await run_report(engine, "funnel", where)
    reasons = await run_report(engine, "reasons", where)
    faults = await run_report(engine, "faults", where)
    resume = await run_report(engine, "resume", where)
    people = await run_report(engine, "interviewers", where, ReportOptions(min_sessions=10))
    reengage = await run_report(engine, "reengagement", where, ReportOptions(limit=10_000))
    assert isinstance(funnel, StageFunnel) and isinstance(reasons, WithdrawalReasons)
    assert isinstance(faults, FaultBreakdown) and isinstance(resume, ResumeReport)
    assert isinstance(people, InterviewerReport) and isinstance(reengage, ReengagementList)
    page = _TEMPLATE.substitute(
        scope=escape(_scope(where)),
        since=escape(since or ""),
        until=escape(until or ""),
        job_id=escape(job_id or ""),
        tiles=_tiles(funnel, reasons, faults, resume, people, reengage),
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
    return HTMLResponse(page)


def _scope(where: ReportFilter) -> str:
    since = where.since.date().isoformat() if where.since else "the beginning"
    until = where.until.date().isoformat() if where.until else "now"
    job = where.job_id or "all jobs"
    return f"{since} → {until} · {job}"


def _tiles(
    funnel: StageFunnel,
    reasons: WithdrawalReasons,
    faults: FaultBreakdown,
    resume: ResumeReport,
    people: InterviewerReport,
    reengage: ReengagementList,
) -> str:
    median = resume.median_seconds_to_resume
    tiles = [
        (str(funnel.sessions), "sessions started"),
        (str(reasons.withdrawals), "withdrawals"),
        (str(faults.faults), "system faults"),
        (percent(resume.resumed_share), f"resumed · median {_duration(median)}"),
        (percent(resume.expired_share), "of suspensions expired"),
        (str(len(reengage.candidates)), "to re-engage"),
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
        for job in reasons.jobs
    )
    return f"<table>{head}{body}</table>"
