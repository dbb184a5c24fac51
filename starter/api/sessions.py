"""``/v1/sessions``: start a session and send it the contract's messages."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from contract.codes import ErrorCode, SessionStatus
from contract.sessions import (
    ExitPreview,
    ExitReceipt,
    FaultAck,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    SessionView,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from sessions.client import read_session_view
from sessions.refusals import SessionRefused
from sessions.start import start_session, stored_start
from starter.api.auth import Caller, allowed
from starter.api.deps import ApiState, SessionId, State
from starter.api.docs import (
    FAULT_EXAMPLES,
    HEARTBEAT_EXAMPLES,
    PROGRESS_EXAMPLES,
    RESUME_EXAMPLES,
    START_EXAMPLES,
    TERMINATE_EXAMPLES,
    WITHDRAW_EXAMPLES,
    error_responses,
)
from starter.api.scope import TerminateRequest, acted, not_found, require_session_in_scope
from starter.api.session_busy import SessionUpdateGate

log = structlog.get_logger()
router = APIRouter(prefix="/v1/sessions", tags=["sessions"])

_PLATFORM = allowed("platform")
_COMMAND_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)


class SessionStarted(BaseModel):
    """Which workflow holds the session, and where it stands."""

    session_id: str
    workflow_id: str
    status: SessionStatus


_START_RESPONSES = error_responses(400, 401, 403, 409, 422, 503)
_START_RESPONSES[200] = {
    "model": SessionStarted,
    "description": "The same session_id and body again: the existing session.",
}


@router.post(
    "",
    status_code=201,
    response_model=SessionStarted,
    summary="Start a session (idempotent by session_id)",
    responses=_START_RESPONSES,
    **_PLATFORM,
)
async def start(
    state: State,
    response: Response,
    body: Annotated[StartSession, Body(openapi_examples=START_EXAMPLES)],
) -> SessionStarted:
    """Start a session; the same ``session_id`` and body again return it with 200.

    A different body under an existing ``session_id`` is refused with 409.
    """
    outcome = await start_session(
        state.client, state.task_queue, body, policies=state.store.policies
    )
    state.heartbeats.learn_timeout(body.session_id, outcome.body.policy.heartbeat_timeout_seconds)
    status = SessionStatus.ACTIVE
    if not outcome.created:
        response.status_code = 200
        status = (await state.sessions.status(body.session_id)).status
    return SessionStarted(
        session_id=body.session_id, workflow_id=outcome.workflow_id, status=status
    )


@router.post(
    "/{session_id}/progress",
    response_model=SessionView,
    summary="Save a segment",
    responses=_COMMAND_ERRORS,
    **_PLATFORM,
)
async def progress(
    state: State,
    request: Request,
    session_id: SessionId,
    segment: Annotated[SegmentInput, Body(openapi_examples=PROGRESS_EXAMPLES)],
) -> SessionView:
    """Save a segment; repeating a ``segment_id`` replaces it.

    A burst for one session is let through a few at a time; past the line, 429.
    """
    gate: SessionUpdateGate = request.app.state.progress_gate
    async with gate.turn(session_id):
        return await state.sessions.progress(session_id, segment)


async def _note_beat(state: ApiState, session_id: str, beat: HeartbeatInput) -> None:
    """Note the beat on the session's row, which the workflow reads when its timer fires.

    A session with no row yet (started moments ago, or unknown), or a store that does not
    answer, gets the beat as a signal instead: the workflow hears it, or refuses it.
    """
    try:
        status = await state.store.see_heartbeat(session_id, at=state.clock(), client=beat.client)
    except SQLAlchemyError as err:
        log.warning("heartbeat.store_unavailable", session_id=session_id, error=str(err))
        status = None
    if status is None:
        await state.sessions.heartbeat(session_id, beat)
    elif status.is_terminal:
        raise _ended(status)


def _ended(status: SessionStatus) -> SessionRefused:
    return SessionRefused(
        ErrorCode.SESSION_ENDED,
        f"The session has already ended as {status.value}.",
        {"status": status.value},
    )


@router.post(
    "/{session_id}/heartbeat",
    status_code=204,
    response_class=Response,
    summary="The candidate's page is alive",
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
    **_PLATFORM,
)
async def heartbeat(
    state: State,
    session_id: SessionId,
    beat: Annotated[HeartbeatInput | None, Body(openapi_examples=HEARTBEAT_EXAMPLES)] = None,
) -> Response:
    """Tell the session the page is alive; beats closer than a quarter timeout coalesce."""
    beat = beat or HeartbeatInput()
    gate = state.heartbeats
    if not gate.knows(session_id):
        start = await stored_start(state.client, session_id)
        timeout = start.policy.heartbeat_timeout_seconds if start else None
        gate.learn_timeout(session_id, timeout or 120.0)
    try:
        await gate.beat(session_id, lambda: _note_beat(state, session_id, beat))
    except SessionRefused as err:
        gate.forget(session_id)
        if err.code == ErrorCode.SESSION_NOT_FOUND:
            # The workflow exists (its history was read) but is closed: the session ended.
            view = await state.sessions.status(session_id)
            raise _ended(view.status) from err
        raise
    return Response(status_code=204)


@router.get(
    "/{session_id}/exit-preview",
    response_model=ExitPreview,
    summary="What quitting now would mean, in the candidate's language",
    responses=error_responses(401, 403, 404, 422, 503),
    **_PLATFORM,
)
async def exit_preview(state: State, session_id: SessionId) -> ExitPreview:
    """What the candidate keeps and can do if they quit now."""
    return await state.sessions.exit_preview(session_id)


@router.post(
    "/{session_id}/withdraw",
    response_model=ExitReceipt,
    summary="The candidate quits",
    responses=_COMMAND_ERRORS,
    **_PLATFORM,
)
async def withdraw(
    state: State,
    session_id: SessionId,
    request: Annotated[WithdrawInput, Body(openapi_examples=WITHDRAW_EXAMPLES)],
) -> ExitReceipt:
    """Record the candidate's withdrawal and return the receipt."""
    return await state.sessions.withdraw(session_id, request)


@router.post(
    "/{session_id}/fault",
    status_code=202,
    response_model=FaultAck,
    summary="The session broke: suspend it and open the resume window",
    responses=_COMMAND_ERRORS,
    **_PLATFORM,
)
async def fault(
    state: State,
    session_id: SessionId,
    request: Annotated[FaultInput, Body(openapi_examples=FAULT_EXAMPLES)],
) -> FaultAck:
    """Suspend the session; the answer carries the resume deadline and token."""
    return await state.link_tokens.report_fault(session_id, request)


@router.post(
    "/{session_id}/resume",
    response_model=SessionView,
    summary="The candidate is back",
    responses=error_responses(400, 401, 403, 404, 409, 410, 422, 503),
    **_PLATFORM,
)
async def resume(
    state: State,
    session_id: SessionId,
    request: Annotated[ResumeInput, Body(openapi_examples=RESUME_EXAMPLES)],
) -> SessionView:
    """Resume with the suspension's token; a bad token is 403, a closed window 410."""
    return await state.link_tokens.resume(session_id, request, now=state.clock())


@router.post(
    "/{session_id}/complete",
    response_model=SessionView,
    summary="The interview finished",
    responses=_COMMAND_ERRORS,
    **_PLATFORM,
)
async def complete(state: State, session_id: SessionId) -> SessionView:
    """Complete the session; downstream steps are left to run."""
    return await state.sessions.complete(session_id)


@router.post(
    "/{session_id}/terminate",
    response_model=ExitReceipt,
    summary="The employer stops the interview",
    responses=_COMMAND_ERRORS,
    **allowed("hr"),
)
async def terminate(
    state: State,
    reader: Caller,
    session_id: SessionId,
    request: Annotated[TerminateRequest, Body(openapi_examples=TERMINATE_EXAMPLES)],
) -> ExitReceipt:
    """Stop the interview; the receipt carries the ``notice_text`` sent to the candidate.

    A signed-in person is the actor (``verified: true``); with an API key the body's
    ``actor`` is recorded as ``verified: false``. An HR person may terminate only sessions
    of the jobs in their scope (others are 404).
    """
    await require_session_in_scope(state, reader, session_id)
    return await state.sessions.terminate(session_id, acted(TerminateInput, request, reader))


@router.get(
    "/{session_id}",
    response_model=SessionView,
    summary="The session view",
    responses=error_responses(401, 403, 404, 422, 503),
    **allowed(),
)
async def get_session(state: State, reader: Caller, session_id: SessionId) -> SessionView:
    """Where the session stands, with every saved segment and its exits (for an HR person,
    only sessions of the jobs in their scope; others are 404)."""
    view = await read_session_view(state.sessions, state.store, session_id)
    if not reader.may_see_job(view.job_id):
        raise not_found()
    return view
