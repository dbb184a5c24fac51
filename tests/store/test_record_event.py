"""``Store.record_event``: one transaction per event, idempotent, safe out of order."""

from __future__ import annotations

from datetime import datetime, timedelta

from contract.codes import DownstreamStatus, EventType
from contract.events import DownstreamChange, SessionEvent
from contract.sessions import Segment
from store import Store
from tests.fixtures.database import STARTED_AT, make_event
from tests.store.helpers import count, fetch

TABLES = ("sessions", "segments", "exits", "session_events", "audit_log", "downstream_steps")


async def test_recording_an_event_twice_writes_it_once(store: Store) -> None:
    """A retried record_event returns False and leaves exactly one row in every table."""
    event = make_event(EventType.WITHDRAWN)

    assert await store.record_event(event) is True
    assert await store.record_event(event) is False

    counts = {table: await count(store, table) for table in TABLES}
    assert counts == {
        "sessions": 1,
        "segments": 2,
        "exits": 1,
        "session_events": 1,
        "audit_log": 1,
        "downstream_steps": 1,
    }
    [row] = await fetch(store, "SELECT * FROM exits")
    assert (row["kind"], row["reason_code"], row["session_id"]) == (
        "withdrawn",
        "job_requirements",
        event.session.session_id,
    )
    [stored] = await fetch(store, "SELECT payload FROM session_events")
    assert "withdrawn" in str(stored["payload"])


async def test_an_older_event_arriving_late_keeps_the_newest_session_state(store: Store) -> None:
    """The sessions row follows the highest seq, whatever order events arrive in."""
    started = make_event(EventType.STARTED, seq=1, with_exit=False)
    sid = started.session.session_id
    withdrawn = make_event(EventType.WITHDRAWN, session_id=sid, seq=5)

    await store.record_event(withdrawn)
    await store.record_event(started)

    [row] = await fetch(store, "SELECT status, last_event_seq, ended_at FROM sessions")
    assert (row["status"], row["last_event_seq"]) == ("withdrawn", 5)
    assert row["ended_at"] is not None
    assert await count(store, "session_events", sid) == 2


async def test_a_repeated_segment_id_replaces_the_segment(store: Store) -> None:
    """A segment saved again under the same segment_id replaces the stored one."""
    first = make_event(EventType.STARTED, seq=1, with_exit=False)
    sid = first.session.session_id
    redone = Segment(
        stage="skill_test",
        segment_id="seg-skill-1",
        kind="assessment",
        questions_answered=12,
        questions_correct=11,
        saved_at=STARTED_AT + timedelta(seconds=900),
    )
    second = make_event(
        EventType.WITHDRAWN,
        session_id=sid,
        seq=2,
        segments=[first.session.segments[0], redone],
    )

    await store.record_event(first)
    await store.record_event(second)
    # A stale snapshot replayed late must not bring the old answers back.
    await store.record_event(make_event(EventType.STARTED, session_id=sid, seq=1))

    rows = await fetch(
        store,
        "SELECT segment_id, questions_answered, questions_correct FROM segments "
        "ORDER BY segment_id",
    )
    assert rows == [
        {"segment_id": "seg-intro-1", "questions_answered": None, "questions_correct": None},
        {"segment_id": "seg-skill-1", "questions_answered": 12, "questions_correct": 11},
    ]


async def test_resuming_marks_the_open_fault_exit(store: Store) -> None:
    """A resumed event stamps resumed_at on the session's open system_fault exit only."""
    suspended = make_event(EventType.SUSPENDED, seq=2)
    sid = suspended.session.session_id
    resumed = make_event(EventType.RESUMED, session_id=sid, seq=3)
    other = make_event(EventType.SUSPENDED, seq=2)

    for event in (suspended, other, resumed):
        await store.record_event(event)

    rows = await fetch(
        store, "SELECT exit_id, kind, resumed_at, expired_at FROM exits ORDER BY exit_id"
    )
    marks = {row["exit_id"]: (row["resumed_at"], row["expired_at"]) for row in rows}
    assert suspended.exit is not None and other.exit is not None
    assert marks[suspended.exit.exit_id][0] is not None
    assert marks[suspended.exit.exit_id][1] is None
    assert marks[other.exit.exit_id] == (None, None)


async def test_expiry_marks_the_fault_exit_even_when_recorded_first(store: Store) -> None:
    """An expired event recorded before its fault exit still stamps expired_at on it."""
    suspended = make_event(EventType.SUSPENDED, seq=2)
    sid = suspended.session.session_id
    expired = make_event(EventType.EXPIRED, session_id=sid, seq=3)

    await store.record_event(expired)
    await store.record_event(suspended)

    rows = await fetch(store, "SELECT kind, resumed_at, expired_at FROM exits ORDER BY kind")
    assert [(row["kind"], row["resumed_at"], row["expired_at"] is not None) for row in rows] == [
        ("expired", None, False),
        ("system_fault", None, True),
    ]


def _change(event: SessionEvent, status: DownstreamStatus, *, at: datetime) -> DownstreamChange:
    """The session's first downstream step moving to ``status`` at ``at``."""
    step = event.session.downstream[0]
    return DownstreamChange(
        session_id=event.session.session_id,
        step_id=step.step_id,
        kind=step.kind,
        scheduled_at=step.scheduled_at,
        status=status,
        at=at,
    )


async def test_downstream_steps_only_move_forward(store: Store) -> None:
    """A cancelled step stays cancelled when an older snapshot or change says scheduled."""
    cancelled = make_event(EventType.DOWNSTREAM_CANCELLED, seq=4)
    sid = cancelled.session.session_id
    await store.record_event(cancelled)
    await store.record_event(make_event(EventType.STARTED, session_id=sid, seq=1))
    back = _change(cancelled, DownstreamStatus.SCHEDULED, at=cancelled.at + timedelta(minutes=1))
    await store.record_downstream_change(back)
    await store.record_downstream_change(back.model_copy(update={"status": "invited"}))

    [row] = await fetch(store, "SELECT status, reason FROM downstream_steps")
    assert row == {"status": "cancelled", "reason": "downstream.cancelled"}


async def test_an_overturn_restores_cancelled_steps_which_then_move_forward(store: Store) -> None:
    """downstream.restored is the one way back: cancelled to scheduled, then invited."""
    cancelled = make_event(EventType.DOWNSTREAM_CANCELLED, seq=4)
    sid = cancelled.session.session_id
    await store.record_event(cancelled)
    restored = make_event(EventType.DOWNSTREAM_RESTORED, session_id=sid, seq=9)
    await store.record_event(restored)
    after_restore = await fetch(store, "SELECT status, reason FROM downstream_steps")
    invited = _change(restored, DownstreamStatus.INVITED, at=restored.at + timedelta(minutes=1))
    await store.record_downstream_change(invited)
    # An older snapshot that still says cancelled does not undo the restoration.
    await store.record_event(make_event(EventType.DOWNSTREAM_CANCELLED, session_id=sid, seq=5))

    assert after_restore == [{"status": "scheduled", "reason": None}]
    [final] = await fetch(store, "SELECT status FROM downstream_steps")
    assert final["status"] == "invited"


async def test_a_downstream_change_moves_a_scheduled_step_forward(store: Store) -> None:
    """record_downstream_change moves scheduled to invited, and repeating it changes nothing."""
    started = make_event(EventType.STARTED, seq=1)
    await store.record_event(started)
    step = started.session.downstream[0]
    invited = DownstreamChange(
        session_id=started.session.session_id,
        step_id=step.step_id,
        kind=step.kind,
        scheduled_at=step.scheduled_at,
        status=DownstreamStatus.INVITED,
        at=STARTED_AT + timedelta(days=1),
        reason="interview completed",
    )

    await store.record_downstream_change(invited)
    await store.record_downstream_change(invited)

    rows = await fetch(store, "SELECT status, reason FROM downstream_steps")
    assert rows == [{"status": "invited", "reason": "interview completed"}]


async def test_get_session_rebuilds_the_session_view(store: Store) -> None:
    """get_session returns the stored segments, the open exit and the resume deadline."""
    suspended = make_event(EventType.SUSPENDED, seq=2)
    await store.record_event(suspended)

    view = await store.get_session(suspended.session.session_id)

    assert view is not None and suspended.exit is not None
    assert view.status == "suspended"
    assert [s.segment_id for s in view.completed_segments] == ["seg-intro-1", "seg-skill-1"]
    assert view.exit is not None and view.exit.exit_id == suspended.exit.exit_id
    assert view.exit.fault is not None and view.exit.fault.cause == "network"
    assert suspended.session.suspension is not None
    assert view.resume_deadline == suspended.session.suspension.resume_deadline
    assert await store.get_session("no-such-session") is None


async def test_a_reinstated_session_has_no_current_exit_in_its_stored_view(store: Store) -> None:
    """After an overturn the stored view is suspended with no exit, as the workflow's is."""
    terminated = make_event(EventType.TERMINATED, seq=2)
    sid = terminated.session.session_id
    await store.record_event(terminated)
    await store.record_event(make_event(EventType.TERMINATION_OVERTURNED, session_id=sid, seq=5))

    view = await store.get_session(sid)

    assert view is not None and terminated.exit is not None
    assert (view.status, view.exit) == ("suspended", None)
    assert [e.exit_id for e in view.exits] == [terminated.exit.exit_id]
