"""One broken channel never holds back the others, and the session still ends cleanly."""

from __future__ import annotations

import asyncio

from temporalio.testing import WorkflowEnvironment

from contract.sessions import SessionView, WithdrawInput
from contract.stuck import RetryStuckSteps
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from store import Store
from tests.fixtures.mail import plain_text
from tests.fixtures.temporal import session_body
from tests.fixtures.waiting import eventually
from workflows.session import session_workflow_id


async def test_mail_server_down_does_not_delay_the_hr_system(
    sessions: SessionClient, mailbox: Mailbox, hris_inbox: HrisInbox, store: Store
) -> None:
    """With SMTP down the webhook still goes out at once; the email follows when SMTP is back."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    await asyncio.to_thread(mailbox.stop)

    receipt = await sessions.withdraw(body.session_id, WithdrawInput(reason_code="other"))

    webhook = await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn")
    event_id = str(webhook.webhook_id).removeprefix("msg_")
    assert await store.delivery_outcome(event_id, channel="email") != "sent"
    await asyncio.to_thread(mailbox.start)
    emails = await mailbox.wait_for(lambda m: m.messages, timeout=30)
    assert len(emails) == 1
    assert receipt.exit_id in plain_text(emails[0])


async def test_hr_system_refusal_is_recorded_and_the_session_still_closes(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """A 4xx from the HR system is a failed delivery on record and a stuck ``hris`` step for
    operations, never a failed session; once they give the step up the session closes."""
    body = session_body(downstream_in=None)
    await sessions.start(body)
    await hris_inbox.wait_for(lambda d: d.type == "interview.started")
    hris_inbox.script(400)

    await sessions.withdraw(body.session_id, WithdrawInput(reason_code="other"))

    view = await eventually(lambda: sessions.status(body.session_id), lambda v: bool(v.stuck_steps))
    assert [s.step for s in view.stuck_steps] == ["hris"]
    await sessions.retry_stuck_steps(body.session_id, RetryStuckSteps(give_up=True))
    handle = dev_env.client.get_workflow_handle(
        session_workflow_id(body.session_id), result_type=SessionView
    )
    final = await asyncio.wait_for(handle.result(), timeout=30)
    assert final.status == "withdrawn"
    refused = hris_inbox.by_type("interview.withdrawn")
    assert [d.status_code for d in refused] == [400], "a 4xx is not retried"
    event_id = str(refused[0].webhook_id).removeprefix("msg_")
    assert await store.delivery_outcome(event_id, channel="hris") == "failed"
    assert await store.delivery_outcome(event_id, channel="email") == "sent"
    assert len(mailbox.messages) == 1
