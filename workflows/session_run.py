"""What one run of ``InterviewSessionWorkflow`` shares with its parts.

The workflow, its contest handlers (contest.py) and its downstream steps
(downstream_steps.py) read and move the same session state, and each starts work in the
background that the run must see finish before it returns. ``SessionRun`` is that shared
part, built once by the workflow's ``__init__`` and handed to each part explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from contract.events import SessionEvent
    from contract.stuck import FailureType, PipelineStep
    from workflows import pipeline, search
    from workflows.session_state import SessionState
    from workflows.stuck_steps import StuckSteps, failure_of, holds_stuck_steps

Failure = tuple[FailureType, str]


@dataclass
class SessionRun:
    """The session's state and the background work its run has started."""

    state: SessionState
    """The session itself: status, segments, exits, contests and downstream steps."""
    background: list[asyncio.Task[None]] = field(default_factory=list)
    """Deliveries, cancellations and restorations under way; the run ends after them."""
    stuck: StuckSteps = field(init=False)
    """The steps that failed for good, listed in the state's ``stuck_steps``."""

    def __post_init__(self) -> None:
        self.stuck = StuckSteps(self.state.stuck_steps)

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` now; the run waits for it before returning."""
        self.background.append(asyncio.create_task(work))

    def background_done(self) -> bool:
        """Whether everything started in the background has finished."""
        return all(task.done() for task in self.background)

    def notify(self, event: SessionEvent) -> None:
        """Tell the HR system and the candidate about a recorded event, in the background."""
        self.in_background(pipeline.notify(event, self.stuck))

    async def record(self, event: SessionEvent, then: Callable[[], None] | None = None) -> None:
        """Save ``event``, then call ``then``; never wait on a record that is stuck.

        A record that fails for good becomes a stuck step: this returns at once, so the
        command that made the event still answers, and the record (then ``then``) waits in
        the background until operations retry it. Given up, ``then`` still follows.
        """
        failure = await self._try_record(event)
        if failure is None:
            if then is not None:
                then()
            return
        self.in_background(self._record_when_answered(event, failure, then))

    async def save(self, event: SessionEvent) -> None:
        """Save ``event``, waiting for operations while its record is stuck (or given up)."""
        await self._save_after(event, await self._try_record(event))

    async def _record_when_answered(
        self, event: SessionEvent, failure: Failure, then: Callable[[], None] | None
    ) -> None:
        await self._save_after(event, failure)
        if then is not None:
            then()

    async def _save_after(self, event: SessionEvent, failure: Failure | None) -> None:
        while failure is not None:
            if not await self.stuck.hold(PipelineStep.RECORD, event, failure):
                return
            failure = await self._try_record(event)

    @staticmethod
    async def _try_record(event: SessionEvent) -> Failure | None:
        try:
            await pipeline.record(event)
        except ActivityError as err:
            # Before STUCK_STEPS a record failing for good failed the command (or the run).
            if not holds_stuck_steps():
                raise
            return failure_of(err)
        return None

    def publish_search_attributes(self) -> None:
        """Show the session's status, stage and latest exit to the Temporal Web UI's filters."""
        state = self.state
        updates = [
            search.SESSION_STATUS.value_set(state.status.value),
            search.INTERVIEW_STAGE.value_set(state.stage),
            search.JOB_ID.value_set(state.start.job.id),
            search.CANDIDATE_ID.value_set(state.start.candidate.id),
            search.INTERVIEWER_ID.value_set(state.start.interviewer_id),
        ]
        if state.exits:
            latest = state.exits[-1]
            updates += [
                search.EXIT_KIND.value_set(latest.kind.value),
                search.EXIT_REASON.value_set(latest.reason_code),
            ]
            causes = [e.fault.cause for e in state.exits if e.fault and e.fault.cause]
            if causes:
                updates.append(search.FAULT_CAUSE.value_set(causes[-1].value))
        workflow.upsert_search_attributes(updates)


def new_id() -> str:
    """A fresh id from the workflow's deterministic random source."""
    return str(workflow.uuid4())
