"""Talking to session workflows: start one, send it the contract's messages, read it.

Shared by the CLI and the HTTP API so that both speak to sessions exactly alike.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contract.codes import ErrorCode, SessionStatus
from contract.contests import ContestDecisionInput, ContestInput, ContestReceipt
from contract.sessions import (
    CompleteInput,
    ExitPreview,
    ExitReceipt,
    FaultAck,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    SessionView,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from contract.stuck import RetryStuckSteps, StuckSession
from sessions.refusals import SessionRefused
from sessions.start import start_session
from store import Policies, Store
from workflows.session import InterviewSessionWorkflow, session_workflow_id

ResultT = TypeVar("ResultT", bound=BaseModel)


class SessionClient:
    """Every operation on sessions, over one Temporal client and task queue."""

    def __init__(self, client: Client, task_queue: str) -> None:
        """Bind to a client made with exitflow's data converter."""
        self._client = client
        self._task_queue = task_queue

    async def start(self, body: StartSession, *, policies: Policies | None = None) -> SessionView:
        """Start a session, or find the one this same body started under its ``session_id``.

        An ended session is returned as it ended: a session id is used once. With
        ``policies`` the session runs under its job's current exit policy (``start_session``).

        Raises:
            SessionRefused: ``session_conflict`` when the session exists with another body.
        """
        await start_session(self._client, self._task_queue, body, policies=policies)
        return await self.status(body.session_id)

    async def progress(self, session_id: str, segment: SegmentInput) -> SessionView:
        """Save a segment."""
        return await self._update(session_id, "progress", segment, SessionView)

    async def heartbeat(self, session_id: str, beat: HeartbeatInput) -> None:
        """Tell the session the candidate's page is alive."""
        await self._call(self._handle(session_id).signal(InterviewSessionWorkflow.heartbeat, beat))

    async def report_fault(self, session_id: str, fault: FaultInput) -> FaultAck:
        """Suspend after a fault."""
        return await self._update(session_id, "report_fault", fault, FaultAck)

    async def resume(self, session_id: str, request: ResumeInput) -> SessionView:
        """Resume a suspended session."""
        return await self._update(session_id, "resume", request, SessionView)

    async def withdraw(self, session_id: str, request: WithdrawInput) -> ExitReceipt:
        """The candidate quits."""
        return await self._update(session_id, "withdraw", request, ExitReceipt)

    async def terminate(self, session_id: str, request: TerminateInput) -> ExitReceipt:
        """The employer stops the interview."""
        return await self._update(session_id, "terminate", request, ExitReceipt)

    async def complete(self, session_id: str) -> SessionView:
        """The interview finished."""
        return await self._update(session_id, "complete", CompleteInput(), SessionView)

    async def contest(self, session_id: str, request: ContestInput) -> ContestReceipt:
        """The terminated candidate contests the decision (with the workflow's raw token)."""
        return await self._update(session_id, "contest", request, ContestReceipt)

    async def decide_contest(
        self, session_id: str, decision: ContestDecisionInput
    ) -> ContestReceipt:
        """HR upholds or overturns the session's open contest."""
        return await self._update(session_id, "decide_contest", decision, ContestReceipt)

    async def status(self, session_id: str) -> SessionView:
        """The session view (works on running and closed sessions)."""
        return await self._call(self._handle(session_id).query(InterviewSessionWorkflow.get_status))

    async def exit_preview(self, session_id: str) -> ExitPreview:
        """What quitting now would mean."""
        return await self._call(
            self._handle(session_id).query(InterviewSessionWorkflow.get_exit_preview)
        )

    async def stuck_steps(self, session_id: str) -> StuckSession:
        """The session's pipeline steps that failed for good (contract/stuck.py)."""
        return await self._call(
            self._handle(session_id).query(InterviewSessionWorkflow.get_stuck_steps)
        )

    async def retry_stuck_steps(self, session_id: str, request: RetryStuckSteps) -> StuckSession:
        """Retry, or give up, the session's stuck steps (one, or all)."""
        return await self._update(session_id, "retry_stuck_steps", request, StuckSession)

    def _handle(self, session_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(session_workflow_id(session_id))

    async def _update(
        self, session_id: str, name: str, payload: BaseModel, result_type: type[ResultT]
    ) -> ResultT:
        handle = self._handle(session_id)
        try:
            return await handle.execute_update(name, payload, result_type=result_type)
        except WorkflowUpdateFailedError as err:
            raise _refusal_from(err.cause) from err
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                # The workflow is closed (or never was): tell which, from its status.
                view = await self.status(session_id)
                raise _closed_refusal(name, view) from err
            raise

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise SessionRefused(
                    ErrorCode.SESSION_NOT_FOUND, "No session has this id.", {}
                ) from err
            raise


async def read_session_view(sessions: SessionClient, store: Store, session_id: str) -> SessionView:
    """The session view, from the store once Temporal no longer holds it or its data.

    A session whose candidate's data was erased or retained away is read from the scrubbed
    store: Temporal's history still holds what was removed. A session Temporal has
    forgotten (its retention is shorter than the store's) is read from the store too.

    Raises:
        SessionRefused: ``session_not_found`` when neither knows the session.
    """
    if await store.is_anonymised(session_id):
        stored = await store.get_session(session_id)
        if stored is not None:
            return stored
    try:
        return await sessions.status(session_id)
    except SessionRefused:
        stored = await store.get_session(session_id)
        if stored is None:
            raise
        return stored


def _closed_refusal(update: str, view: SessionView) -> SessionRefused:
    details = {"status": view.status.value}
    if update == "contest" and view.status is SessionStatus.TERMINATED:
        # A terminated session's workflow closes when its contest window does.
        return SessionRefused(
            ErrorCode.CONTEST_WINDOW_CLOSED,
            "The period to contest this termination is over.",
            details,
        )
    if update == "contest":
        return SessionRefused(
            ErrorCode.SESSION_NOT_TERMINATED,
            f"Only a terminated session can be contested; this one is {view.status.value}.",
            details,
        )
    if update == "decide_contest":
        return SessionRefused(
            ErrorCode.NO_OPEN_CONTEST,
            "This session has no contest waiting for a decision.",
            details,
        )
    if update == "resume" and view.status is SessionStatus.EXPIRED:
        return SessionRefused(
            ErrorCode.RESUME_WINDOW_CLOSED,
            "The resume window is over; the session expired.",
            details,
        )
    return SessionRefused(
        ErrorCode.SESSION_ENDED, f"The session has already ended as {view.status.value}.", details
    )


def _refusal_from(cause: BaseException | None) -> SessionRefused:
    if isinstance(cause, ApplicationError) and cause.type:
        details = cause.details[0] if cause.details else {}
        return SessionRefused(cause.type, cause.message, details)
    return SessionRefused("update_failed", str(cause or "the session refused the command"))
