"""Stand-ins for the interview platform's resume and contest pages, for ``exitflow up`` only.

The fault email links to ``resume_url_base`` and the termination email to
``contest_url_base``, both pages the interview platform serves in production. The embedded
stack serves these instead, so that a link opened from ``var/mail`` leads somewhere. The
signed token of the link is the only credential: every page opens it before it shows
anything, and each form does exactly what ``POST /v1/sessions/{id}/resume`` or ``/contest``
does. The pages are in English: the session view does not carry the candidate's locale.

A link's token is checked before its session is looked up, and a bad link and an unknown
session get the very same page, so that the pages never tell whether a session exists.
Each link (session and client address) is rate limited (``EXITFLOW_RATE_LIMIT_LINK_*``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Mapping
from html import escape
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from temporalio.client import RPCTimeoutOrCancelledError
from temporalio.service import RPCError

from contract.codes import ErrorCode, SessionStatus
from contract.contests import ContestInput
from contract.sessions import MAX_ID_LENGTH, SESSION_ID_PATTERN, ResumeInput
from sessions.client import read_session_view
from sessions.link_tokens import LinkTokens
from sessions.refusals import SessionRefused
from starter.api.auth import ApiError
from starter.api.deps import ApiState, State
from starter.api.errors import STATUS_OF_CODE
from starter.api.rate_limits import check_link
from starter.api.session_busy import is_temporal_busy, session_busy
from starter.candidate_pages._html import (
    form,
    page,
    paragraph,
    saved_work,
    status_line,
    termination,
    when,
)

log = structlog.get_logger()
router = APIRouter(include_in_schema=False)

_BAD_LINK = {
    ErrorCode.SESSION_NOT_FOUND,
    ErrorCode.INVALID_RESUME_TOKEN,
    ErrorCode.INVALID_CONTEST_TOKEN,
}
"""Refusals answered alike: which one it was would tell whether the session exists."""
_BAD_LINK_TEXT = (
    "Open the link from your most recent email again. If it still does not work, it is "
    "no longer valid: ask the company that interviewed you for a new one."
)
_REFUSAL_TITLES: dict[str, str] = {
    ErrorCode.RESUME_WINDOW_CLOSED: "The time to resume is over",
    ErrorCode.CONTEST_WINDOW_CLOSED: "The time to contest is over",
    ErrorCode.SESSION_ENDED: "This interview has ended",
    ErrorCode.SESSION_NOT_SUSPENDED: "This interview is not paused",
    ErrorCode.SESSION_NOT_TERMINATED: "There is nothing to contest",
    ErrorCode.ALREADY_CONTESTED: "Already contested",
}
_FORM_NAMES = {"resume_token": "token", "contest_token": "token"}
"""The form's name of each message field, for naming the invalid one."""


class _Unusable(Exception):
    """The link or form lacks a field, or holds one that cannot be a value of it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field


@router.get("/resume", response_class=HTMLResponse)
async def resume_page(state: State, request: Request) -> HTMLResponse:
    """The saved work, the resume deadline and a button that resumes."""
    return await _page(_resume_page(state, request))


@router.post("/resume", response_class=HTMLResponse)
async def resume(state: State, request: Request) -> HTMLResponse:
    """Resume as ``POST /v1/sessions/{id}/resume`` does; show what was restored."""
    return await _page(_resumed(state, request))


@router.get("/contest", response_class=HTMLResponse)
async def contest_page(state: State, request: Request) -> HTMLResponse:
    """The termination, the contest deadline and a form for the candidate's statement."""
    return await _page(_contest_page(state, request))


@router.post("/contest", response_class=HTMLResponse)
async def contest(state: State, request: Request) -> HTMLResponse:
    """Contest as ``POST /v1/sessions/{id}/contest`` does; show the receipt."""
    return await _page(_contested(state, request))


async def _resume_page(state: ApiState, request: Request) -> tuple[str, str]:
    session_id, token = _link_fields(request, request.query_params, "session_id", "token")
    presented = ResumeInput(resume_token=token)
    await _links(state).raw_resume_token(session_id, presented.resume_token, now=state.clock())
    view = await read_session_view(state.sessions, state.store, session_id)
    if view.status is not SessionStatus.SUSPENDED:
        return "Nothing to resume", status_line(view) + saved_work(view)
    deadline = f"<strong>{when(view.resume_deadline)}</strong>" if view.resume_deadline else ""
    intro = f"<p>Your interview is paused and your work is saved. Resume it before {deadline}.</p>"
    button = form("/resume", session_id, token, "", "Resume my interview")
    return "Resume your interview", intro + saved_work(view) + button


async def _resumed(state: ApiState, request: Request) -> tuple[str, str]:
    session_id, token = _link_fields(request, await _form_fields(request), "session_id", "token")
    presented = ResumeInput(resume_token=token)
    view = await _links(state).resume(session_id, presented, now=state.clock())
    return "Your interview is resumed", status_line(view) + saved_work(view)


async def _contest_page(state: ApiState, request: Request) -> tuple[str, str]:
    session_id, token = _link_fields(request, request.query_params, "session_id", "token")
    await _links(state).raw_contest_token(session_id, token, now=state.clock())
    view = await read_session_view(state.sessions, state.store, session_id)
    window = view.contest
    if view.status is not SessionStatus.TERMINATED or window is None:
        return "Nothing to contest", status_line(view)
    body = termination(view) + saved_work(view)
    if window.contest is not None:
        filed = window.contest
        body += (
            f"<p>You contested this decision on {when(filed.contested_at)}; the contest is "
            f"{escape(filed.status)}.</p><blockquote>{escape(filed.statement)}</blockquote>"
        )
        return "Already contested", body
    statement = (
        f'<p><label for="statement">You may contest this decision until '
        f"<strong>{when(window.deadline)}</strong>. Say in your own words why it is wrong; "
        "HR reviews every contest.</label></p>"
        '<textarea id="statement" name="statement" rows="8" maxlength="4000" required>'
        "</textarea>"
    )
    return "Contest the decision", body + form("/contest", session_id, token, statement, "Send")


async def _contested(state: ApiState, request: Request) -> tuple[str, str]:
    fields = await _form_fields(request)
    session_id, token, statement = _link_fields(request, fields, "session_id", "token", "statement")
    filed = ContestInput(contest_token=token, statement=statement)
    receipt = await _links(state).contest(session_id, filed, now=state.clock())
    return "Your contest is filed", (
        f"<p>{escape(receipt.message)}</p>"
        f"<p>Contest <code>{escape(receipt.contest_id)}</code> is {escape(receipt.status)}.</p>"
        f"<h2>Your statement</h2><blockquote>{escape(filed.statement)}</blockquote>"
    )


async def _page(build: Awaitable[tuple[str, str]]) -> HTMLResponse:
    """Render what ``build`` makes, or why it refused, with the API's status for it."""
    try:
        title, body = await build
    except _Unusable as err:
        return page(400, f"The {err.field} is missing or wrong", paragraph(str(err)))
    except ValidationError as err:
        problems = [f"{_form_name(item['loc'])}: {item['msg']}" for item in err.errors()]
        return page(422, "Something in the form is not right", paragraph("; ".join(problems)))
    except ApiError as err:
        return _refused(err)
    except SessionRefused as err:
        if err.code in _BAD_LINK:
            return page(404, "This link does not work", paragraph(_BAD_LINK_TEXT))
        status = STATUS_OF_CODE.get(err.code)
        if status is None:
            log.error("unmapped refusal", code=err.code, message=err.message)
            return page(500, "Something failed", paragraph("Something failed; try again."))
        title = _REFUSAL_TITLES.get(err.code, "This cannot be done")
        return page(status, title, paragraph(err.message))
    except (RPCError, RPCTimeoutOrCancelledError) as err:
        if is_temporal_busy(err):
            return _refused(session_busy())
        log.warning(
            "temporal call failed", status=str(getattr(err, "status", None)), message=str(err)
        )
        return page(503, "Try again shortly", paragraph("The interview service is unreachable."))
    return page(200, title, body)


def _refused(err: ApiError) -> HTMLResponse:
    """A refusal of the API's own (a 429) as a page, with its ``Retry-After``."""
    headers = err.headers or {}
    title = "Too many attempts" if err.code == "rate_limited" else "Try again shortly"
    wait = f"{headers['Retry-After']} seconds" if "Retry-After" in headers else "a moment"
    refused = page(err.status, title, paragraph(f"Please wait {wait}, then try again."))
    refused.headers.update(headers)
    return refused


def _links(state: ApiState) -> LinkTokens:
    return dataclasses.replace(state.link_tokens, hide_unknown_sessions=True)


def _link_fields(request: Request, values: Mapping[str, str], *names: str) -> list[str]:
    """The named values (as :func:`_fields`), once the link is within its rate.

    Raises:
        _Unusable: As :func:`_fields`.
        ApiError: 429 when this link was used too often from this client.
    """
    found = _fields(values, *names)
    check_link(request, found[0])
    return found


def _fields(values: Mapping[str, str], *names: str) -> list[str]:
    """The named values, stripped.

    Raises:
        _Unusable: A value is missing or empty, or the session id is not one.
    """
    found = []
    for name in names:
        value = values.get(name, "").strip()
        if not value and name == "statement":
            raise _Unusable(name, "is empty: say in your own words why the decision is wrong.")
        if not value:
            raise _Unusable(name, "is missing: open the link from your email again.")
        if name == "session_id" and not _is_session_id(value):
            raise _Unusable(name, "is not a session id: open the link from your email again.")
        found.append(value)
    return found


def _is_session_id(value: str) -> bool:
    return len(value) <= MAX_ID_LENGTH and re.fullmatch(SESSION_ID_PATTERN, value) is not None


async def _form_fields(request: Request) -> dict[str, str]:
    # A browser posts application/x-www-form-urlencoded; FastAPI's Form() would need
    # python-multipart for that, which exitflow does not otherwise depend on.
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _form_name(loc: tuple[int | str, ...]) -> str:
    field = str(loc[0]) if loc else "form"
    return _FORM_NAMES.get(field, field)
