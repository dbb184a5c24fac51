"""The session's rules, without a server: what may happen when, and what it leaves behind."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.exceptions import ApplicationError

from contract.codes import ErrorCode, EventType, ExitKind, FaultCause, SessionStatus
from contract.sessions import FaultInfo, SegmentInput, StartSession
from workflows.session_state import SessionState

T0 = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


def _state(**policy: object) -> SessionState:
    start = StartSession.model_validate(
        {
            "session_id": "s-1",
            "candidate": {"id": "c-1", "name": "Ann", "email": "ann@example.com", "locale": "en"},
            "job": {"id": "job-1", "title": "Engineer"},
            "interviewer_id": "iv-1",
            "policy": policy,
        }
    )
    return SessionState(start, workflow_id="interview-session-s-1", now=T0)


_counter = itertools.count()


def _ids() -> str:
    return f"id-{next(_counter)}"


def _refusal(call: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_progress_moves_to_the_furthest_stage_and_replaces_segments() -> None:
    """A later stage moves the session on; re-sending a segment id replaces the old one."""
    state = _state()
    state.save_segment(SegmentInput(stage="skill_test", segment_id="a", kind="video"), T0)
    state.save_segment(
        SegmentInput(stage="self_intro", segment_id="a", kind="video", video_seconds=5), T0
    )
    assert state.stage == "skill_test"
    assert [(s.segment_id, s.video_seconds) for s in state.segments.values()] == [("a", 5)]


def test_unknown_stage_is_refused_naming_the_field() -> None:
    """Progress for a stage the session does not have is an invalid field."""
    err = _refusal(
        lambda: _state().check_segment(SegmentInput(stage="nope", segment_id="a", kind="video"))
    )
    assert err.type == ErrorCode.INVALID_FIELD
    assert err.details[0]["fields"][0]["field"] == "stage"


def test_fault_opens_the_window_and_resume_needs_its_token() -> None:
    """A fault suspends with a deadline; only its token, before the deadline, resumes."""
    state = _state(resume_window_hours=2)
    state.suspend(
        kind=ExitKind.SYSTEM_FAULT,
        reason_code="network",
        fault=FaultInfo(cause=FaultCause.NETWORK),
        now=T0,
        new_id=_ids,
    )
    assert state.status is SessionStatus.SUSPENDED
    suspension = state.suspension
    assert suspension is not None
    assert suspension.resume_deadline == T0 + timedelta(hours=2)
    assert _refusal(lambda: state.check_resume("wrong", T0)).type == ErrorCode.INVALID_RESUME_TOKEN
    late = T0 + timedelta(hours=2)
    assert (
        _refusal(lambda: state.check_resume(suspension.resume_token, late)).type
        == ErrorCode.RESUME_WINDOW_CLOSED
    )
    state.check_resume(suspension.resume_token, T0 + timedelta(hours=1))


def test_expiry_carries_the_fault_over() -> None:
    """An expired session keeps why it was interrupted, for the record and analytics."""
    state = _state()
    state.suspend(
        kind=ExitKind.SYSTEM_FAULT,
        reason_code="browser",
        fault=FaultInfo(cause=FaultCause.BROWSER),
        now=T0,
        new_id=_ids,
    )
    record = state.expire(now=T0 + timedelta(hours=24), new_id=_ids)
    assert (record.kind, record.reason_code) == (ExitKind.EXPIRED, "browser")
    assert record.fault is not None and record.fault.cause is FaultCause.BROWSER
    assert state.status is SessionStatus.EXPIRED
    assert _refusal(lambda: state.check_resume("x", T0)).type == ErrorCode.RESUME_WINDOW_CLOSED


def test_nothing_happens_after_an_end() -> None:
    """Once withdrawn, every further command is refused as session_ended."""
    state = _state()
    state.end(
        SessionStatus.WITHDRAWN, kind=ExitKind.WITHDRAWN, reason_code="other", now=T0, new_id=_ids
    )
    for check in (
        lambda: state.check_can_exit("withdraw"),
        lambda: state.check_active("complete"),
        lambda: state.check_resume("x", T0),
    ):
        assert _refusal(check).type == ErrorCode.SESSION_ENDED


def test_reminder_is_owed_once_per_suspension() -> None:
    """The reminder falls due before the deadline and is not owed again once sent."""
    state = _state(resume_window_hours=24, reminder_before_deadline_hours=2)
    state.abandon(now=T0, new_id=_ids)
    assert state.reminder_due_at() == T0 + timedelta(hours=22)
    assert state.suspension is not None
    state.reminded_suspension_id = state.suspension.suspension_id
    assert state.reminder_due_at() is None


def test_events_are_numbered_in_order() -> None:
    """Each event takes the next sequence number, so the store can keep the newest state."""
    state = _state()
    first = state.event(EventType.STARTED, now=T0)
    second = state.event(EventType.SUSPENDED, now=T0)
    assert (first.seq, second.seq) == (1, 2)


def test_event_ids_name_the_event_not_a_random_draw() -> None:
    """The n-th event of a type in a run has one id, however often the run is replayed."""
    replayed = [_state(), _state()]
    ids = [
        [state.event(type_, now=T0).event_id for type_ in (EventType.STARTED, EventType.SUSPENDED)]
        for state in replayed
    ]
    again = replayed[0].event(EventType.SUSPENDED, now=T0).event_id

    assert ids[0] == ids[1]
    assert again not in ids[0]
