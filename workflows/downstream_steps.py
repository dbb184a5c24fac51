"""The downstream steps of ``InterviewSessionWorkflow``: start, cancel and restore them.

Each step a session leads to (an assessment, a written test, an onsite interview) is its own
``DownstreamStepWorkflow`` child, started with the session and left to run when it
completes. An exit that ends the session cancels the steps not yet done; an overturned
termination schedules them again (``RESTORE_DOWNSTREAM_ON_OVERTURN`` in patches.py). The
workflow holds one ``DownstreamSteps``, which works on the run it shares (session_run.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from contract.codes import DownstreamStatus, EventType
    from contract.events import SessionEvent
    from contract.sessions import DownstreamStep
    from contract.stuck import FailureType, PipelineStep
    from workflows import pipeline
    from workflows.downstream import (
        DownstreamStepInput,
        DownstreamStepWorkflow,
        downstream_workflow_id,
        record_step_change,
    )
    from workflows.session_run import SessionRun
    from workflows.stuck_steps import failure_of, holds_stuck_steps


class DownstreamSteps:
    """The session's child workflows, one per downstream step, and what exits do to them."""

    def __init__(self, run: SessionRun) -> None:
        """Built by the session's ``__init__``: no step started or cancelled yet."""
        self._run = run
        self._child_handles: dict[str, workflow.ChildWorkflowHandle[Any, DownstreamStatus]] = {}
        self._children: dict[str, asyncio.Task[None]] = {}
        self._ready = False
        """True once the steps are started (and again once restored ones are restarted)."""
        self._cancellation_recorded = True
        """False from an exit that cancels downstream steps until that cancellation is saved."""
        self._cancelling: set[str] = set()
        """The steps whose cancellation was asked of their workflow."""

    async def start(self) -> None:
        """Start every step of the session, in order."""
        for step in self._run.state.start.downstream:
            await self._start_step(step)
        self._ready = True

    def cancel_in_background(self) -> None:
        """An exit ended the session: cancel the steps not yet done, in the run's background."""
        self._cancellation_recorded = False
        self._run.in_background(self._cancel())

    def restore_in_background(self) -> None:
        """An overturn reinstated the session: restore the cancelled steps in the background."""
        self._run.in_background(self._restore())

    async def _start_step(self, step: DownstreamStep) -> None:
        session_id = self._run.state.start.session_id
        try:
            handle = await workflow.start_child_workflow(
                DownstreamStepWorkflow.run,
                DownstreamStepInput(session_id=session_id, step=step),
                id=downstream_workflow_id(session_id, step.step_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            # Only possible if a session id was reused while an earlier run's step still
            # waits: that step belongs to the earlier run, so this run leaves it alone.
            workflow.logger.warning("downstream step already exists", extra={"step": step})
            return
        self._child_handles[step.step_id] = handle
        self._children[step.step_id] = asyncio.create_task(self._follow_child(step.step_id, handle))

    async def _restore(self) -> None:
        """After an overturn: schedule again, and restart, the steps the termination cancelled.

        Waits until that cancellation is recorded (not until HR has heard of it, which may
        take days), records ``downstream.restored`` so that the steps' rows are scheduled
        again, then starts each step's workflow anew under its id: a step whose time passed
        meanwhile invites at once. A session that ended again meanwhile keeps them cancelled.
        """
        await workflow.wait_condition(lambda: self._cancellation_recorded)
        state = self._run.state
        if state.status.is_terminal:
            return
        restored = state.restore_cancelled_steps()
        if not restored:
            return
        # An exit while the steps restart cancels them once they have started (its
        # cancellation waits for this), never the closed runs.
        self._ready = False
        event = state.event(EventType.DOWNSTREAM_RESTORED, now=workflow.now(), restored=restored)
        try:
            await self._run.save(event)
            steps = {step.step_id: step for step in state.start.downstream}
            for view in restored:
                self._cancelling.discard(view.step_id)
                await self._start_step(steps[view.step_id])
        finally:
            self._ready = True
        await pipeline.notify(event, self._run.stuck)

    async def _follow_child(
        self, step_id: str, handle: workflow.ChildWorkflowHandle[Any, DownstreamStatus]
    ) -> None:
        try:
            status = await handle
        except ChildWorkflowError as err:
            workflow.logger.warning("downstream step failed", extra={"step_id": step_id})
            # Before STUCK_STEPS a step whose workflow failed was left as it stood.
            if not holds_stuck_steps():
                return
            recorded = await self._record_for_failed_step(step_id, err)
            if recorded is None:
                return
            status = recorded
        self._run.state.downstream[step_id].status = DownstreamStatus(status)

    async def _record_for_failed_step(
        self, step_id: str, err: ChildWorkflowError
    ) -> DownstreamStatus | None:
        """The step's workflow failed to record its outcome: hold it as a stuck step, and on
        each retry record that outcome from here. None when operations give it up."""
        cancelling = step_id in self._cancelling
        status = DownstreamStatus.CANCELLED if cancelling else DownstreamStatus.INVITED
        step = next(s for s in self._run.state.start.downstream if s.step_id == step_id)
        request = DownstreamStepInput(session_id=self._run.state.start.session_id, step=step)
        cause = err.cause
        failure = (
            failure_of(cause)
            if isinstance(cause, ActivityError)
            else (FailureType.OTHER, type(cause or err).__name__)
        )
        kind = PipelineStep.CANCEL if cancelling else PipelineStep.INVITE
        about = f"downstream.{status.value}"
        while await self._run.stuck.hold_for(kind, failure, subject=step_id, about=about):
            try:
                await record_step_change(
                    request, status, reason="session_exit" if cancelling else None
                )
            except ActivityError as again:
                failure = failure_of(again)
                continue
            return status
        return None

    async def _cancel(self) -> None:
        try:
            event = await self._cancel_pending_steps()
        finally:
            # Recorded, or nothing to record, or the record gave up: a restore waits no more.
            self._cancellation_recorded = True
        if event is not None:
            await pipeline.notify(event, self._run.stuck)

    async def _cancel_pending_steps(self) -> SessionEvent | None:
        """Cancel the steps not yet done; the recorded ``downstream.cancelled``, if any were."""
        await workflow.wait_condition(lambda: self._ready)
        state = self._run.state
        pending = [
            step_id
            for step_id, step in state.downstream.items()
            if step.status is DownstreamStatus.SCHEDULED and step_id in self._child_handles
        ]
        if not pending:
            return None
        for step_id in pending:
            # Cancelling the handle asks the child to cancel; it records its own
            # cancellation and returns, which the follower task reads.
            self._cancelling.add(step_id)
            self._child_handles[step_id].cancel()
        await asyncio.gather(*(self._children[step_id] for step_id in pending))
        cancelled = [
            state.downstream[step_id]
            for step_id in pending
            if state.downstream[step_id].status is DownstreamStatus.CANCELLED
        ]
        if not cancelled:
            return None
        event = state.event(EventType.DOWNSTREAM_CANCELLED, now=workflow.now(), cancelled=cancelled)
        await self._run.save(event)
        return event
