"""Contesting a termination: the part of ``InterviewSessionWorkflow`` that runs after one.

A termination no longer closes the session at once: it opens a contest window
(``policy.contest_window_days``) during which the candidate may contest the decision once,
with the token from the termination email. HR then upholds the termination (the session
closes) or overturns it (the session is suspended again with a fresh resume window, every
saved segment kept, and the usual resume or expiry follows). A window that closes without
a contest closes the session.

The handlers live in this mixin so that the session workflow's own module stays about
the interview (updates must be methods of the workflow class); it works on the run the
session shares with its parts (session_run.py) and on the session's downstream steps.
"""

from __future__ import annotations

import contextlib

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.codes import ContestStatus, EventType, SessionStatus
    from contract.contests import ContestDecisionInput, ContestInput, ContestReceipt
    from contract.sessions import Contest, ExitRecord
    from workflows.clock import SOONEST
    from workflows.contest_state import (
        contest_decided_message,
        contest_receipt,
        contest_received_message,
    )
    from workflows.downstream_steps import DownstreamSteps
    from workflows.patches import OPEN_CONTEST_WINDOW, RESTORE_DOWNSTREAM_ON_OVERTURN
    from workflows.session_run import SessionRun, new_id


class ContestHandlers:
    """The ``contest`` and ``decide_contest`` updates, and the wait after a termination."""

    _run: SessionRun
    """The session's state and background work, built by the workflow's ``__init__``."""
    _downstream: DownstreamSteps
    """The session's downstream steps, which an overturn restores."""

    def _open_contest_window(self, record: ExitRecord) -> None:
        """Open the contest window of a termination, before the termination is recorded.

        Called by ``terminate`` so that the termination event (and its email) carries the
        window's deadline and token.
        """
        state = self._run.state
        days = state.start.policy.contest_window_days
        # Sessions terminated before contests existed closed at once: replaying them must
        # not open a window they never had.
        if days > 0 and workflow.patched(OPEN_CONTEST_WINDOW):
            state.contests.open_window(record, days=days, now=workflow.now(), new_id=new_id)

    async def _hear_contest(self) -> bool:
        """After a termination: wait out the contest window, then HR's decision.

        Returns:
            True when an overturn reinstated the session (it is suspended again and the
            session goes on), False when the session is done.
        """
        state = self._run.state
        contests = state.contests
        window = contests.window
        if state.status is not SessionStatus.TERMINATED or window is None:
            return False
        if contests.awaiting_contest:
            # Always a timer, however late the clock reads: whether one is armed must not
            # depend on workflow.now() (workflows/clock.py says why).
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
        return state.status is SessionStatus.SUSPENDED

    @workflow.update
    async def contest(self, request: ContestInput) -> ContestReceipt:
        """The candidate contests the termination; HR gets it as a review task."""
        state = self._run.state
        contest = state.contests.file(request.statement, now=workflow.now(), new_id=new_id)
        await self._record_contest(EventType.TERMINATION_CONTESTED, contest)
        emailed = "email" in state.start.policy.channels
        message = contest_received_message(state.start.candidate, emailed=emailed)
        return self._contest_receipt(contest, message)

    @contest.validator
    def _validate_contest(self, request: ContestInput) -> None:
        state = self._run.state
        state.contests.check_contest(state.status, request.contest_token, workflow.now())

    @workflow.update
    async def decide_contest(self, decision: ContestDecisionInput) -> ContestReceipt:
        """HR upholds the termination, or overturns it and lets the candidate resume."""
        state = self._run.state
        contest = state.contests.decide(decision, now=workflow.now())
        type_ = EventType.TERMINATION_UPHELD
        if contest.status is ContestStatus.OVERTURNED:
            state.reinstate(now=workflow.now(), new_id=new_id)
            self._run.publish_search_attributes()
            type_ = EventType.TERMINATION_OVERTURNED
        await self._record_contest(type_, contest)
        # Before the patch a reinstated candidate who resumed and completed never got the
        # written test or onsite interview the wrongful termination had cancelled; sessions
        # overturned before it replay without the restoration.
        if type_ is EventType.TERMINATION_OVERTURNED and workflow.patched(
            RESTORE_DOWNSTREAM_ON_OVERTURN
        ):
            self._downstream.restore_in_background()
        message = contest_decided_message(state.start.candidate, contest.status)
        return self._contest_receipt(contest, message)

    @decide_contest.validator
    def _validate_decide_contest(self, decision: ContestDecisionInput) -> None:
        self._run.state.contests.check_decision(decision.contest_id)

    async def _record_contest(self, type_: EventType, contest: Contest) -> None:
        """Save the event before the update answers, then tell HR and the candidate."""
        event = self._run.state.event(type_, now=workflow.now(), contest=contest)
        await self._run.record(event, then=lambda: self._run.notify(event))

    def _contest_receipt(self, contest: Contest, message: str) -> ContestReceipt:
        state = self._run.state
        return contest_receipt(
            contest,
            session_id=state.start.session_id,
            session_status=state.status,
            resume_deadline=state.suspension.resume_deadline if state.suspension else None,
            message=message,
        )
