"""A platform that speaks Temporal directly meets the same bounds as one that speaks HTTP.

The payloads here are plain JSON, as any Temporal client would send them: the worker's data
converter validates them with the contract's models, so a bad start fails the workflow at
once with ``invalid_field`` naming the field (no activity runs, nothing is recorded), and a
bad update is refused before it reaches history.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from contract.codes import ErrorCode
from sessions.client import SessionClient
from store import Store
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id


async def _start_fails(
    env: WorkflowEnvironment, task_queue: str, body: dict[str, Any]
) -> ApplicationError:
    """Start the session workflow with ``body`` as raw JSON; return the error it fails with."""
    handle = await env.client.start_workflow(
        "InterviewSessionWorkflow",
        body,
        id=session_workflow_id(body["session_id"]),
        task_queue=task_queue,
    )
    with pytest.raises(WorkflowFailureError) as caught:
        await asyncio.wait_for(handle.result(), timeout=30)
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.non_retryable
    history = await handle.fetch_history()
    scheduled = [
        event
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == []
    return cause


def _named(err: ApplicationError) -> list[str]:
    return [item["field"] for item in err.details[0]["fields"]]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("consent",), {"notice_version": "v1", "accepted_at": "0001-01-01T00:00:00+14:00"}),
        (("candidate", "name"), "Ann\r\nBcc: everyone@example.com"),
        (("job", "title"), "Sales\nManager"),
        (("downstream", 0, "scheduled_at"), "2024-05-12T09:00:00"),
        (("stages",), [f"{i:x}" for i in range(1000)]),
    ],
    ids=["finding-1-consent", "finding-4-name", "finding-4-title", "finding-5-naive", "2-stages"],
)
async def test_a_bad_start_fails_at_once_naming_the_field(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    store: Store,
    path: tuple[str | int, ...],
    value: Any,
) -> None:
    """findings 1, 2, 4, 5: a workflow started directly with a year-1 consent time, CR/LF in
    a name or title, a naive downstream time or too many stages fails with invalid_field
    naming the field; no activity ran and nothing was recorded."""
    body = session_body().model_dump(mode="json")
    node: Any = body
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value

    err = await _start_fails(dev_env, task_queue, body)

    assert err.type == ErrorCode.INVALID_FIELD
    expected = ".".join(str(part) for part in path)
    assert any(name.startswith(expected) for name in _named(err)), _named(err)
    assert (await store.list_exits(session_id=body["session_id"])).items == []


async def test_a_bad_update_is_refused_and_the_session_goes_on(
    sessions: SessionClient, dev_env: WorkflowEnvironment
) -> None:
    """finding 4: a termination sent over Temporal with CR/LF in the actor's name is refused
    naming actor.name before it reaches history; the session still answers and can end."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    handle = dev_env.client.get_workflow_handle(session_workflow_id(body.session_id))
    terminate = {
        "reason_code": "other",
        "explanation": "The recording was reviewed in full by two people.",
        "actor": {"id": "hr-1", "name": "Kim\r\nX-Injected: yes"},
    }

    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update("terminate", terminate)
    withdrawn = await handle.execute_update("withdraw", {"reason_code": "other"})

    cause = caught.value.cause
    assert isinstance(cause, ApplicationError)
    assert (cause.type, _named(cause)) == (ErrorCode.INVALID_FIELD, ["actor.name"])
    assert withdrawn["kind"] == "withdrawn"
    history = await handle.fetch_history()
    accepted = [
        event
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 1
