"""``/v1/candidates/{id}/...`` and ``/v1/erasures``: litigation holds and erasure, for HR.

A hold is set with ``PUT .../hold`` and lifted with ``POST .../hold/lift`` rather than a
``DELETE``: lifting needs a body (who lifts it, and why), and some proxies drop a DELETE's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from contract.data_rights import (
    EraseCandidate,
    ErasureInput,
    ErasureView,
    HoldInput,
    HoldStatus,
    LiftHoldInput,
    erasure_workflow_id,
)
from starter.api.auth import ApiError, Caller, allowed
from starter.api.deps import State
from starter.api.docs import error_responses, examples
from starter.api.errors import ErrorResponse
from starter.api.scope import ErasureRequest, HoldRequest, LiftHoldRequest, acted, require_every_job
from store import RightsRefused
from workflows.erasure import CandidateErasureWorkflow

router = APIRouter(prefix="/v1", tags=["candidates"])

_HR = allowed("hr")
CandidateId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9._:@-]{1,128}$",
        description="The candidate's id, as in the session's candidate.id.",
        examples=["c-9"],
    ),
]
RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="An erasure's id.")]

_ACTOR = {"id": "hr-3", "name": "Dana Whitfield"}
_HOLD_EXAMPLES = examples(
    {
        "reason": "劳动仲裁案件 2024-017：保留全部面试记录。",
        "actor": {"id": "hr-3", "name": "王芳"},
    },
    {"reason": "Employment tribunal claim ET/2024/017: keep every record.", "actor": _ACTOR},
)
_LIFT_EXAMPLES = examples(
    {"actor": {"id": "hr-3", "name": "王芳"}, "reason": "案件已结案。"},
    {"actor": _ACTOR, "reason": "The claim was settled."},
)
_ERASURE_EXAMPLES = examples(
    {"actor": {"id": "hr-3", "name": "王芳"}, "reason": "候选人邮件申请删除个人信息。"},
    {"actor": _ACTOR, "reason": "Candidate's request by email, ticket 4411."},
)


def _refusal(status: int, code: str, description: str, message: str) -> dict[int | str, Any]:
    example = {"error": {"code": code, "message": message, "details": {"candidate_id": "c-9"}}}
    return {
        status: {
            "model": ErrorResponse,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    }


def _refused(err: RightsRefused) -> ApiError:
    return ApiError(409, err.code, err.message, err.details)


_HOLD_SET_RESPONSES = error_responses(400, 401, 403, 422)
_HOLD_SET_RESPONSES[200] = {
    "model": HoldStatus,
    "description": "Already under a hold: nothing changed, the active hold keeps its reason.",
}


@router.get(
    "/candidates/{candidate_id}/hold",
    response_model=HoldStatus,
    summary="A candidate's litigation hold and its history",
    responses=error_responses(401, 403, 422),
    **_HR,
)
async def get_hold(state: State, reader: Caller, candidate_id: CandidateId) -> HoldStatus:
    """Whether the candidate is held now, and every hold they had, newest first."""
    require_every_job(reader)
    return await state.store.rights.hold_status(candidate_id)


@router.put(
    "/candidates/{candidate_id}/hold",
    status_code=201,
    response_model=HoldStatus,
    summary="Put a candidate's data under a litigation hold",
    responses=_HOLD_SET_RESPONSES,
    **_HR,
)
async def set_hold(
    state: State,
    reader: Caller,
    candidate_id: CandidateId,
    response: Response,
    request: Annotated[HoldRequest, Body(openapi_examples=_HOLD_EXAMPLES)],
) -> HoldStatus:
    """Hold the candidate's data: retention skips it and erasure is refused until lifted."""
    require_every_job(reader)
    hold = acted(HoldInput, request, reader)
    status, created = await state.store.rights.set_hold(candidate_id, request=hold)
    if not created:
        response.status_code = 200
    return status


@router.post(
    "/candidates/{candidate_id}/hold/lift",
    response_model=HoldStatus,
    summary="Lift a candidate's litigation hold",
    responses=error_responses(400, 401, 403, 422)
    | _refusal(409, "not_on_hold", "The candidate has no active hold.", "Not on hold."),
    **_HR,
)
async def lift_hold(
    state: State,
    reader: Caller,
    candidate_id: CandidateId,
    request: Annotated[LiftHoldRequest, Body(openapi_examples=_LIFT_EXAMPLES)],
) -> HoldStatus:
    """Lift the active hold; it stays in the history with who lifted it and when."""
    require_every_job(reader)
    lift = acted(LiftHoldInput, request, reader)
    try:
        return await state.store.rights.lift_hold(candidate_id, request=lift)
    except RightsRefused as err:
        raise _refused(err) from err


@router.post(
    "/candidates/{candidate_id}/erasure",
    status_code=202,
    response_model=ErasureView,
    summary="Erase a candidate's personal data (and ask the HR system to)",
    responses=error_responses(400, 401, 403, 422, 503)
    | _refusal(
        409,
        "candidate_on_hold",
        "The candidate is under a litigation hold (candidate_on_hold), or has a session "
        "still active or suspended (candidate_has_open_session).",
        "Candidate c-9 is under a litigation hold: lift the hold before erasing their data.",
    ),
    **_HR,
)
async def request_erasure(
    state: State,
    reader: Caller,
    candidate_id: CandidateId,
    request: Annotated[ErasureRequest, Body(openapi_examples=_ERASURE_EXAMPLES)],
) -> ErasureView:
    """Accept the request and start carrying it out; poll ``GET /v1/erasures/{id}``.

    Names, emails, phones, free text, IP addresses and recording links go from every
    session of the candidate; ids, reasons, stages and times stay, so reports do not
    change. When done, a signed ``candidate.erased`` webhook tells the HR system. While a
    request is pending, asking again returns it.
    """
    require_every_job(reader)
    erasure = acted(ErasureInput, request, reader)
    try:
        view, _ = await state.store.rights.request_erasure(candidate_id, request=erasure)
    except RightsRefused as err:
        raise _refused(err) from err
    # A request left pending by an earlier failed start is started again here.
    await state.client.start_workflow(
        CandidateErasureWorkflow.run,
        EraseCandidate(request_id=view.request_id, candidate_id=candidate_id),
        id=erasure_workflow_id(candidate_id),
        task_queue=state.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return view


@router.get(
    "/erasures/{request_id}",
    response_model=ErasureView,
    summary="Where an erasure request stands",
    responses=error_responses(401, 403, 422)
    | _refusal(404, "erasure_not_found", "No erasure request has this id.", "No such erasure."),
    **_HR,
)
async def get_erasure(state: State, reader: Caller, request_id: RequestId) -> ErasureView:
    """``pending``, ``completed`` (with counts and the webhook's outcome) or ``refused``."""
    require_every_job(reader)
    view = await state.store.rights.erasure(request_id)
    if view is None:
        raise ApiError(
            404, "erasure_not_found", f"No erasure request has the id {request_id}.", None
        )
    return view
