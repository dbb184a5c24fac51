"""Properties of the session's and the contest's rules, over any sequence of commands.

The machine below sends what the workflow's handlers send — each command's check, then its
transition only if the check passed — in any order and at any time, and after every step
holds the session to its invariants: statuses move only along the contract's edges, saved
work is never lost, exits are only ever added, a refusal changes nothing.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from temporalio.exceptions import ApplicationError

from contract.codes import ContestStatus, ErrorCode, ExitKind, FaultCause, SessionStatus
from contract.contests import ContestDecision
from contract.sessions import FaultInfo, SegmentInput, SessionView, StartSession
from workflows.session_state import SessionState

T0 = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
STAGES = ["self_intro", "skill_test", "scenario_simulation"]

A, S = SessionStatus.ACTIVE, SessionStatus.SUSPENDED
EDGES = {
    (A, S),
    (A, SessionStatus.COMPLETED),
    (A, SessionStatus.WITHDRAWN),
    (A, SessionStatus.TERMINATED),
    (S, A),
    (S, SessionStatus.WITHDRAWN),
    (S, SessionStatus.TERMINATED),
    (S, SessionStatus.EXPIRED),
    (SessionStatus.TERMINATED, S),
}
"""Every status change the contract allows; the last is an overturned termination."""


class SessionRules(RuleBasedStateMachine):
    """One session driven as its workflow drives it, by handler and by timer."""

    def __init__(self) -> None:
        """A fresh session at ``T0`` with a 2-hour window and a 1-day contest period."""
        super().__init__()
        start = StartSession.model_validate(
            {
                "session_id": "s-1",
                "candidate": {"id": "c-1", "name": "Ann", "email": "ann@example.com"},
                "job": {"id": "job-1", "title": "Engineer"},
                "interviewer_id": "iv-1",
                "stages": STAGES,
                "downstream": [
                    {"step_id": "wt-1", "kind": "written_test", "scheduled_at": T0.isoformat()}
                ],
                "policy": {"resume_window_hours": 2, "contest_window_days": 1},
            }
        )
        self.now = T0
        self.ids = itertools.count()
        self.state = SessionState(start, workflow_id="interview-session-s-1", now=T0)
        self.saved: dict[str, SegmentInput] = {}
        self.exit_ids: list[str] = []
        self.stage_index = 0
        self.status = self.state.status
        self.event_ids: set[str] = set()

    def _new_id(self) -> str:
        return f"id-{next(self.ids)}"

    def _command(self, check: Any, transition: Any) -> None:
        """Run ``check``; only if it passes, ``transition``. A refusal must change nothing."""
        before = self.state.view().model_dump()
        try:
            check()
        except ApplicationError as err:
            assert err.non_retryable
            assert err.type in {code.value for code in ErrorCode}
            assert self.state.view().model_dump() == before
            return
        transition()

    # Time passes, and the workflow's timers act on it.

    @rule(minutes=st.integers(0, 3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        """The clock moves on; an open window that closed meanwhile expires."""
        self.now += timedelta(minutes=minutes)
        suspension = self.state.suspension
        if suspension is not None and self.now >= suspension.resume_deadline:
            self.state.expire(now=self.now, new_id=self._new_id)

    @precondition(lambda self: self.state.status is SessionStatus.ACTIVE)
    @rule()
    def heartbeats_stop(self) -> None:
        """The page went silent for longer than the timeout: abandoned."""
        self.now = max(self.now, self.state.heartbeat_deadline())
        self.state.abandon(now=self.now, new_id=self._new_id)

    # The platform's commands.

    @rule(stage=st.sampled_from([*STAGES, "unknown"]), segment=st.sampled_from("abcd"))
    def progress(self, stage: str, segment: str) -> None:
        """Save a segment (possibly for a stage the session does not have)."""
        sent = SegmentInput(stage=stage, segment_id=segment, kind="video", video_seconds=1)

        def save() -> None:
            self.state.save_segment(sent, self.now)
            self.saved[segment] = sent

        self._command(lambda: self.state.check_segment(sent), save)

    @rule()
    def heartbeat(self) -> None:
        """A heartbeat counts only while the session is active."""
        if self.state.status is SessionStatus.ACTIVE:
            self.state.see_heartbeat(None, self.now)

    @rule(cause=st.sampled_from(FaultCause))
    def fault(self, cause: FaultCause) -> None:
        """The platform reports a fault."""
        self._command(
            lambda: self.state.check_active("report a fault"),
            lambda: self.state.suspend(
                kind=ExitKind.SYSTEM_FAULT,
                reason_code=cause.value,
                fault=FaultInfo(cause=cause),
                now=self.now,
                new_id=self._new_id,
            ),
        )

    @rule(right_token=st.booleans())
    def resume(self, right_token: bool) -> None:
        """The candidate comes back, with the suspension's token or a guessed one."""
        suspension = self.state.suspension
        token = suspension.resume_token if suspension and right_token else "guessed"
        self._command(
            lambda: self.state.check_resume(token, self.now), lambda: self.state.resume(self.now)
        )

    @rule(terminal=st.sampled_from(["withdraw", "terminate", "complete"]))
    def end(self, terminal: str) -> None:
        """The candidate quits, HR terminates, or the platform completes."""
        if terminal == "complete":
            self._command(
                lambda: self.state.check_active("complete"),
                lambda: self.state.end(SessionStatus.COMPLETED, now=self.now, new_id=self._new_id),
            )
            return
        status = SessionStatus.WITHDRAWN if terminal == "withdraw" else SessionStatus.TERMINATED

        def exit_() -> None:
            record = self.state.end(
                status,
                kind=ExitKind(status.value),
                reason_code="other",
                now=self.now,
                new_id=self._new_id,
            )
            assert record is not None
            if status is SessionStatus.TERMINATED:
                self.state.contests.open_window(record, days=1, now=self.now, new_id=self._new_id)

        self._command(lambda: self.state.check_can_exit(terminal), exit_)

    @rule(right_token=st.booleans())
    def contest(self, right_token: bool) -> None:
        """The terminated candidate contests, with the window's token or a guessed one."""
        contests = self.state.contests
        window = contests.window
        token = window.contest_token if window and right_token else "guessed"
        self._command(
            lambda: contests.check_contest(self.state.status, token, self.now),
            lambda: contests.file("I did not.", now=self.now, new_id=self._new_id),
        )

    @rule(outcome=st.sampled_from(["upheld", "overturned"]), right_id=st.booleans())
    def decide(self, outcome: str, right_id: bool) -> None:
        """HR decides the open contest (or names another one)."""
        contests = self.state.contests
        contest_id = contests.contest.contest_id if contests.contest and right_id else "other"
        decision = ContestDecision.model_validate(
            {
                "outcome": outcome,
                "explanation": "The recording was reviewed in full by two people.",
                "actor": {"id": "hr-1", "name": "Kim"},
            }
        )

        def decide() -> None:
            decided = contests.decide(decision, now=self.now)
            if decided.status is ContestStatus.OVERTURNED:
                self.state.reinstate(now=self.now, new_id=self._new_id)
                self.state.restore_cancelled_steps()

        self._command(lambda: contests.check_decision(contest_id), decide)

    # What must hold after every step.

    @invariant()
    def status_moves_only_along_the_contract_edges(self) -> None:
        """A status change is one the contract allows."""
        before, now = self.status, self.state.status
        assert before == now or (before, now) in EDGES, f"{before} -> {now}"
        self.status = now

    @invariant()
    def saved_work_is_never_lost(self) -> None:
        """Every segment ever saved is still there, as last sent."""
        kept = self.state.segments
        assert set(kept) == set(self.saved)
        for segment_id, sent in self.saved.items():
            assert SegmentInput.model_validate(kept[segment_id].model_dump(exclude={"saved_at"}))
            assert kept[segment_id].stage == sent.stage

    @invariant()
    def exits_are_only_added(self) -> None:
        """The exits recorded so far stay, in order, each with its own id."""
        ids = [record.exit_id for record in self.state.exits]
        assert ids[: len(self.exit_ids)] == self.exit_ids
        assert len(set(ids)) == len(ids)
        self.exit_ids = ids

    @invariant()
    def the_stage_only_moves_forward(self) -> None:
        """The current stage is the furthest stage with saved work."""
        index = STAGES.index(self.state.stage)
        assert index >= self.stage_index
        self.stage_index = index

    @invariant()
    def a_window_is_open_exactly_while_suspended(self) -> None:
        """A suspension exists if and only if the session is suspended."""
        assert (self.state.suspension is not None) == (self.state.status is S)

    @invariant()
    def the_view_is_a_valid_contract_view(self) -> None:
        """The view and the event snapshot validate as the contract's models."""
        view = self.state.view()
        assert SessionView.model_validate(view.model_dump(mode="json")) == view
        assert view.exit is None or view.exit in view.exits


SessionRules.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSessionRules = SessionRules.TestCase
