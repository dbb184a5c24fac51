"""Downstream steps across a contest: restored by an overturn, cancelled again by an exit.

On the real dev server, database, SMTP server and HR inbox. (The time-skipping test server
cannot cancel a second run of a child under the same workflow id, so these run here.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.database import DatabaseActivities
from config import Settings
from contract.codes import EventType, SessionStatus
from contract.events import SessionEvent
from contract.sessions import ResumeInput, WithdrawInput
from devstack.hris_inbox import Delivery, HrisInbox
from devstack.mailbox import Mailbox
from runtime.worker import SANDBOX, WORKFLOWS, activities_for
from sessions.client import SessionClient
from store import Store
from tests.fixtures.contest import (
    TERMINATION,
    contest_input,
    decision,
    email_text,
    final_view,
    link_token,
)
from tests.fixtures.temporal import session_body
from tests.store.helpers import fetch
from workflows.downstream import downstream_workflow_id


async def test_an_overturn_restores_the_downstream_steps_the_termination_cancelled(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """The written test comes back with the session; a completed session leaves it to run."""
    sid = await _overturned_with_a_step(sessions, mailbox)

    restored = await hris_inbox.wait_for(lambda d: d.type == "downstream.restored" and _of(d, sid))
    assert restored.verified
    assert [step["step_id"] for step in restored.data["restored_steps"]] == ["wt-1"]
    assert restored.data["status"] == "suspended"
    step = dev_env.client.get_workflow_handle(downstream_workflow_id(sid, "wt-1"))
    assert (await step.describe()).status == WorkflowExecutionStatus.RUNNING
    rows = await fetch(
        store, "SELECT status, reason FROM downstream_steps WHERE session_id = :s", s=sid
    )
    assert rows == [{"status": "scheduled", "reason": None}]
    resume_token = await link_token(mailbox, sid, "termination.overturned")
    assert "back on as planned: your written test" in email_text(
        mailbox, sid, "termination.overturned"
    )
    await sessions.resume(sid, ResumeInput(resume_token=resume_token))
    await sessions.complete(sid)
    final = await final_view(dev_env, sid)
    assert [(s.step_id, s.status) for s in final.downstream] == [("wt-1", "scheduled")]
    assert (await step.describe()).status == WorkflowExecutionStatus.RUNNING
    cancellations = [d for d in hris_inbox.by_type("downstream.cancelled") if _of(d, sid)]
    assert len(cancellations) == 1  # the termination's; completing cancels nothing
    assert (await store.verify_audit_chain()).ok


async def test_a_reinstated_session_that_expires_cancels_its_restored_steps_again(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """Restored, then the candidate never comes back: the steps are cancelled once more."""
    sid = await _overturned_with_a_step(sessions, mailbox, resume_window_hours=0.002)
    await hris_inbox.wait_for(lambda d: d.type == "downstream.restored" and _of(d, sid))

    final = await final_view(dev_env, sid)

    assert final.status is SessionStatus.EXPIRED
    assert [(s.step_id, s.status) for s in final.downstream] == [("wt-1", "cancelled")]
    cancellations = await hris_inbox.wait_for(
        lambda d: d.type == "downstream.cancelled" and _of(d, sid) and d.data["status"] == "expired"
    )
    assert [step["step_id"] for step in cancellations.data["cancelled_steps"]] == ["wt-1"]
    step = dev_env.client.get_workflow_handle(downstream_workflow_id(sid, "wt-1"))
    assert await step.result() == "cancelled"
    sql = "SELECT status FROM downstream_steps WHERE session_id = :s"
    assert await fetch(store, sql, s=sid) == [{"status": "cancelled"}]
    assert (await store.verify_audit_chain()).ok


async def _overturned_with_a_step(sessions: SessionClient, mailbox: Mailbox, **policy: Any) -> str:
    """A session with a written test in two days, terminated, contested and overturned."""
    body = session_body(downstream_in=timedelta(days=2), **policy)
    await sessions.start(body)
    await sessions.terminate(body.session_id, TERMINATION)
    token = await link_token(mailbox, body.session_id, "interview.terminated")
    receipt = await sessions.contest(body.session_id, contest_input(token))
    await sessions.decide_contest(body.session_id, decision(receipt.contest_id, "overturned"))
    return body.session_id


def _of(delivery: Delivery, session_id: str) -> bool:
    return bool(delivery.data["session_id"] == session_id)


class _HeldRestore(DatabaseActivities):
    """The store's activities, except that recording ``downstream.restored`` waits for a gate."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.holding = asyncio.Event()
        self.gate = asyncio.Event()

    @activity.defn(name="record_session_event")
    async def record_session_event(self, event: SessionEvent) -> bool:
        """Record as usual; a restoration first waits until the test opens the gate."""
        if event.type is EventType.DOWNSTREAM_RESTORED:
            self.holding.set()
            await self.gate.wait()
        return await super().record_session_event(event)


@pytest.fixture
async def held(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, task_queue: str, store: Store
) -> AsyncIterator[tuple[SessionClient, _HeldRestore]]:
    """A worker whose restorations wait at the gate, and a client for its task queue."""
    database = _HeldRestore(store)
    async with httpx.AsyncClient() as http:
        activities = [
            database.record_session_event if fn.__name__ == "record_session_event" else fn
            for fn in activities_for(pipeline_settings, store, http)
        ]
        async with Worker(
            dev_env.client,
            task_queue=task_queue,
            workflows=WORKFLOWS,
            workflow_runner=SANDBOX,
            activities=activities,
        ):
            yield SessionClient(dev_env.client, task_queue), database
            database.gate.set()


async def test_an_exit_while_the_steps_restart_cancels_the_new_runs(
    held: tuple[SessionClient, _HeldRestore],
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """A withdrawal during the restore waits for the restarted step, then cancels it."""
    sessions, database = held
    sid = await _overturned_with_a_step(sessions, mailbox)
    await asyncio.wait_for(database.holding.wait(), timeout=10)

    receipt = await sessions.withdraw(sid, WithdrawInput(reason_code="other"))
    database.gate.set()
    final = await final_view(dev_env, sid)

    assert receipt.kind == "withdrawn"
    assert final.status is SessionStatus.WITHDRAWN
    assert [(s.step_id, s.status) for s in final.downstream] == [("wt-1", "cancelled")]
    step = dev_env.client.get_workflow_handle(downstream_workflow_id(sid, "wt-1"))
    assert await step.result() == "cancelled", "the restarted run, cancelled by the withdrawal"
    await hris_inbox.wait_for(
        lambda d: (
            d.type == "downstream.cancelled" and _of(d, sid) and d.data["status"] == "withdrawn"
        )
    )
    types = [str(d.type) for d in hris_inbox.deliveries if _of(d, sid)]
    assert types.count("downstream.cancelled") == 2  # the termination's, the withdrawal's
    assert types.count("downstream.restored") == 1
    sql = "SELECT status FROM downstream_steps WHERE session_id = :s"
    assert await fetch(store, sql, s=sid) == [{"status": "cancelled"}]
    assert (await store.verify_audit_chain()).ok
