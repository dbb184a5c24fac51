"""Contesting a termination: the part of ``InterviewSessionWorkflow`` that runs after one.

A termination no longer closes the session at once: it opens a contest window
(``policy.contest_window_days``) during which the candidate may contest the decision once,
with the token from the termination email. HR then upholds the termination (the session
closes) or overturns it (the session is suspended again with a fresh resume window, every
saved segment kept, and the usual resume or expiry follows). A window that closes without
a contest closes the session.

The handlers live in this mixin so that the session workflow's own module stays about
the interview; they share its state and its pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.codes import ContestStatus, EventType, SessionStatus
    from contract.contests import ContestDecisionInput, ContestInput, ContestReceipt
    from contract.events import SessionEvent
    from contract.sessions import Contest, ExitRecord
    from workflows import pipeline
    from workflows.clock import SOONEST
    from workflows.contest_state import (
        contest_decided_message,
        contest_receipt,
        contest_received_message,
    )
    from workflows.session_state import SessionState

CONTEST_PATCH = "contest-window"
"""Sessions terminated before contests existed closed at once; replaying them must not
open a window they never had."""

RESTORE_DOWNSTREAM = "restore-downstream-on-overturn"
"""Patch: an overturn schedules again the downstream steps its termination cancelled.

Before it, a reinstated candidate who resumed and completed never got the written test or
onsite interview that the wrongful termination had cancelled. Sessions overturned before
the patch replay without the restoration.
"""


class ContestHandlers:
    """The ``contest`` and ``decide_contest`` updates, and the wait after a termination."""

    _state: SessionState

    if TYPE_CHECKING:

        def _publish_search_attributes(self) -> None: ...

        def _notify(self, event: SessionEvent) -> None: ...

        @staticmethod
        def _new_id() -> str: ...

        _background: list[asyncio.Task[None]]

        async def _restore_downstream(self) -> None: ...

    def _open_contest_window(self, record: ExitRecord) -> None:
        """Open the contest window of a termination, before the termination is recorded.

        Called by ``terminate`` so that the termination event (and its email) carries the
        window's deadline and token.
        """
        days = self._state.start.policy.contest_window_days
        if days > 0 and workflow.patched(CONTEST_PATCH):
            self._state.contests.open_window(
                record, days=days, now=workflow.now(), new_id=self._new_id
            )

    async def _hear_contest(self) -> bool:
        """After a termination: wait out the contest window, then HR's decision.

        Returns:
            True when an overturn reinstated the session (it is suspended again and the
            session goes on), False when the session is done.
        """
        contests = self._state.contests
        window = contests.window
        if self._state.status is not SessionStatus.TERMINATED or window is None:
            return False
        if contests.awaiting_contest:
            # Always a timer, however late the clock reads: whether one is armed must not
            # depend on workflow.now() (see workflows/clock.py).
            remaining = max(window.deadline - workflow.now(), SOONEST)
            # The state decides, not which future won: a contest accepted in the very
            # task in which the window's timer fired still counts.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: not contests.awaiting_contest, timeout=remaining
                )
            if contests.awaiting_contest:
                return False
        await workflow.wait_condition(lambda: not contests.awaiting_decision)
        return self._state.status is SessionStatus.SUSPENDED

    @workflow.update
    async def contest(self, request: ContestInput) -> ContestReceipt:
        """The candidate contests the termination; HR gets it as a review task."""
        state = self._state
        contest = state.contests.file(request.statement, now=workflow.now(), new_id=self._new_id)
        await self._record_contest(EventType.TERMINATION_CONTESTED, contest)
        emailed = "email" in state.start.policy.channels
        message = contest_received_message(state.start.candidate, emailed=emailed)
        return self._contest_receipt(contest, message)

    @contest.validator
    def _validate_contest(self, request: ContestInput) -> None:
        self._state.contests.check_contest(
            self._state.status, request.contest_token, workflow.now()
        )

    @workflow.update
    async def decide_contest(self, decision: ContestDecisionInput) -> ContestReceipt:
        """HR upholds the termination, or overturns it and lets the candidate resume."""
        state = self._state
        contest = state.contests.decide(decision, now=workflow.now())
        type_ = EventType.TERMINATION_UPHELD
        if contest.status is ContestStatus.OVERTURNED:
            state.reinstate(now=workflow.now(), new_id=self._new_id)
            self._publish_search_attributes()
            type_ = EventType.TERMINATION_OVERTURNED
        await self._record_contest(type_, contest)
        if type_ is EventType.TERMINATION_OVERTURNED and workflow.patched(RESTORE_DOWNSTREAM):
            self._background.append(asyncio.create_task(self._restore_downstream()))
        message = contest_decided_message(state.start.candidate, contest.status)
        return self._contest_receipt(contest, message)

    @decide_contest.validator
    def _validate_decide_contest(self, decision: ContestDecisionInput) -> None:
        self._state.contests.check_decision(decision.contest_id)

    async def _record_contest(self, type_: EventType, contest: Contest) -> None:
        """Save the event before the update answers, then tell HR and the candidate."""
        event = self._state.event(type_, now=workflow.now(), contest=contest)
        await pipeline.record(event)
        self._notify(event)

    def _contest_receipt(self, contest: Contest, message: str) -> ContestReceipt:
        state = self._state
        return contest_receipt(
            contest,
            session_id=state.start.session_id,
            session_status=state.status,
            resume_deadline=state.suspension.resume_deadline if state.suspension else None,
            message=message,
        )
