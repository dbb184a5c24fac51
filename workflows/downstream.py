"""One step a session leads to (an assessment, a written test, an onsite interview)."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.database import DatabaseActivities
    from contract.codes import DownstreamStatus
    from contract.events import DownstreamChange
    from contract.sessions import DownstreamStep
    from workflows.activity_policies import RECORD_RETRY, RECORD_TIMEOUT
    from workflows.clock import SOONEST
    from workflows.patches import CLOCK_FREE_TIMER_DECISIONS


class DownstreamStepInput(BaseModel):
    """Input of ``DownstreamStepWorkflow``."""

    session_id: str
    step: DownstreamStep


def downstream_workflow_id(session_id: str, step_id: str) -> str:
    """The contract's id of a downstream step workflow."""
    return f"downstream-{session_id}-{step_id}"


@workflow.defn
class DownstreamStepWorkflow:
    """Waits until the step's time, then records the invitation; cancelled, it records that.

    The session cancels the step when the candidate exits; a completed session leaves it
    to run (the session starts it with ``ParentClosePolicy.ABANDON``).
    """

    @workflow.run
    async def run(self, request: DownstreamStepInput) -> DownstreamStatus:
        """Wait for the scheduled time; return how the step ended."""
        try:
            delay = request.step.scheduled_at - workflow.now()
            if workflow.patched(CLOCK_FREE_TIMER_DECISIONS):
                await workflow.sleep(max(delay, SOONEST))
            elif delay.total_seconds() > 0:
                await workflow.sleep(delay)
        except asyncio.CancelledError:
            # The cancellation is the outcome, not a failure: record it and end cleanly so
            # the session can read which steps it cancelled.
            await record_step_change(request, DownstreamStatus.CANCELLED, reason="session_exit")
            return DownstreamStatus.CANCELLED
        # The time has come and the invitation is out: a cancellation racing with its record
        # must not leave it half-written, so the record finishes either way.
        invitation = asyncio.ensure_future(record_step_change(request, DownstreamStatus.INVITED))
        try:
            await asyncio.shield(invitation)
        except asyncio.CancelledError:
            await invitation
        return DownstreamStatus.INVITED


async def record_step_change(
    request: DownstreamStepInput, status: DownstreamStatus, reason: str | None = None
) -> None:
    """Record the step's new status (the step's workflow, or its session when that failed)."""
    step = request.step
    change = DownstreamChange(
        session_id=request.session_id,
        step_id=step.step_id,
        kind=step.kind.value,
        scheduled_at=step.scheduled_at,
        status=status,
        at=workflow.now(),
        reason=reason,
    )
    await workflow.execute_activity_method(
        DatabaseActivities.record_downstream_change,
        change,
        start_to_close_timeout=RECORD_TIMEOUT,
        retry_policy=RECORD_RETRY,
    )
