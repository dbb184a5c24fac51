"""Signed resume tokens at the API's edge: sign what ``fault`` returns, open what ``resume`` gets.

The workflow keeps checking its raw token; with ``EXITFLOW_RESUME_TOKEN_SECRET`` set the
API hands out and accepts only the signed form, and refuses a bad or late one before the
workflow hears of it. Without the secret the raw token passes through unchanged.
"""

from __future__ import annotations

from contract.codes import ErrorCode
from contract.sessions import FaultAck, ResumeInput, SessionView
from links.resume import (
    InvalidResumeToken,
    ResumeTokenExpired,
    open_resume_token,
    sign_resume_token,
)
from sessions.client import SessionRefused
from starter.api.deps import ApiState


def signed_ack(state: ApiState, session_id: str, ack: FaultAck) -> FaultAck:
    """The fault answer with its token signed (the same token the fault email links to)."""
    if state.resume_token_key is None:
        return ack
    token = sign_resume_token(
        state.resume_token_key,
        session_id=session_id,
        raw_token=ack.resume_token,
        resume_deadline=ack.resume_deadline,
    )
    return ack.model_copy(update={"resume_token": token})


async def resume_session(state: ApiState, session_id: str, request: ResumeInput) -> SessionView:
    """Resume the session with the token the candidate brought; every saved segment returns.

    Raises:
        SessionRefused: As :func:`raw_resume`, or the session's own refusal (``session_ended``,
            ``session_not_suspended``, ``resume_window_closed``, ...).
    """
    return await state.sessions.resume(session_id, await raw_resume(state, session_id, request))


async def raw_resume(state: ApiState, session_id: str, request: ResumeInput) -> ResumeInput:
    """The resume request the workflow checks, with the raw token from the signed one.

    Raises:
        SessionRefused: ``session_not_found`` for an unknown session,
            ``invalid_resume_token`` for a tampered, malformed or foreign token,
            ``resume_window_closed`` for an expired one.
    """
    if state.resume_token_key is None:
        return request
    try:
        raw = open_resume_token(
            state.resume_token_key, request.resume_token, session_id=session_id, now=state.clock()
        )
    except (InvalidResumeToken, ResumeTokenExpired) as err:
        # An unknown session is a 404 whatever token came with it.
        await state.sessions.status(session_id)
        if isinstance(err, ResumeTokenExpired):
            raise SessionRefused(
                ErrorCode.RESUME_WINDOW_CLOSED,
                "The resume window of this token is over.",
                {"fields": [{"field": "resume_token", "message": "the resume window is over"}]},
            ) from err
        raise SessionRefused(
            ErrorCode.INVALID_RESUME_TOKEN,
            "The resume token is not one this service issued for this session.",
            {"fields": [{"field": "resume_token", "message": str(err)}]},
        ) from err
    return ResumeInput(resume_token=raw)
