"""The contest window's clock on the time-skipping server: it closes, or waits for HR."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.codes import REINSTATED_REASON, ErrorCode, ExitKind
from contract.sessions import SessionView, StartSession
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from runtime.worker import running_worker
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from store import Store
from tests.fixtures.contest import TERMINATION, contest_input, decision, link_token
from tests.fixtures.temporal import session_body
from tests.store.helpers import fetch
from workflows.downstream import downstream_workflow_id
from workflows.session import InterviewSessionWorkflow, session_workflow_id


@pytest.fixture
async def env(
    skipping_env: WorkflowEnvironment, pipeline_settings: Settings, task_queue: str
) -> AsyncIterator[tuple[WorkflowEnvironment, SessionClient]]:
    """The time-skipping server with a worker on this test's own task queue."""
    async with running_worker(skipping_env.client, pipeline_settings, task_queue=task_queue):
        yield skipping_env, SessionClient(skipping_env.client, task_queue)


async def _terminated(
    env: tuple[WorkflowEnvironment, SessionClient], mailbox: Mailbox, **policy: Any
) -> tuple[WorkflowHandle[InterviewSessionWorkflow, SessionView], StartSession, str]:
    server, sessions = env
    body = session_body(downstream_in=None, reminder_before_deadline_hours=0, **policy)
    await sessions.start(body)
    await sessions.terminate(body.session_id, TERMINATION)
    token = await link_token(mailbox, body.session_id, "interview.terminated")
    handle = server.client.get_workflow_handle(
        session_workflow_id(body.session_id), result_type=SessionView
    )
    return handle, body, token


async def test_window_that_passes_without_a_contest_closes_the_session(
    env: tuple[WorkflowEnvironment, SessionClient], mailbox: Mailbox
) -> None:
    """The session waits out its 30-day window, then closes; a contest after it is 410."""
    server, sessions = env
    handle, body, token = await _terminated(env, mailbox)

    await server.sleep(timedelta(days=29, hours=23))
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await server.sleep(timedelta(hours=2))
    final = await handle.result()

    assert final.status == "terminated"
    assert final.contest is not None and final.contest.contest is None
    with pytest.raises(SessionRefused) as caught:
        await sessions.contest(body.session_id, contest_input(token))
    assert caught.value.code == ErrorCode.CONTEST_WINDOW_CLOSED


async def test_a_contest_waits_for_hr_past_the_window(
    env: tuple[WorkflowEnvironment, SessionClient], mailbox: Mailbox
) -> None:
    """A contest filed in time stays open for HR however long the review takes."""
    server, sessions = env
    handle, body, token = await _terminated(env, mailbox, contest_window_days=2)
    receipt = await sessions.contest(body.session_id, contest_input(token))

    await server.sleep(timedelta(days=40))

    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await sessions.decide_contest(body.session_id, decision(receipt.contest_id, "upheld"))
    final = await handle.result()
    assert final.contest is not None and final.contest.contest is not None
    assert final.contest.contest.status == "upheld"


async def test_a_reinstated_session_expires_if_the_candidate_does_not_come_back(
    env: tuple[WorkflowEnvironment, SessionClient], mailbox: Mailbox
) -> None:
    """After an overturn the fresh resume window runs as any other and ends in expiry."""
    server, sessions = env
    handle, body, token = await _terminated(env, mailbox, resume_window_hours=12)
    receipt = await sessions.contest(body.session_id, contest_input(token))
    await sessions.decide_contest(body.session_id, decision(receipt.contest_id, "overturned"))

    await server.sleep(timedelta(hours=13))
    final = await handle.result()

    assert final.status == "expired"
    assert final.exit is not None
    assert (final.exit.kind, final.exit.reason_code) == (ExitKind.EXPIRED, REINSTATED_REASON)
    await mailbox.wait_for(lambda m: len(m.messages) == 4)
    assert [m["X-Exitflow-Event"] for m in mailbox.messages] == [
        "interview.terminated",
        "termination.contested",
        "termination.overturned",
        "interview.expired",
    ]


async def _overturned_with_a_step(
    env: tuple[WorkflowEnvironment, SessionClient],
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    *,
    step_in: timedelta,
    contested_after: timedelta,
) -> str:
    """Terminated with a written test ``step_in`` away, contested later, overturned, restored."""
    server, sessions = env
    body = session_body(downstream_in=step_in, reminder_before_deadline_hours=0)
    sid = body.session_id
    await sessions.start(body)
    await sessions.terminate(sid, TERMINATION)
    token = await link_token(mailbox, sid, "interview.terminated")
    await server.sleep(contested_after)
    receipt = await sessions.contest(sid, contest_input(token))
    await sessions.decide_contest(sid, decision(receipt.contest_id, "overturned"))
    await hris_inbox.wait_for(
        lambda d: d.type == "downstream.restored" and d.data["session_id"] == sid
    )
    return sid


async def _step_status(store: Store, session_id: str, wanted: str) -> str:
    sql = "SELECT status FROM downstream_steps WHERE session_id = :s"
    for _ in range(100):
        [row] = await fetch(store, sql, s=session_id)
        if row["status"] == wanted:
            break
        await asyncio.sleep(0.1)
    return str(row["status"])


async def test_a_restored_step_whose_time_passed_during_the_contest_invites_at_once(
    env: tuple[WorkflowEnvironment, SessionClient],
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """The written test was due while the contest waited: the overturn sends it right away."""
    server, _ = env
    sid = await _overturned_with_a_step(
        env, mailbox, hris_inbox, step_in=timedelta(days=1), contested_after=timedelta(days=3)
    )

    step = server.client.get_workflow_handle(downstream_workflow_id(sid, "wt-1"))

    assert await step.result() == "invited"
    assert await _step_status(store, sid, "invited") == "invited"
