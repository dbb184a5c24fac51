"""Operations' view of pipeline steps that failed for good, and the retry that redoes them.

``GET /v1/stuck-steps`` lists the sessions whose steps wait (the ``StuckStep`` search
attribute, then each session's own list); ``POST /v1/sessions/{id}/stuck-steps/retry``
retries, or gives up, one of them or all. The CLI's ``exitflow session stuck`` and
``exitflow session retry`` do the same.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contract.stuck import RetryStuckSteps, StuckSession
from sessions.stuck import list_stuck_sessions
from starter.api.auth import allowed
from starter.api.deps import SessionId, State
from starter.api.docs import error_responses

router = APIRouter(tags=["operations"])


class StuckSessions(BaseModel):
    """The running sessions with stuck pipeline steps."""

    sessions: list[StuckSession]


@router.get(
    "/v1/stuck-steps",
    response_model=StuckSessions,
    summary="Sessions with pipeline steps that failed for good",
    responses=error_responses(401, 403, 422, 503),
    **allowed("ops"),
)
async def stuck_steps(
    state: State, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> StuckSessions:
    """Each running session whose record, webhook, email, SMS or downstream step waits."""
    found = await list_stuck_sessions(state.client, state.task_queue, limit=limit)
    return StuckSessions(sessions=found)


@router.post(
    "/v1/sessions/{session_id}/stuck-steps/retry",
    response_model=StuckSession,
    summary="Retry (or give up) a session's stuck steps",
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
    **allowed("ops"),
)
async def retry_stuck_steps(
    session_id: SessionId, request: RetryStuckSteps, state: State
) -> StuckSession:
    """One step (``step_id``) or all; 409 when none is stuck. Answers with the steps chosen."""
    return await state.sessions.retry_stuck_steps(session_id, request)
