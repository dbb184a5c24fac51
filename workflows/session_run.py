"""What one run of ``InterviewSessionWorkflow`` shares with its parts.

The workflow, its contest handlers (contest.py) and its downstream steps
(downstream_steps.py) read and move the same session state, and each starts work in the
background that the run must see finish before it returns. ``SessionRun`` is that shared
part, built once by the workflow's ``__init__`` and handed to each part explicitly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.events import SessionEvent
    from workflows import pipeline, search
    from workflows.session_state import SessionState


@dataclass
class SessionRun:
    """The session's state and the background work its run has started."""

    state: SessionState
    """The session itself: status, segments, exits, contests and downstream steps."""
    background: list[asyncio.Task[None]] = field(default_factory=list)
    """Deliveries, cancellations and restorations under way; the run ends after them."""

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` now; the run waits for it before returning."""
        self.background.append(asyncio.create_task(work))

    def background_done(self) -> bool:
        """Whether everything started in the background has finished."""
        return all(task.done() for task in self.background)

    def notify(self, event: SessionEvent) -> None:
        """Tell the HR system and the candidate about a recorded event, in the background."""
        self.in_background(pipeline.notify(event))

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
