"""``/v1/policies``: exit policies per job, versioned (contract section 10).

HR reads and changes them, operations reads them. Policies hold no personal data, so every
HR person reads them all; a person whose scope is some jobs only may change only a policy
whose jobs, before and after the change, all lie in that scope (never ``default``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import ValidationError

from contract.codes import ErrorCode
from contract.policies import (
    DEFAULT_POLICY_ID,
    MAX_HISTORY,
    POLICY_CONFLICT,
    POLICY_ID_PATTERN,
    POLICY_NOT_FOUND,
    ExitPolicy,
    ExitPolicyFields,
    PolicyHistory,
    PolicyList,
    PutPolicy,
)
from contract.refusals import field_errors
from identity.principal import Principal
from starter.api.auth import ApiError, Caller, allowed
from starter.api.deps import State
from starter.api.docs import error_responses, examples
from starter.api.errors import ErrorResponse
from starter.api.scope import acting, beyond_scope
from store import PolicyConflict

router = APIRouter(prefix="/v1", tags=["policies"])

PolicyIdPath = Annotated[
    str,
    Path(
        pattern=POLICY_ID_PATTERN,
        description="1 to 64 of a-z 0-9 _ -; `default` applies to every job without its own.",
        examples=["senior-roles"],
    ),
]
_PUT_EXAMPLES = examples(
    {
        "resume_window_hours": 48,
        "reminders_before_deadline_hours": [24, 2],
        "channels_by_event": {"suspended": ["sms"], "reminder": ["sms"]},
        "job_ids": ["job-sales-manager"],
        "actor": {"id": "hr-3", "name": "王芳"},
    },
    {
        "resume_window_hours": 48,
        "reminders_before_deadline_hours": [24, 2],
        "channels": ["email", "sms"],
        "contest_window_days": 14,
        "job_ids": ["job-cto", "job-vp-engineering"],
        "actor": {"id": "hr-4", "name": "Dana Whitfield"},
    },
)


def _refusal(status: int, code: str, description: str, message: str) -> dict[int | str, Any]:
    example = {"error": {"code": code, "message": message, "details": {"policy_id": "senior"}}}
    return {
        status: {
            "model": ErrorResponse,
            "description": description,
            "content": {"application/json": {"example": example}},
        }
    }


_NOT_FOUND = _refusal(404, POLICY_NOT_FOUND, "No policy has this id.", "No policy has this id.")
_PUT_RESPONSES = (
    error_responses(400, 401, 403, 422)
    | _refusal(
        409,
        POLICY_CONFLICT,
        "Another policy already applies to one of the jobs (a job has one policy).",
        "Policy 'senior' already applies to job 'job-cto'; a job has one policy.",
    )
    | {200: {"model": ExitPolicy, "description": "Nothing changed: the current version."}}
)


@router.get(
    "/policies",
    response_model=PolicyList,
    summary="Every exit policy's current version",
    responses=error_responses(401, 403),
    **allowed("hr", "ops"),
)
async def list_policies(state: State) -> PolicyList:
    """Each policy's current version, by id; ``default`` is always there."""
    return PolicyList(policies=await state.store.policies.list())


@router.get(
    "/policies/{policy_id}",
    response_model=PolicyHistory,
    summary="An exit policy: its current version and its history",
    responses=error_responses(401, 403, 422) | _NOT_FOUND,
    **allowed("hr", "ops"),
)
async def get_policy(
    state: State,
    policy_id: PolicyIdPath,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY, description="Versions to list.")] = 50,
) -> PolicyHistory:
    """The current version and the versions before it, newest first (at most ``limit``)."""
    history = await state.store.policies.history(policy_id, limit=limit)
    if history is None:
        raise ApiError(404, POLICY_NOT_FOUND, "No policy has this id.", {"policy_id": policy_id})
    return history


@router.put(
    "/policies/{policy_id}",
    status_code=201,
    response_model=ExitPolicy,
    summary="Save a new version of an exit policy",
    responses=_PUT_RESPONSES,
    **allowed("hr"),
)
async def put_policy(
    state: State,
    reader: Caller,
    policy_id: PolicyIdPath,
    response: Response,
    request: Annotated[PutPolicy, Body(openapi_examples=_PUT_EXAMPLES)],
) -> ExitPolicy:
    """Merge the fields sent into the current version (missing ones keep their value) and
    save the result as the next version; 200 with the current one when nothing changed.

    A policy saved for the first time starts from the default's fields, with no job. A
    session runs under the version current when it starts.
    """
    author = acting(reader, request.actor)
    fields = ExitPolicyFields.model_validate(request.model_dump(exclude={"actor"}))
    await _require_scope(state, reader, policy_id, fields)
    try:
        saved, made = await state.store.policies.save(policy_id, fields, author=author)
    except ValidationError as err:
        problems = field_errors(err)
        names = ", ".join(item["field"] for item in problems)
        message = f"Invalid value for {names}: {problems[0]['message']}"
        raise ApiError(422, ErrorCode.INVALID_FIELD, message, {"fields": problems}) from None
    except PolicyConflict as err:
        raise ApiError(409, err.code, err.message, err.details) from None
    if not made:
        response.status_code = 200
    return saved


async def _require_scope(
    state: State, reader: Principal, policy_id: str, fields: ExitPolicyFields
) -> None:
    if reader.jobs is None:
        return
    current = await state.store.policies.get(policy_id)
    before = set(current.fields.job_ids or []) if current else set()
    jobs = set(fields.job_ids or []) | before
    if policy_id == DEFAULT_POLICY_ID or not jobs <= reader.jobs:
        raise beyond_scope(reader.jobs, "This policy reaches jobs outside your scope")
