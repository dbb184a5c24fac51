"""The one session start, for the CLI and the API alike: the same body again, or refused.

One workflow per ``session_id``: the same body again finds the existing session, another
body is refused with ``session_conflict`` (the API's 409). Temporal decides, not the
caller: the start uses ``USE_EXISTING`` for a running session and ``REJECT_DUPLICATE`` for
a closed one, so concurrent identical starts meet at the server and exactly one of them is
told it started the workflow. Whether a repeat carries the same body is checked against
the input stored in the workflow's first history event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from contract.codes import ErrorCode
from contract.refusals import field_errors
from contract.sessions import PolicyRef, StartSession
from sessions.pinning import pinned
from sessions.refusals import SessionRefused
from store import Policies
from workflows.session import InterviewSessionWorkflow, session_workflow_id


@dataclass(frozen=True)
class StartOutcome:
    """Which workflow holds the session and whether this call created it."""

    workflow_id: str
    created: bool
    body: StartSession


async def start_session(
    client: Client, task_queue: str, sent: StartSession, *, policies: Policies | None = None
) -> StartOutcome:
    """Start the session's workflow, or find the one this same body started before.

    With ``policies`` the session runs under its job's current exit policy, which ``sent``'s
    ``policy`` overrides field by field (``sessions.pinning``); a repeat is compared under
    the version the session pinned, so a policy changed in between is no conflict.

    Raises:
        SessionRefused: ``session_conflict`` when the session exists with another body,
            ``invalid_field`` when the body's policy and the job's do not fit together.
    """
    body = await _under_policy(sent, policies, None)
    workflow_id = session_workflow_id(body.session_id)
    try:
        handle = await client.start_workflow(
            InterviewSessionWorkflow.run,
            body,
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        created = _started_by_this_call(handle)
    except WorkflowAlreadyStartedError:
        created = False
    if created:
        return StartOutcome(workflow_id=workflow_id, created=True, body=body)
    stored = await stored_start(client, body.session_id)
    if stored is not None and stored.pinned_policy != body.pinned_policy:
        body = await _under_policy(sent, policies, stored.pinned_policy)
    if stored is None or stored.model_dump(mode="json") != body.model_dump(mode="json"):
        raise SessionRefused(
            ErrorCode.SESSION_CONFLICT,
            "A session with this session_id already exists with a different body.",
            {"session_id": body.session_id, "fields": _differing_fields(stored, body)},
        )
    return StartOutcome(workflow_id=workflow_id, created=False, body=stored)


async def _under_policy(
    sent: StartSession, policies: Policies | None, version: PolicyRef | None
) -> StartSession:
    """``sent`` under its job's current policy, or under ``version`` (what a session pinned)."""
    if policies is None:
        return sent
    policy = (
        await policies.current_for_job(sent.job.id)
        if version is None
        else await policies.version(version.policy_id, version.version)
    )
    if policy is None:
        return sent
    try:
        return pinned(sent, policy)
    except ValidationError as err:
        fields = [
            {"field": f"policy.{item['field']}", "message": item["message"]}
            for item in field_errors(err)
        ]
        raise SessionRefused(
            ErrorCode.INVALID_FIELD,
            f"The body's policy does not fit the job's exit policy ({policy.policy_id} "
            f"version {policy.version}): {fields[0]['field']} {fields[0]['message']}",
            {"fields": fields},
        ) from None


async def stored_start(client: Client, session_id: str) -> StartSession | None:
    """The ``POST /v1/sessions`` body a session's workflow was started with, or None.

    Raises:
        SessionRefused: ``session_not_found`` when no workflow has this session's id.
    """
    handle = client.get_workflow_handle(session_workflow_id(session_id))
    try:
        async for event in handle.fetch_history_events(page_size=1):
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                return None
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [start] = await client.data_converter.decode(payloads, [StartSession])
            return start if isinstance(start, StartSession) else None
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise SessionRefused(ErrorCode.SESSION_NOT_FOUND, "No session has this id.") from err
        raise
    return None


def _started_by_this_call(handle: WorkflowHandle[Any, Any]) -> bool:
    # The server says in its start response whether this request created the execution;
    # the SDK keeps that response on the handle but offers no public accessor for it yet.
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", False))


def _differing_fields(stored: StartSession | None, body: StartSession) -> list[dict[str, str]]:
    if stored is None:
        return []
    before, after = stored.model_dump(mode="json"), body.model_dump(mode="json")
    return [
        {"field": name, "message": "differs from the body the session was started with"}
        for name in after
        if before.get(name) != after[name]
    ]
