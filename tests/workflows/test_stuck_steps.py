"""A pipeline step that fails for good never poisons its session: it waits, visible, for ops."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.sessions import SessionView, StartSession, WithdrawInput
from contract.stuck import RetryStuckSteps, StuckSession
from devstack.hris_inbox import HrisInbox, ScriptedResponse
from devstack.mailbox import Mailbox
from runtime.worker import running_worker
from sessions.client import SessionClient
from sessions.refusals import SessionRefused
from sessions.stuck import list_stuck_sessions
from store import Store
from tests.fixtures.poison import cure, poison
from tests.fixtures.temporal import session_body
from tests.fixtures.waiting import eventually
from tests.store.helpers import count, fetch
from workflows.session import session_workflow_id

DATA_FAILURES = {"invalid_data", "integrity"}
"""The trigger's error: a constraint on SQLite, a data exception on PostgreSQL."""


async def test_poisoned_record_does_not_hang_the_session(
    sessions: SessionClient,
    dev_env: WorkflowEnvironment,
    task_queue: str,
    store: Store,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
) -> None:
    """finding 1: a record the database refuses for good is a stuck step, not a hang.

    Before, the record activity retried forever, the withdrawal never answered and the view
    said ``withdrawn`` with no exit record anywhere. Now the withdrawal answers, the view
    lists both stuck records, other commands answer, nothing is half-written, and once the
    cause is fixed a retry saves each record with its audit entry and sends what waited.
    """
    body = session_body(downstream_in=None)
    sid = body.session_id
    await poison(store, sid)
    await sessions.start(body)

    receipt = await asyncio.wait_for(sessions.withdraw(sid, WithdrawInput(reason_code="other")), 30)

    view = await eventually(lambda: sessions.status(sid), lambda v: len(v.stuck_steps) == 2)
    assert view.status == "withdrawn" and view.exit is not None
    assert view.exit.exit_id == receipt.exit_id
    stuck = {(s.step, s.event_type) for s in view.stuck_steps}
    assert stuck == {("record", "interview.started"), ("record", "interview.withdrawn")}
    assert {s.failure_type for s in view.stuck_steps} <= DATA_FAILURES
    assert (await sessions.exit_preview(sid)).saved_segments == 0
    listed = await eventually(
        lambda: list_stuck_sessions(dev_env.client, task_queue), lambda found: sid in _ids(found)
    )
    assert {s.step_id for s in _of(listed, sid).steps} == {s.step_id for s in view.stuck_steps}
    for table in ("session_events", "sessions", "exits", "audit_log"):
        assert await count(store, table, sid) == 0, f"{table} half-written"
    assert not mailbox.messages and not hris_inbox.deliveries

    await cure(store)
    answered = await sessions.retry_stuck_steps(sid, RetryStuckSteps())

    assert len(answered.steps) == 2
    handle = dev_env.client.get_workflow_handle(session_workflow_id(sid), result_type=SessionView)
    final = await asyncio.wait_for(handle.result(), timeout=30)
    assert final.stuck_steps == []
    assert await count(store, "session_events", sid) == 2
    assert await count(store, "audit_log", sid) == 2
    exits = await fetch(store, "SELECT exit_id FROM exits WHERE session_id = :s", s=sid)
    assert [row["exit_id"] for row in exits] == [receipt.exit_id]
    assert len(mailbox.messages) == 1
    assert {d.type for d in hris_inbox.deliveries} == {"interview.started", "interview.withdrawn"}


async def test_a_given_up_record_lets_the_session_close(
    sessions: SessionClient, dev_env: WorkflowEnvironment, store: Store
) -> None:
    """Giving up a stuck record ends the wait: the session closes without that record."""
    body = session_body(downstream_in=None)
    sid = body.session_id
    await poison(store, sid)
    await sessions.start(body)
    await sessions.withdraw(sid, WithdrawInput(reason_code="other"))
    await eventually(lambda: sessions.status(sid), lambda v: len(v.stuck_steps) == 2)

    await sessions.retry_stuck_steps(sid, RetryStuckSteps(give_up=True))

    handle = dev_env.client.get_workflow_handle(session_workflow_id(sid), result_type=SessionView)
    final = await asyncio.wait_for(handle.result(), timeout=30)
    assert (final.status, final.stuck_steps) == ("withdrawn", [])
    assert await count(store, "session_events", sid) == 0


async def test_retry_when_nothing_is_stuck_is_refused(sessions: SessionClient) -> None:
    """A retry of a session with no stuck step, or of a step not stuck, is a 409-type refusal."""
    body = session_body(downstream_in=None)
    await sessions.start(body)

    for request in (RetryStuckSteps(), RetryStuckSteps(step_id="email:0000-1111")):
        try:
            await sessions.retry_stuck_steps(body.session_id, request)
        except SessionRefused as refused:
            assert refused.code == "session_conflict"
        else:
            raise AssertionError(f"{request} was not refused")


async def test_hr_refusal_is_a_stuck_step_that_a_retry_delivers(
    sessions: SessionClient, hris_inbox: HrisInbox, store: Store
) -> None:
    """A 4xx from the HR system is a failed delivery and a visible stuck ``hris`` step; once
    the HR system takes it, a retry delivers the event under the same ``webhook-id``."""
    body = session_body(downstream_in=None)
    sid = body.session_id
    await sessions.start(body)
    await hris_inbox.wait_for(lambda d: d.type == "interview.started")
    hris_inbox.script(ScriptedResponse(422, body="unknown candidate"))

    await sessions.withdraw(sid, WithdrawInput(reason_code="other"))

    view = await eventually(lambda: sessions.status(sid), lambda v: bool(v.stuck_steps))
    [step] = view.stuck_steps
    assert (step.step, step.failure_type, step.event_type) == (
        "hris",
        "permanent_delivery",
        "interview.withdrawn",
    )
    assert await store.delivery_outcome(step.event_id, channel="hris") == "failed"
    assert len(hris_inbox.by_type("interview.withdrawn")) == 1, "a 4xx is not retried by itself"

    await sessions.retry_stuck_steps(sid, RetryStuckSteps(step_id=step.step_id))

    delivered = await hris_inbox.wait_for(
        lambda d: d.type == "interview.withdrawn" and d.status_code == 204
    )
    assert delivered.webhook_id == hris_inbox.by_type("interview.withdrawn")[0].webhook_id
    await eventually(lambda: sessions.status(sid), lambda v: not v.stuck_steps)
    sent = lambda: store.delivery_outcome(step.event_id, channel="hris")  # noqa: E731
    assert await eventually(sent, lambda outcome: outcome == "sent")


class _AsciiOnlyServer:
    """A real SMTP server that does not offer SMTPUTF8, counting the messages it takes."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
async def ascii_only_smtp() -> AsyncIterator[tuple[int, _AsciiOnlyServer]]:
    """An SMTP server without SMTPUTF8 on a free port: (port, what it received)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = _AsciiOnlyServer()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        server_hostname="ascii-only",
        enable_SMTPUTF8=False,
    )
    await asyncio.to_thread(controller.start)
    yield port, handler
    await asyncio.to_thread(controller.stop)


async def test_an_email_the_data_cannot_make_fails_for_good_at_once(
    sessions: SessionClient, mailbox: Mailbox, hris_inbox: HrisInbox, store: Store
) -> None:
    """finding 4 (downstream): an email this session's data cannot make is failed for good on
    its first attempt and shown as a stuck ``email`` step, instead of failing for 24 h.

    The contract now refuses CR/LF in names and titles; what still gets through is an
    address with a non-ASCII local part, valid to the contract but not to the ``email``
    package (``NonASCIILocalPartDefect`` when the ``To`` header is built).
    """
    raw = session_body(downstream_in=None).model_dump(mode="json")
    raw["candidate"]["email"] = "zebulón@example.com"
    body = StartSession.model_validate(raw)
    sid = body.session_id
    await sessions.start(body)

    await sessions.withdraw(sid, WithdrawInput(reason_code="other"))

    view = await eventually(lambda: sessions.status(sid), lambda v: bool(v.stuck_steps))
    [step] = view.stuck_steps
    assert (step.step, step.failure_type) == ("email", "invalid_data")
    assert "zebul" not in step.detail
    assert await store.delivery_outcome(step.event_id, channel="email") == "failed"
    withdrawn = await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn")
    assert withdrawn.status_code == 204, "the HR system is told meanwhile"
    assert mailbox.messages == []


async def test_an_email_the_server_can_never_take_fails_for_good_at_once(
    dev_env: WorkflowEnvironment,
    pipeline_settings: Settings,
    task_queue: str,
    ascii_only_smtp: tuple[int, _AsciiOnlyServer],
    store: Store,
) -> None:
    """A non-ASCII address sent to a server without SMTPUTF8 is refused for good on the
    first attempt (a stuck ``email`` step), not retried for 24 h as if the server were down."""
    port, server = ascii_only_smtp
    settings = pipeline_settings.model_copy(update={"smtp_port": port})
    raw = session_body(downstream_in=None).model_dump(mode="json")
    raw["candidate"]["email"] = "zeb@exämple.com"
    body = StartSession.model_validate(raw)
    sid = body.session_id
    async with running_worker(dev_env.client, settings, task_queue=task_queue):
        sessions = SessionClient(dev_env.client, task_queue)
        await sessions.start(body)
        await sessions.withdraw(sid, WithdrawInput(reason_code="other"))

        view = await eventually(lambda: sessions.status(sid), lambda v: bool(v.stuck_steps))

    [step] = view.stuck_steps
    assert (step.step, step.failure_type) == ("email", "permanent_delivery")
    rows = await fetch(
        store,
        "SELECT outcome, attempts FROM deliveries WHERE event_id = :e AND channel = 'email'",
        e=step.event_id,
    )
    assert rows == [{"outcome": "failed", "attempts": 1}]
    assert server.messages == []


def _ids(found: list[StuckSession]) -> set[str]:
    return {session.session_id for session in found}


def _of(found: list[StuckSession], session_id: str) -> StuckSession:
    return next(session for session in found if session.session_id == session_id)


async def test_a_downstream_step_whose_cancellation_cannot_be_recorded_waits_for_a_retry(
    sessions: SessionClient, dev_env: WorkflowEnvironment, store: Store
) -> None:
    """An exit's cancellation of a downstream step that the database refuses to record is a
    stuck ``cancel`` step; the retry records it from the session, which then closes."""
    body = session_body()
    sid = body.session_id
    await sessions.start(body)
    await eventually(lambda: count(store, "downstream_steps", sid), lambda n: n == 1)
    await poison(store, sid, table="downstream_steps", writes="UPDATE")

    await sessions.withdraw(sid, WithdrawInput(reason_code="other"))

    view = await eventually(lambda: sessions.status(sid), lambda v: bool(v.stuck_steps))
    [step] = view.stuck_steps
    assert (step.step_id, step.event_type) == ("cancel:wt-1", "downstream.cancelled")
    assert step.failure_type in DATA_FAILURES

    await cure(store, table="downstream_steps")
    await sessions.retry_stuck_steps(sid, RetryStuckSteps(step_id=step.step_id))

    handle = dev_env.client.get_workflow_handle(session_workflow_id(sid), result_type=SessionView)
    final = await asyncio.wait_for(handle.result(), timeout=30)
    assert [(d.step_id, d.status) for d in final.downstream] == [("wt-1", "cancelled")]
    rows = await fetch(store, "SELECT status FROM downstream_steps WHERE session_id = :s", s=sid)
    assert rows == [{"status": "cancelled"}]
