"""``GET /v1/reports/...``: exit analytics for HR, the same data as ``exitflow report``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from reports import (
    CandidateTags,
    FaultBreakdown,
    InterviewerReport,
    RecruitingEffect,
    ReengagementList,
    Report,
    ReportFilter,
    ReportOptions,
    ResumeReport,
    StageFunnel,
    WithdrawalReasons,
    run_report,
)
from starter.api.auth import allowed, invalid_field
from starter.api.deps import State
from starter.api.docs import error_responses

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def report_filter(
    since: Annotated[datetime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Up to this time (exclusive).")] = None,
    job_id: Annotated[str | None, Query(max_length=128, description="One job only.")] = None,
) -> ReportFilter:
    """The window and job of a report, read from the query string."""
    if since is not None and until is not None and since >= until:
        raise invalid_field("until", "until must be later than since.")
    return ReportFilter(since=since, until=until, job_id=job_id)


Filter = Annotated[ReportFilter, Depends(report_filter)]
_ROUTE = {"responses": error_responses(401, 403, 422), **allowed("hr")}


async def _run(
    state: State, name: str, where: ReportFilter, options: ReportOptions | None = None
) -> Report:
    try:
        return await run_report(state.store.engine, name, where, options)
    except ValueError as err:
        raise invalid_field("change_at", f"{err}.") from err


_WINDOW_ONLY: dict[str, tuple[type[Report], str, str]] = {
    "funnel": (
        StageFunnel,
        "Exit rate per stage",
        "Of the sessions started in the window: reached, lost, and exits by kind, per stage.",
    ),
    "reasons": (
        WithdrawalReasons,
        "Why people leave",
        "Withdrawal reasons per job with counts and shares.",
    ),
    "faults": (
        FaultBreakdown,
        "System faults",
        "Faults by cause, browser and version, OS, device and latency band.",
    ),
    "resume": (
        ResumeReport,
        "Resume after a fault",
        "Share resumed, median time to resume, share expired.",
    ),
}
"""The reports that take only the window and job: model, summary and description."""


def _window_only(name: str) -> Callable[[State, ReportFilter], Awaitable[Report]]:
    async def route(state: State, where: Filter) -> Report:
        return await _run(state, name, where)

    return route


for _name, (_model, _summary, _description) in _WINDOW_ONLY.items():
    router.add_api_route(
        f"/{_name}",
        _window_only(_name),
        methods=["GET"],
        name=_name,
        response_model=_model,
        summary=_summary,
        description=_description,
        **_ROUTE,
    )


@router.get("/interviewers", response_model=InterviewerReport, summary="Interviewers", **_ROUTE)
async def interviewers(
    state: State,
    where: Filter,
    min_sessions: Annotated[int, Query(ge=1, description="Never flag fewer sessions.")] = 20,
) -> Report:
    """Exit rate per interviewer next to the team average; outliers flagged."""
    return await _run(state, "interviewers", where, ReportOptions(min_sessions=min_sessions))


@router.get("/recruiting", response_model=RecruitingEffect, summary="Recruiting effect", **_ROUTE)
async def recruiting(
    state: State,
    where: Filter,
    change_at: Annotated[
        datetime | None, Query(description="Where the periods meet; default mid-window.")
    ] = None,
) -> Report:
    """Completion rate and withdrawal share per job, before and after ``change_at``."""
    return await _run(state, "recruiting", where, ReportOptions(change_at=change_at))


@router.get("/tags", response_model=CandidateTags, summary="Candidate tags", **_ROUTE)
async def tags(
    state: State,
    where: Filter,
    candidate_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Report:
    """Preference tags per candidate, from their exit reasons."""
    options = ReportOptions(candidate_id=candidate_id, limit=limit)
    return await _run(state, "tags", where, options)


@router.get(
    "/reengagement", response_model=ReengagementList, summary="Re-engagement list", **_ROUTE
)
async def reengagement(
    state: State, where: Filter, limit: Annotated[int, Query(ge=1, le=10_000)] = 500
) -> Report:
    """Expired or broken sessions for jobs still open, with contact details."""
    return await _run(state, "reengagement", where, ReportOptions(limit=limit))
