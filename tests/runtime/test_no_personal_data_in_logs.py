"""No personal data in a worker's logs, even where its failures quote the data they fail on."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from contract.codes import EventType
from contract.sessions import StartSession, WithdrawInput
from devstack.hris_inbox import HrisInbox, ScriptedResponse
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from store import Store
from tests.fixtures.database import make_event
from tests.fixtures.poison import poison
from tests.fixtures.temporal import session_body
from tests.fixtures.waiting import eventually
from tests.fixtures.worker_process import Server, Spawn
from workflows.session import session_workflow_id

NAME = "Zebulon Quixotebright"
EMAIL = "zebulon.quixotebright@example.org"
REFUSED_EMAIL = "quixotebright.zebulon@example.org"
PHONE = "+44 7700 900461"
TRACES = (NAME, "Zebulon", "Quixotebright", "zebulon", "quixotebright", "7700 900461")
"""What no log line may hold: the name and its parts, the addresses' local parts, the phone."""


@workflow.defn(sandboxed=False)
class SendsAnEventThatDoesNotFit:
    """A platform's own workflow asking exitflow's worker to record a raw, invalid event."""

    @workflow.run
    async def run(self, args: list[Any]) -> str:
        """Schedule ``record_session_event`` on exitflow's queue; the failure's type."""
        queue, payload = args
        try:
            await workflow.execute_activity(
                "record_session_event",
                payload,
                task_queue=queue,
                start_to_close_timeout=timedelta(seconds=10),
            )
        except ActivityError as err:
            cause = err.cause
            return cause.type or "" if isinstance(cause, ApplicationError) else repr(cause)
        return "recorded"


async def _send_event_that_does_not_fit(client: Client, exitflow_queue: str) -> str:
    """What exitflow's worker answers an event that does not fit its model."""
    payload = make_event(EventType.WITHDRAWN).model_dump(mode="json")
    payload["session"]["candidate"].update(name=NAME, email=EMAIL, phone=PHONE)
    payload.update(type=NAME, seq=PHONE)
    queue = f"platform-{uuid.uuid4()}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[SendsAnEventThatDoesNotFit],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        return await client.execute_workflow(
            SendsAnEventThatDoesNotFit.run,
            [exitflow_queue, payload],
            id=queue,
            task_queue=queue,
            execution_timeout=timedelta(seconds=60),
        )


def _candidate_session(email: str) -> StartSession:
    raw = session_body(downstream_in=None).model_dump(mode="json")
    raw["candidate"].update(name=NAME, email=email, phone=PHONE)
    raw["policy"]["channels"] = ["email"]
    return StartSession.model_validate(raw)


async def _refused(call: Awaitable[Any]) -> None:
    try:
        await call
    except WorkflowUpdateFailedError:
        return
    raise AssertionError("the update was accepted")


async def test_worst_failures_leave_no_personal_data_in_the_worker_log(
    server: Server,
    spawn_worker: Spawn,
    task_queue: str,
    store: Store,
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    tmp_path: Path,
) -> None:
    """finding 1: a poisoned record write, validation failures quoting the value (refused
    updates, and an activity input that does not decode: final at once, not retried), an
    SMTP recipient refusal and an HR 4xx that echoes the candidate, all through a real
    worker process logging at INFO: not one line holds the candidate's name, address or phone.

    Before, the record's failure logged the SQL parameters, the candidate's name among them,
    on every retry; the SMTP refusal logged the address; the 4xx logged the HR body.
    """
    env = await server.start()
    await spawn_worker(EXITFLOW_LOG_LEVEL="INFO")
    sessions = SessionClient(env.client, task_queue)

    poisoned = _candidate_session(EMAIL)
    await poison(store, poisoned.session_id)
    await eventually(lambda: _started(sessions, poisoned), bool, timeout_seconds=60)
    await sessions.withdraw(poisoned.session_id, WithdrawInput(reason_code="other"))

    refused = _candidate_session(REFUSED_EMAIL)
    mailbox.refused_recipients.add(REFUSED_EMAIL)
    await sessions.start(refused)
    await hris_inbox.wait_for(lambda d: d.type == "interview.started" and _of(d, refused))
    hris_inbox.script(ScriptedResponse(422, body=f"no such candidate: {NAME} <{EMAIL}> {PHONE}"))
    await sessions.withdraw(refused.session_id, WithdrawInput(reason_code="other"))

    active = _candidate_session(EMAIL)
    await sessions.start(active)
    handle = env.client.get_workflow_handle(session_workflow_id(active.session_id))
    await _refused(handle.execute_update("withdraw", {"reason_code": NAME, "comment": EMAIL}))
    await _refused(
        handle.execute_update(
            "progress", {"stage": f"{NAME}\n", "segment_id": PHONE, "kind": "video"}
        )
    )
    await _refused(
        handle.execute_update("withdraw", {"reason_code": "other", "comment": f"{NAME}\x00"})
    )
    assert await _send_event_that_does_not_fit(env.client, task_queue) == "invalid_data"

    await eventually(
        lambda: sessions.status(poisoned.session_id), lambda v: len(v.stuck_steps) == 2
    )
    stuck = await eventually(
        lambda: sessions.status(refused.session_id), lambda v: len(v.stuck_steps) == 2
    )
    assert {s.step for s in stuck.stuck_steps} == {"email", "hris"}
    log = (tmp_path / "worker.log").read_text(encoding="utf-8")
    assert "pipeline step stuck" in log and "activity_failed_for_good" in log
    assert "email.refused" in log and "hris.refused" in log
    leaks = [line for line in log.splitlines() if any(trace in line for trace in TRACES)]
    assert leaks == []


async def _started(sessions: SessionClient, body: StartSession) -> bool:
    # Starting is idempotent; the query fails until the worker polls the task queue.
    try:
        await sessions.start(body)
    except Exception:
        return False
    return True


def _of(delivery: Any, body: StartSession) -> bool:
    return bool(delivery.data.get("session_id") == body.session_id)
