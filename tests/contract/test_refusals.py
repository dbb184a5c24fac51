"""Every refusal of the contract: a clear, typed error, and nothing written anywhere."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from contract.codes import ErrorCode
from contract.sessions import StartSession, WithdrawInput
from devstack.hris_inbox import HrisInbox
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from store import Store
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id


@pytest.fixture
async def started(sessions: SessionClient, dev_env: WorkflowEnvironment) -> StartSession:
    """A running session, with its start already synced to the HR inbox."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    return body


async def _refused(handle: WorkflowHandle[Any, Any], name: str, payload: Any) -> ApplicationError:
    """Send ``payload`` as any Temporal client would (plain JSON) and return the refusal."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(name, payload)
    assert isinstance(caught.value.cause, ApplicationError)
    return caught.value.cause


async def _accepted_updates(handle: WorkflowHandle[Any, Any]) -> int:
    """How many updates history holds: a refused one must not be among them."""
    history = await handle.fetch_history()
    return sum(
        1
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    )


async def test_unknown_reason_is_refused_naming_the_field_and_leaves_no_trace(
    started: StartSession, dev_env: WorkflowEnvironment, store: Store
) -> None:
    """A withdrawal with a reason code outside the list is refused before it reaches history."""
    handle = dev_env.client.get_workflow_handle(session_workflow_id(started.session_id))

    err = await _refused(handle, "withdraw", {"reason_code": "bored"})

    assert err.type == ErrorCode.INVALID_FIELD
    assert err.details[0]["fields"][0]["field"] == "reason_code"
    assert await _accepted_updates(handle) == 0
    assert (await store.list_exits(session_id=started.session_id)).items == []


async def test_termination_without_explanation_is_refused(
    started: StartSession, dev_env: WorkflowEnvironment
) -> None:
    """HR must explain a termination; a missing or too short explanation names the field."""
    handle = dev_env.client.get_workflow_handle(session_workflow_id(started.session_id))
    actor = {"id": "hr-1", "name": "Kim"}

    missing = await _refused(handle, "terminate", {"reason_code": "other", "actor": actor})
    short = await _refused(
        handle, "terminate", {"reason_code": "other", "explanation": "no", "actor": actor}
    )

    for err in (missing, short):
        assert err.type == ErrorCode.INVALID_FIELD
        assert err.details[0]["fields"][0]["field"] == "explanation"
    assert (await handle.query("get_status"))["status"] == "active"


async def test_exit_after_exit_is_a_conflict_and_keeps_the_first(
    started: StartSession, sessions: SessionClient, hris_inbox: HrisInbox
) -> None:
    """A second exit is refused as session_ended; the first exit stands alone."""
    first = await sessions.withdraw(started.session_id, WithdrawInput(reason_code="other"))

    with pytest.raises(SessionRefused) as caught:
        await sessions.withdraw(started.session_id, WithdrawInput(reason_code="lost_interest"))

    assert caught.value.code == ErrorCode.SESSION_ENDED
    view = await sessions.status(started.session_id)
    assert [e.exit_id for e in view.exits] == [first.exit_id]
    await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn")
    assert len(hris_inbox.by_type("interview.withdrawn")) == 1


async def test_resume_with_a_wrong_token_is_forbidden(
    started: StartSession, sessions: SessionClient, dev_env: WorkflowEnvironment
) -> None:
    """A resume token from anywhere but this suspension is refused and the session stays put."""
    handle = dev_env.client.get_workflow_handle(session_workflow_id(started.session_id))
    await handle.execute_update("report_fault", {"cause": "device"})

    err = await _refused(handle, "resume", {"resume_token": "guessed"})

    assert err.type == ErrorCode.INVALID_RESUME_TOKEN
    assert (await sessions.status(started.session_id)).status == "suspended"


async def test_progress_while_suspended_asks_for_a_resume(
    started: StartSession, dev_env: WorkflowEnvironment
) -> None:
    """Work cannot be saved into a suspended session; the refusal says to resume first."""
    handle = dev_env.client.get_workflow_handle(session_workflow_id(started.session_id))
    await handle.execute_update("report_fault", {"cause": "browser"})

    err = await _refused(
        handle, "progress", {"stage": "self_intro", "segment_id": "x", "kind": "video"}
    )

    assert err.type == ErrorCode.SESSION_SUSPENDED
    assert "resume" in err.message


async def test_unknown_session_is_not_found(sessions: SessionClient) -> None:
    """Reading or exiting a session that never started says so."""
    with pytest.raises(SessionRefused) as read:
        await sessions.status("no-such-session")
    with pytest.raises(SessionRefused) as exit_:
        await sessions.withdraw("no-such-session", WithdrawInput(reason_code="other"))

    assert read.value.code == ErrorCode.SESSION_NOT_FOUND
    assert exit_.value.code == ErrorCode.SESSION_NOT_FOUND
