"""Driving sessions the way the platform does, over Temporal, and surviving a flaky server.

Every command carries an update id of its own, so a command retried after a dropped
connection or a server restart is the same command (Temporal deduplicates on it), never a
second one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from contract.sessions import (
    CompleteInput,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    SessionView,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from workflows.session import InterviewSessionWorkflow, session_workflow_id

T = TypeVar("T")
STAGES = ("self_intro", "skill_test", "scenario_simulation")
_TRANSIENT = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
    # "Workflow Task in failed state": the server retries the task, then takes updates again.
    RPCStatusCode.FAILED_PRECONDITION,
}


class SessionClosed(Exception):
    """The session's workflow had already closed when a command reached it."""


def start_body(
    session_id: str, *, downstream: bool = True, policy: dict[str, Any] | None = None
) -> StartSession:
    """A realistic session: a candidate, a job, and (by default) one written test to cancel."""
    steps = []
    if downstream:
        at = datetime.now(UTC) + timedelta(days=2)
        steps.append({"step_id": "wt-1", "kind": "written_test", "scheduled_at": at.isoformat()})
    return StartSession.model_validate(
        {
            "session_id": session_id,
            "candidate": {
                "id": f"c-{session_id}",
                "name": "Ann Lee",
                "email": f"{session_id}@example.com",
                "locale": "en",
            },
            "job": {"id": "job-sales-manager", "title": "Sales Manager"},
            "interviewer_id": "iv-7",
            "downstream": steps,
            # No contest window: a terminated session's workflow closes with its pipeline,
            # as the benchmarks and the chaos run's "still retrying" count expect.
            "policy": {
                "heartbeat_timeout_seconds": 3600,
                "contest_window_days": 0,
                **(policy or {}),
            },
        }
    )


def segment(n: int) -> SegmentInput:
    """The ``n``-th saved answer, one per stage."""
    return SegmentInput(stage=STAGES[n % 3], segment_id=f"seg-{n}", kind="video", video_seconds=60)


WITHDRAW = WithdrawInput(reason_code="lost_interest")
FAULT = FaultInput(cause="network", detail="bench")
TERMINATE = TerminateInput(
    reason_code="position_filled",
    explanation="The position was filled by another candidate this morning.",
    actor={"id": "hr-1", "name": "Wang Fang"},
)


async def retrying(call: Callable[[], Awaitable[T]], *, attempts: int = 120) -> T:
    """Run ``call`` again while the server is unreachable (restart, dropped connection)."""
    for attempt in range(attempts):
        try:
            return await call()
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            _reraise_if_cancelled()
        except RPCError as err:
            if err.status not in _TRANSIENT:
                raise
        await asyncio.sleep(min(2.0, 0.1 * (attempt + 1)))
    return await call()


def _reraise_if_cancelled() -> None:
    # The SDK turns a cancelled update call into the same error as an RPC timeout.
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Platform:
    """The interview platform's side of sessions, on one client and task queue."""

    def __init__(self, client: Client, task_queue: str) -> None:
        """Bind to a client made with exitflow's data converter."""
        self.client = client
        self.task_queue = task_queue

    async def start(self, body: StartSession) -> None:
        """Start the session (idempotent: a retry finds the running one)."""
        await retrying(
            lambda: self.client.start_workflow(
                InterviewSessionWorkflow.run,
                body,
                id=session_workflow_id(body.session_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        )

    async def command(
        self, session_id: str, name: str, payload: BaseModel, result_type: type[T] | None = None
    ) -> T:
        """Send one update; retried with the same update id until it is answered.

        Raises:
            SessionClosed: The workflow had closed before the command reached it.
            WorkflowUpdateFailedError: The session refused the command.
        """
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        update_id = str(uuid.uuid4())

        async def call() -> T:
            try:
                return await handle.execute_update(
                    name, payload, id=update_id, result_type=result_type
                )
            except RPCError as err:
                if err.status == RPCStatusCode.NOT_FOUND:
                    raise SessionClosed(session_id) from err
                raise

        return await retrying(call)

    async def progress(self, session_id: str, n: int) -> None:
        """Save the ``n``-th segment."""
        await self.command(session_id, "progress", segment(n), SessionView)

    async def heartbeat(self, session_id: str) -> None:
        """The candidate's page is alive."""
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        await retrying(lambda: handle.signal("heartbeat", HeartbeatInput()))

    async def withdraw(self, session_id: str) -> Any:
        """The candidate quits."""
        return await self.command(session_id, "withdraw", WITHDRAW)

    async def fault(self, session_id: str) -> Any:
        """The session broke."""
        return await self.command(session_id, "report_fault", FAULT)

    async def resume(self, session_id: str, token: str) -> None:
        """The candidate is back."""
        await self.command(session_id, "resume", ResumeInput(resume_token=token))

    async def terminate(self, session_id: str) -> None:
        """The employer stops it."""
        await self.command(session_id, "terminate", TERMINATE)

    async def complete(self, session_id: str) -> None:
        """The interview finished."""
        await self.command(session_id, "complete", CompleteInput())

    async def settled_view(self, session_id: str, *, poll_seconds: float = 5.0) -> SessionView:
        """The session's view once its status is terminal (its pipeline may still be retrying).

        Queries need a worker; while none is up (killed, restarting) the query is repeated.
        """
        handle = self.client.get_workflow_handle(session_workflow_id(session_id))
        while True:
            try:
                view = await handle.query("get_status", result_type=SessionView)
            except Exception:  # no worker or no server right now: ask again
                _reraise_if_cancelled()
                view = None
            if view is not None and view.status.is_terminal:
                return view
            await asyncio.sleep(poll_seconds)

    async def result(self, session_id: str) -> SessionView:
        """Wait until the session's workflow has closed; its final view."""
        handle = self.client.get_workflow_handle_for(
            InterviewSessionWorkflow.run, session_workflow_id(session_id)
        )
        return await retrying(handle.result)


async def life(
    platform: Platform, session_id: str, exit_kind: str, *, downstream: bool = True
) -> None:
    """A whole session: start, three answers, one exit, until its pipeline has finished."""
    await platform.start(start_body(session_id, downstream=downstream))
    for n in range(3):
        await platform.progress(session_id, n)
    if exit_kind == "withdraw":
        await platform.withdraw(session_id)
    elif exit_kind == "fault_withdraw":
        await platform.fault(session_id)
        await platform.withdraw(session_id)
    elif exit_kind == "terminate":
        await platform.terminate(session_id)
    else:
        await platform.complete(session_id)
    await platform.result(session_id)


EXIT_ROTATION = ("withdraw", "fault_withdraw", "terminate", "complete")


async def history_counts(client: Client, workflow_id: str) -> dict[str, int]:
    """Events, workflow tasks and activities in one workflow's history."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    events = history.events
    return {
        "events": len(events),
        "workflow_tasks": sum(
            e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in events
        ),
        "activities": sum(
            e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events
        ),
        "children": sum(
            e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
            for e in events
        ),
    }
