"""The contest's rules, without a server: who may contest when, and what a decision leaves."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from contract.codes import REINSTATED_REASON, ContestStatus, ErrorCode, ExitKind, SessionStatus
from contract.contests import ContestDecision
from contract.sessions import Actor, SegmentInput, StartSession
from workflows.session_state import SessionState

T0 = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
_counter = itertools.count()


def _ids() -> str:
    return f"id-{next(_counter)}"


def _terminated(**policy: object) -> SessionState:
    start = StartSession.model_validate(
        {
            "session_id": "s-1",
            "candidate": {"id": "c-1", "name": "Ann", "email": "ann@example.com", "locale": "en"},
            "job": {"id": "job-1", "title": "Engineer"},
            "interviewer_id": "iv-1",
            "policy": policy,
        }
    )
    state = SessionState(start, workflow_id="interview-session-s-1", now=T0)
    state.save_segment(SegmentInput(stage="self_intro", segment_id="a", kind="video"), T0)
    record = state.end(
        SessionStatus.TERMINATED,
        kind=ExitKind.TERMINATED,
        reason_code="other",
        now=T0,
        new_id=_ids,
    )
    assert record is not None
    state.contests.open_window(record, days=start.policy.contest_window_days, now=T0, new_id=_ids)
    return state


def _refusal(call: Callable[[], object]) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def _decision(outcome: str) -> ContestDecision:
    return ContestDecision.model_validate(
        {
            "outcome": outcome,
            "explanation": "The recording was reviewed in full by two people.",
            "actor": Actor(id="hr-1", name="Kim"),
        }
    )


def test_a_termination_may_be_contested_once_with_its_token_inside_the_window() -> None:
    """Only the window's token, before its deadline, files a contest; a second is refused."""
    state = _terminated(contest_window_days=30)
    window = state.contests.window
    assert window is not None and window.deadline == T0 + timedelta(days=30)
    token, late = window.contest_token, window.deadline
    contests = state.contests

    wrong = _refusal(lambda: contests.check_contest(state.status, "guessed", T0))
    closed = _refusal(lambda: contests.check_contest(state.status, token, late))
    contests.check_contest(state.status, token, late - timedelta(seconds=1))
    contest = contests.file("It was not me.", now=T0, new_id=_ids)
    again = _refusal(lambda: contests.check_contest(state.status, token, T0))

    assert wrong.type == ErrorCode.INVALID_CONTEST_TOKEN
    assert closed.type == ErrorCode.CONTEST_WINDOW_CLOSED
    assert again.type == ErrorCode.ALREADY_CONTESTED
    assert (contest.status, contest.exit_id) == (ContestStatus.OPEN, state.exits[-1].exit_id)
    assert contests.awaiting_decision


def test_a_session_that_is_not_terminated_cannot_be_contested() -> None:
    """Contesting an active session is a conflict naming its status."""
    state = _terminated()
    state.status = SessionStatus.ACTIVE

    err = _refusal(lambda: state.contests.check_contest(state.status, "x", T0))

    assert err.type == ErrorCode.SESSION_NOT_TERMINATED
    assert err.details[0]["status"] == "active"


def test_a_decision_needs_the_open_contest_and_is_final() -> None:
    """HR decides the contest it names, once; the decision keeps who decided and why."""
    state = _terminated()
    contests = state.contests
    assert _refusal(lambda: contests.check_decision("c")).type == ErrorCode.NO_OPEN_CONTEST
    window = contests.window
    assert window is not None
    contest = contests.file("Please review the recording.", now=T0, new_id=_ids)

    stale = _refusal(lambda: contests.check_decision("another"))
    contests.check_decision(contest.contest_id)
    decided = contests.decide(_decision("upheld"), now=T0 + timedelta(days=3))

    assert stale.type == ErrorCode.NO_OPEN_CONTEST
    assert decided.status is ContestStatus.UPHELD
    assert decided.decided_by == Actor(id="hr-1", name="Kim")
    assert decided.decided_at == T0 + timedelta(days=3)
    again = _refusal(lambda: contests.check_decision(contest.contest_id))
    assert again.type == ErrorCode.NO_OPEN_CONTEST
    view = state.view().contest
    assert view is not None and view.contest == decided


def test_reinstatement_suspends_with_a_fresh_window_and_keeps_the_work() -> None:
    """An overturn reopens the session: suspended, a new token, the segment, the exit kept."""
    state = _terminated(resume_window_hours=6)
    later = T0 + timedelta(days=2)

    suspension = state.reinstate(now=later, new_id=_ids)

    assert state.status is SessionStatus.SUSPENDED
    assert (state.ended_at, state.current_exit) == (None, None)
    assert suspension.resume_deadline == later + timedelta(hours=6)
    assert list(state.segments) == ["a"]
    state.check_resume(suspension.resume_token, later)
    expired = state.expire(now=suspension.resume_deadline, new_id=_ids)
    assert (expired.kind, expired.reason_code) == (ExitKind.EXPIRED, REINSTATED_REASON)
    assert [e.kind for e in state.exits] == [ExitKind.TERMINATED, ExitKind.EXPIRED]
