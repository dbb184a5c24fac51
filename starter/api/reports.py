"""``GET /v1/reports/...``: exit analytics for HR, the same data as ``exitflow report``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from reports import (
    CandidateTags,
    FaultBreakdown,
    InterviewerReport,
    RecruitingEffect,
    ReengagementList,
    Report,
    ReportFilter,
    ReportOptions,
    ReportTimeout,
    ResumeReport,
    StageFunnel,
    WithdrawalReasons,
    run_report,
)
from reports.rendering import json_bytes
from starter.api.auth import ApiError, Caller, allowed, invalid_field
from starter.api.deps import State
from starter.api.docs import error_responses
from starter.api.errors import ErrorResponse
from starter.api.query_times import QueryTime

router = APIRouter(prefix="/v1/reports", tags=["reports"])
_Model = TypeVar("_Model", bound=BaseModel)


def report_filter(
    reader: Caller,
    since: Annotated[QueryTime | None, Query(description="From this time (inclusive).")] = None,
    until: Annotated[QueryTime | None, Query(description="Up to this time (exclusive).")] = None,
    job_id: Annotated[str | None, Query(max_length=128, description="One job only.")] = None,
) -> ReportFilter:
    """The window and job of a report, read from the query string (no offset means UTC),
    kept to the reader's jobs: a job out of their scope gives an empty report."""
    if since is not None and until is not None and since >= until:
        raise invalid_field("until", "until must be later than since.")
    return _from_query(ReportFilter, since=since, until=until, job_id=job_id, jobs=reader.jobs)


def _from_query(model: type[_Model], **values: Any) -> _Model:
    try:
        return model(**values)
    except ValidationError as err:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in err.errors()]
        ) from None


def report_timeout(err: ReportTimeout) -> ApiError:
    """The 503 of a report the database stopped at ``EXITFLOW_REPORT_TIMEOUT_SECONDS``."""
    return ApiError(
        503,
        "report_timeout",
        f"The {err.name} report took longer than {err.timeout_seconds:g} s and was stopped; "
        "narrow the window (since, until) or pick one job_id, then try again.",
        {"report": err.name, "timeout_seconds": err.timeout_seconds},
    )


Filter = Annotated[ReportFilter, Depends(report_filter)]
_TIMEOUT_RESPONSE = {
    "model": ErrorResponse,
    "description": "The report ran longer than EXITFLOW_REPORT_TIMEOUT_SECONDS and was stopped.",
}
_ROUTE: dict[str, Any] = {
    "responses": {**error_responses(401, 403, 422), 503: _TIMEOUT_RESPONSE},
    **allowed("hr"),
}


async def _run(
    state: State, name: str, where: ReportFilter, options: ReportOptions | None = None
) -> Response:
    """The report as JSON; building and serialising it happen off the event loop."""
    try:
        report = await run_report(
            state.store.engine, name, where, options, timeout_seconds=state.report_timeout_seconds
        )
    except ValueError as err:
        raise invalid_field("change_at", f"{err}.") from err
    except ReportTimeout as err:
        raise report_timeout(err) from None
    body = await asyncio.to_thread(json_bytes, report)
    return Response(body, media_type="application/json")


_WINDOW_ONLY: dict[str, tuple[type[Report], str, str]] = {
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


def _window_only(name: str) -> Callable[[State, ReportFilter], Awaitable[Response]]:
    async def route(state: State, where: Filter) -> Response:
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


@router.get("/funnel", response_model=StageFunnel, summary="Exit rate per stage", **_ROUTE)
async def funnel(
    state: State,
    where: Filter,
    limit: Annotated[int, Query(ge=1, le=10_000, description="List at most this many.")] = 500,
) -> Response:
    """Of the sessions started in the window: reached, lost, and exits by kind, per stage."""
    return await _run(state, "funnel", where, _from_query(ReportOptions, limit=limit))


@router.get("/interviewers", response_model=InterviewerReport, summary="Interviewers", **_ROUTE)
async def interviewers(
    state: State,
    where: Filter,
    min_sessions: Annotated[
        int, Query(ge=1, le=1_000_000, description="Never flag fewer sessions.")
    ] = 20,
) -> Response:
    """Exit rate per interviewer next to the team average; outliers flagged."""
    options = _from_query(ReportOptions, min_sessions=min_sessions)
    return await _run(state, "interviewers", where, options)


@router.get("/recruiting", response_model=RecruitingEffect, summary="Recruiting effect", **_ROUTE)
async def recruiting(
    state: State,
    where: Filter,
    change_at: Annotated[
        QueryTime | None, Query(description="Where the periods meet; default mid-window.")
    ] = None,
) -> Response:
    """Completion rate and withdrawal share per job, before and after ``change_at``."""
    return await _run(state, "recruiting", where, _from_query(ReportOptions, change_at=change_at))


@router.get("/tags", response_model=CandidateTags, summary="Candidate tags", **_ROUTE)
async def tags(
    state: State,
    where: Filter,
    candidate_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Response:
    """Preference tags per candidate, from their exit reasons."""
    options = _from_query(ReportOptions, candidate_id=candidate_id, limit=limit)
    return await _run(state, "tags", where, options)


@router.get(
    "/reengagement", response_model=ReengagementList, summary="Re-engagement list", **_ROUTE
)
async def reengagement(
    state: State, where: Filter, limit: Annotated[int, Query(ge=1, le=10_000)] = 500
) -> Response:
    """Expired or broken sessions for jobs still open, with contact details."""
    return await _run(state, "reengagement", where, _from_query(ReportOptions, limit=limit))
