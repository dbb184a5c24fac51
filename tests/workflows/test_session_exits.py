"""Each way a session ends, end to end: real Temporal dev server, database, SMTP, HR inbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from contract.codes import DownstreamStatus, SessionStatus
from contract.sessions import (
    FaultInput,
    ResumeInput,
    SegmentInput,
    SessionView,
    TerminateInput,
    WithdrawInput,
)
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from store import Store
from tests.fixtures.mail import plain_text
from tests.fixtures.temporal import RESUME_URL_BASE, session_body
from workflows import search
from workflows.downstream import downstream_workflow_id
from workflows.session import session_workflow_id


async def _save_two_segments(sessions: SessionClient, session_id: str) -> None:
    await sessions.progress(
        session_id,
        SegmentInput(stage="self_intro", segment_id="seg-1", kind="video", video_seconds=95),
    )
    await sessions.progress(
        session_id,
        SegmentInput(
            stage="skill_test",
            segment_id="seg-2",
            kind="assessment",
            questions_answered=10,
            questions_correct=7,
        ),
    )


async def _downstream_step(client: Client, session_id: str) -> WorkflowHandle[Any, Any]:
    """The session's written-test step, once the session has started it."""
    child = client.get_workflow_handle(downstream_workflow_id(session_id, "wt-1"))
    for _ in range(100):
        try:
            await child.describe()
        except RPCError as err:
            if err.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.05)
        else:
            return child
    raise AssertionError(f"the session {session_id} never started its downstream step")


async def _result(client: Client, session_id: str) -> dict[str, Any]:
    """The session's final view, once every message is delivered and the workflow closed."""
    handle = client.get_workflow_handle(session_workflow_id(session_id), result_type=SessionView)
    return (await asyncio.wait_for(handle.result(), timeout=30)).model_dump(mode="json")


async def test_withdrawal_is_recorded_confirmed_synced_and_cancels_downstream(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """A withdrawal gives a receipt, one thank-you email, signed webhooks and a cancelled step."""
    body = session_body()
    await sessions.start(body)
    await _save_two_segments(sessions, body.session_id)

    receipt = await sessions.withdraw(
        body.session_id, WithdrawInput(reason_code="job_requirements", comment="Too much travel")
    )

    assert receipt.kind == "withdrawn" and receipt.reason_code == "job_requirements"
    final = await _result(dev_env.client, body.session_id)
    assert final["status"] == "withdrawn"
    assert [s["segment_id"] for s in final["completed_segments"]] == ["seg-1", "seg-2"]
    assert final["downstream"][0]["status"] == DownstreamStatus.CANCELLED

    withdrawn = await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn")
    assert withdrawn.verified
    data = withdrawn.data
    assert data["exit"]["reason_code"] == "job_requirements"
    assert data["exit"]["comment"] == "Too much travel"
    cancelled = await hris_inbox.wait_for(lambda d: d.type == "downstream.cancelled")
    assert [step["step_id"] for step in cancelled.data["cancelled_steps"]] == ["wt-1"]

    emails = await mailbox.wait_for(lambda m: m.messages)
    assert len(emails) == 1
    assert "Thank you" in plain_text(emails[0])
    assert receipt.exit_id in plain_text(emails[0])

    exits = await store.list_exits(session_id=body.session_id)
    assert [(e.exit_id, e.kind) for e in exits.items] == [(receipt.exit_id, "withdrawn")]
    assert (await store.verify_audit_chain()).ok

    child = await _downstream_step(dev_env.client, body.session_id)
    assert await child.result() == DownstreamStatus.CANCELLED


async def test_fault_then_resume_restores_every_segment(
    sessions: SessionClient, mailbox: Mailbox, hris_inbox: HrisInbox
) -> None:
    """A fault suspends with an apology and a resume link; resuming brings every segment back."""
    body = session_body(locale="zh-CN")
    await sessions.start(body)
    await _save_two_segments(sessions, body.session_id)

    ack = await sessions.report_fault(
        body.session_id,
        FaultInput.model_validate(
            {
                "cause": "network",
                "detail": "ICE connection failed",
                "client": {"browser": "Chrome", "browser_version": "88", "os": "Windows 7"},
            }
        ),
    )

    assert ack.status is SessionStatus.SUSPENDED
    emails = await mailbox.wait_for(lambda m: m.messages)
    text = plain_text(emails[0])
    assert RESUME_URL_BASE in text and ack.resume_token in text
    assert emails[0]["Content-Language"] == "zh-CN"
    suspended = await hris_inbox.wait_for(lambda d: d.type == "interview.suspended")
    assert suspended.data["fault"]["cause"] == "network"
    assert suspended.data["fault"]["client"]["browser_version"] == "88"

    view = await sessions.resume(body.session_id, ResumeInput(resume_token=ack.resume_token))

    assert view.status is SessionStatus.ACTIVE
    assert [s.segment_id for s in view.completed_segments] == ["seg-1", "seg-2"]
    assert view.current_stage == "skill_test"
    await hris_inbox.wait_for(lambda d: d.type == "interview.resumed")
    assert len(mailbox.messages) == 1


async def test_termination_keeps_and_sends_the_notice_verbatim(
    sessions: SessionClient, mailbox: Mailbox, hris_inbox: HrisInbox, store: Store
) -> None:
    """HR's termination is recorded with actor and reason; the candidate gets the exact notice."""
    body = session_body(locale="zh-CN")
    await sessions.start(body)
    explanation = "该职位已于今日招满，感谢您的理解与参与。我们会保留您的资料。"

    receipt = await sessions.terminate(
        body.session_id,
        TerminateInput.model_validate(
            {
                "reason_code": "position_filled",
                "explanation": explanation,
                "actor": {"id": "hr-3", "name": "王芳"},
            }
        ),
    )

    assert receipt.notice_text is not None and explanation in receipt.notice_text
    emails = await mailbox.wait_for(lambda m: m.messages)
    assert receipt.notice_text in plain_text(emails[0])
    terminated = await hris_inbox.wait_for(lambda d: d.type == "interview.terminated")
    assert terminated.data["exit"]["actor"] == {"id": "hr-3", "name": "王芳", "verified": False}
    assert terminated.data["exit"]["explanation"] == explanation
    exits = await store.list_exits(session_id=body.session_id)
    assert exits.items[0].notice_text == receipt.notice_text


async def test_completion_leaves_downstream_steps_to_run(
    sessions: SessionClient, dev_env: WorkflowEnvironment, mailbox: Mailbox, hris_inbox: HrisInbox
) -> None:
    """A completed session is synced to HR, emails nobody, and its written test still waits."""
    body = session_body()
    await sessions.start(body)

    view = await sessions.complete(body.session_id)

    assert view.status is SessionStatus.COMPLETED
    await _result(dev_env.client, body.session_id)
    await hris_inbox.wait_for(lambda d: d.type == "interview.completed")
    child = await _downstream_step(dev_env.client, body.session_id)
    assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
    await child.terminate("test cleanup")
    assert mailbox.messages == []


async def test_operators_can_filter_sessions_by_exit_in_visibility(
    sessions: SessionClient, dev_env: WorkflowEnvironment
) -> None:
    """Search attributes are kept current, so a Web UI filter by exit kind and job finds it."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    await sessions.withdraw(body.session_id, WithdrawInput(reason_code="lost_interest"))
    handle = dev_env.client.get_workflow_handle(session_workflow_id(body.session_id))
    attributes = (await handle.describe()).typed_search_attributes

    assert attributes.get(search.SESSION_STATUS) == "withdrawn"
    assert attributes.get(search.EXIT_KIND) == "withdrawn"
    assert attributes.get(search.EXIT_REASON) == "lost_interest"
    query = (
        f'ExitKind = "withdrawn" AND JobId = "{body.job.id}" '
        f'AND CandidateId = "{body.candidate.id}"'
    )
    for _ in range(50):
        found = [wf.id async for wf in dev_env.client.list_workflows(query)]
        if found:
            break
        await asyncio.sleep(0.2)
    assert found == [session_workflow_id(body.session_id)]


async def test_downstream_step_sends_its_invitation_when_due(
    sessions: SessionClient, dev_env: WorkflowEnvironment, store: Store
) -> None:
    """A step whose time has come records its invitation even while the session runs."""
    body = session_body(downstream_in=timedelta(seconds=-1))
    await sessions.start(body)
    child = await _downstream_step(dev_env.client, body.session_id)

    assert await child.result() == DownstreamStatus.INVITED
    await sessions.withdraw(body.session_id, WithdrawInput(reason_code="other"))
    final = await _result(dev_env.client, body.session_id)
    assert final["downstream"][0]["status"] == DownstreamStatus.INVITED
