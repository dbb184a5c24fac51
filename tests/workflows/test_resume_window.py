"""The session's clocks on the time-skipping server: heartbeats, the window, the reminder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.codes import ABANDONED_REASON, ErrorCode
from contract.sessions import ClientInfo, FaultInput, HeartbeatInput, ResumeInput, StartSession
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from runtime.worker import running_worker
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from store import Store
from tests.fixtures.mail import plain_text
from tests.fixtures.temporal import session_body
from workflows.session import InterviewSessionWorkflow, session_workflow_id


@pytest.fixture
async def env(
    skipping_env: WorkflowEnvironment, pipeline_settings: Settings, task_queue: str
) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    """The time-skipping server with a worker on this test's own task queue."""
    async with running_worker(skipping_env.client, pipeline_settings, task_queue=task_queue):
        yield skipping_env, task_queue


async def _start(env: tuple[WorkflowEnvironment, str], body: StartSession) -> WorkflowHandle:
    server, task_queue = env
    return await server.client.start_workflow(
        InterviewSessionWorkflow.run,
        body,
        id=session_workflow_id(body.session_id),
        task_queue=task_queue,
    )


async def test_silence_past_the_heartbeat_timeout_suspends_as_abandoned(
    env: tuple[WorkflowEnvironment, str], mailbox: Mailbox, hris_inbox: HrisInbox
) -> None:
    """A page that stops heartbeating is suspended as abandoned, with the apology sent."""
    server, _ = env
    handle = await _start(env, session_body(heartbeat_timeout_seconds=120, downstream_in=None))
    for _ in range(3):
        await server.sleep(timedelta(seconds=90))
        await handle.signal(InterviewSessionWorkflow.heartbeat, HeartbeatInput())
    assert (await handle.query(InterviewSessionWorkflow.get_status)).status == "active"

    await server.sleep(timedelta(seconds=130))

    view = await handle.query(InterviewSessionWorkflow.get_status)
    assert view.status == "suspended"
    assert view.exit is not None
    assert (view.exit.kind, view.exit.reason_code) == ("abandoned", ABANDONED_REASON)
    suspended = await hris_inbox.wait_for(lambda d: d.type == "interview.suspended")
    assert suspended.data["exit"]["kind"] == "abandoned"
    emails = await mailbox.wait_for(lambda m: m.messages)
    assert len(emails) == 1


async def test_beats_noted_by_the_api_keep_the_session_alive_without_signals(
    env: tuple[WorkflowEnvironment, str], store: Store, hris_inbox: HrisInbox
) -> None:
    """Beats on the session's row hold off abandonment; silence after them still ends it,
    with the client the last beat reported."""
    server, _ = env
    body = session_body(heartbeat_timeout_seconds=120, downstream_in=None)
    handle = await _start(env, body)
    await hris_inbox.wait_for(lambda d: d.type == "interview.started")
    client = ClientInfo(browser="Safari", browser_version="18", os="iOS", device="phone")
    for _ in range(4):
        await server.sleep(timedelta(seconds=90))
        noted = await store.see_heartbeat(
            body.session_id, at=await server.get_current_time(), client=client
        )
        assert noted == "active"
    assert (await handle.query(InterviewSessionWorkflow.get_status)).status == "active"

    await server.sleep(timedelta(seconds=130))

    view = await handle.query(InterviewSessionWorkflow.get_status)
    assert view.status == "suspended"
    assert view.exit is not None and view.exit.fault is not None
    assert (view.exit.kind, view.exit.fault.client) == ("abandoned", client)
    history = await handle.fetch_history()
    assert not [
        e for e in history.events if e.HasField("workflow_execution_signaled_event_attributes")
    ]


async def test_reminder_then_expiry_invites_the_candidate_back(
    env: tuple[WorkflowEnvironment, str], mailbox: Mailbox, hris_inbox: HrisInbox
) -> None:
    """A fault's 24 h window sends one reminder 2 h before it closes, then expires the session."""
    server, _ = env
    handle = await _start(env, session_body())
    ack = await handle.execute_update(
        InterviewSessionWorkflow.report_fault, FaultInput.model_validate({"cause": "network"})
    )
    await mailbox.wait_for(lambda m: len(m.messages) == 1)

    await server.sleep(timedelta(hours=22, minutes=1))
    await mailbox.wait_for(lambda m: len(m.messages) == 2)
    reminder = mailbox.messages[1]
    assert ack.resume_token in plain_text(reminder)

    await server.sleep(timedelta(hours=2))
    result = await handle.result()

    assert result.status == "expired"
    assert result.exit is not None and result.exit.reason_code == "network"
    assert result.downstream[0].status == "cancelled"
    await mailbox.wait_for(lambda m: len(m.messages) == 3)
    expired = mailbox.messages[2]
    assert "apply" in plain_text(expired).lower()
    assert [e["X-Exitflow-Event"] for e in mailbox.messages] == [
        "interview.suspended",
        "interview.resume_reminder",
        "interview.expired",
    ]
    await hris_inbox.wait_for(lambda d: d.type == "interview.expired")
    await hris_inbox.wait_for(lambda d: d.type == "downstream.cancelled")


async def test_resume_after_the_deadline_is_gone(
    env: tuple[WorkflowEnvironment, str],
) -> None:
    """Coming back after the window closed is refused as resume_window_closed (HTTP 410)."""
    server, task_queue = env
    sessions = SessionClient(server.client, task_queue)
    body = session_body(resume_window_hours=0.5, downstream_in=None)
    handle = await _start(env, body)
    ack = await handle.execute_update(
        InterviewSessionWorkflow.report_fault, FaultInput.model_validate({"cause": "device"})
    )
    await server.sleep(timedelta(minutes=31))

    with pytest.raises(SessionRefused) as caught:
        await sessions.resume(body.session_id, ResumeInput(resume_token=ack.resume_token))

    assert caught.value.code == ErrorCode.RESUME_WINDOW_CLOSED
    assert (await handle.query(InterviewSessionWorkflow.get_status)).status == "expired"
