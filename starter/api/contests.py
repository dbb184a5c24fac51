"""Contests of a termination: the candidate contests (via the platform), HR reviews and decides.

``POST /v1/sessions/{id}/contest`` takes the token of the termination email's contest link
and the candidate's statement. With ``EXITFLOW_RESUME_TOKEN_SECRET`` set the signed token
is opened as the CLI opens it (``sessions/link_tokens.py``), and a bad one (403) or a late
one (410) is refused before the session hears of it; the workflow then checks the raw
token, the window and that the termination was not contested yet. HR works the review
queue at ``GET /v1/contests?status=open`` and decides with
``POST /v1/contests/{contest_id}/decision``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query

from contract.codes import ContestStatus, ErrorCode
from contract.contests import (
    ContestDecision,
    ContestDecisionInput,
    ContestInput,
    ContestReceipt,
)
from contract.sessions import IDENTIFIER_PATTERN, MAX_ID_LENGTH
from identity.principal import Principal
from sessions.refusals import SessionRefused
from starter.api.auth import Caller, allowed, invalid_field
from starter.api.deps import ApiState, SessionId, State
from starter.api.docs import error_responses, examples
from starter.api.scope import ContestDecisionRequest, acted
from store import ContestPage, InvalidCursor, ReviewTask, StoredContest

router = APIRouter(tags=["contests"])

ContestId = Annotated[
    str,
    Path(
        max_length=MAX_ID_LENGTH,
        pattern=IDENTIFIER_PATTERN,
        description="The contest's id, from its task.",
    ),
]

CONTEST_EXAMPLES = examples(
    {
        "contest_token": "<token from the contest link of the termination email>",
        "statement": "我没有照读其他屏幕上的答案，当时是在看摄像头旁边的笔记本上记下的题目。",
    },
    {
        "contest_token": "<token from the contest link of the termination email>",
        "statement": "I was not reading answers from another screen: I was looking at my notes "
        "of the question, which the instructions allowed.",
    },
)
DECISION_EXAMPLES = examples(
    {
        "outcome": "overturned",
        "explanation": "复核录像后确认候选人查看的是允许使用的笔记，终止决定有误。",
        "actor": {"id": "hr-3", "name": "王芳"},
    },
    {
        "outcome": "upheld",
        "explanation": "The recording shows a second person answering the skill test questions.",
        "actor": {"id": "hr-4", "name": "Dana Whitfield"},
    },
)


@router.post(
    "/v1/sessions/{session_id}/contest",
    status_code=202,
    response_model=ContestReceipt,
    summary="The terminated candidate contests the decision",
    responses=error_responses(400, 401, 403, 404, 409, 410, 422, 503),
    **allowed("platform"),
)
async def contest(
    state: State,
    session_id: SessionId,
    request: Annotated[ContestInput, Body(openapi_examples=CONTEST_EXAMPLES)],
) -> ContestReceipt:
    """File the contest; HR gets it as a review task and the candidate an acknowledgement.

    A tampered or foreign token is 403, a closed contest window 410, a session that is not
    terminated or was already contested 409.
    """
    return await state.link_tokens.contest(session_id, request, now=state.clock())


@router.get(
    "/v1/contests",
    response_model=ContestPage,
    summary="Contests to review, oldest first, each with the full record",
    responses=error_responses(401, 403, 422, 503),
    **allowed("hr"),
)
async def contests(
    state: State,
    reader: Caller,
    status: Annotated[ContestStatus | None, Query(description="open: the review queue")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=512, description="A next_cursor.")] = None,
) -> ContestPage:
    """One page of review tasks: contest, statement, termination notice, session and segments."""
    try:
        return await state.store.contests.list_tasks(
            status=status, limit=limit, cursor=cursor, jobs=reader.jobs
        )
    except InvalidCursor as err:
        raise invalid_field("cursor", "cursor is not a next_cursor this API handed out.") from err


@router.get(
    "/v1/contests/{contest_id}",
    response_model=ReviewTask,
    summary="One contest with the full record",
    responses=error_responses(401, 403, 404, 422, 503),
    **allowed("hr"),
)
async def contest_task(state: State, reader: Caller, contest_id: ContestId) -> ReviewTask:
    """The review task of one contest."""
    return await state.store.contests.review_task(await _stored(state, reader, contest_id))


@router.post(
    "/v1/contests/{contest_id}/decision",
    response_model=ContestReceipt,
    summary="HR upholds or overturns a contest",
    responses=error_responses(400, 401, 403, 404, 409, 422, 503),
    **allowed("hr"),
)
async def decide(
    state: State,
    reader: Caller,
    contest_id: ContestId,
    decision: Annotated[ContestDecisionRequest, Body(openapi_examples=DECISION_EXAMPLES)],
) -> ContestReceipt:
    """Decide the contest; the candidate is told, and an overturn reopens the interview.

    An overturned termination leaves the session suspended with a fresh resume window
    (``resume_deadline``); the resume link goes to the candidate. A contest already
    decided is 409.
    """
    stored = await _stored(state, reader, contest_id)
    acted_decision = acted(ContestDecision, decision, reader)
    request = ContestDecisionInput(contest_id=contest_id, **dict(acted_decision))
    return await state.sessions.decide_contest(stored.session_id, request)


async def _stored(state: ApiState, reader: Principal, contest_id: str) -> StoredContest:
    stored = await state.store.contests.find(contest_id)
    if stored is not None and reader.jobs is not None:
        job = await state.store.session_job(stored.session_id)
        stored = stored if reader.may_see_job(job) else None
    if stored is None:
        raise SessionRefused(ErrorCode.CONTEST_NOT_FOUND, "No contest has this id.")
    return stored
