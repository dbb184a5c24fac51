"""Contests in the store: written by the record transaction, read back as HR's review queue."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from contract.codes import ContestStatus, EventType
from contract.events import SessionEvent
from contract.sessions import Actor, Contest
from store import InvalidCursor, Store
from tests.fixtures.database import make_event
from tests.store.helpers import fetch

STATEMENT = "Lilei was only reading her own notes: lilei@example.com can confirm."


def _contest_events(
    session_id: str | None = None, outcome: ContestStatus = ContestStatus.UPHELD, days: int = 0
) -> tuple[SessionEvent, SessionEvent, SessionEvent]:
    """A termination, its contest and HR's decision, as the workflow records them."""
    terminated = make_event(
        EventType.TERMINATED, locale="zh-CN", session_id=session_id, seq=5 + days * 10
    )
    assert terminated.exit is not None
    at = terminated.at + timedelta(days=1)
    contest = Contest(
        contest_id=f"ct-{terminated.exit.exit_id}",
        exit_id=terminated.exit.exit_id,
        statement=STATEMENT,
        contested_at=at,
        status=ContestStatus.OPEN,
    )
    contested = terminated.model_copy(
        update={
            "event_id": f"ev-c-{contest.contest_id}",
            "type": EventType.TERMINATION_CONTESTED,
            "seq": terminated.seq + 1,
            "at": at,
            "exit": None,
            "contest": contest,
        }
    )
    decided = contest.model_copy(
        update={
            "status": outcome,
            "decided_at": at + timedelta(days=2),
            "decided_by": Actor(id="hr-9", name="Lee"),
            "decision_explanation": "Two reviewers watched the whole recording.",
        }
    )
    decision_type = (
        EventType.TERMINATION_UPHELD
        if outcome is ContestStatus.UPHELD
        else EventType.TERMINATION_OVERTURNED
    )
    decision = contested.model_copy(
        update={
            "event_id": f"ev-d-{contest.contest_id}",
            "type": decision_type,
            "seq": terminated.seq + 2,
            "at": at + timedelta(days=2),
            "contest": decided,
        }
    )
    return terminated, contested, decision


async def test_a_contest_and_its_decision_land_in_one_row_and_the_audit_chain(
    store: Store,
) -> None:
    """The contest row is opened, then decided; both events are audited without PII."""
    terminated, contested, decided = _contest_events()
    for event in (terminated, contested, decided):
        assert await store.record_event(event)

    [row] = await fetch(store, "SELECT * FROM contests")
    assert row["status"] == "upheld"
    assert (row["session_id"], row["exit_id"]) == (
        terminated.session.session_id,
        terminated.exit.exit_id,  # type: ignore[union-attr]
    )
    assert (row["decided_by_id"], row["decided_by_name"]) == ("hr-9", "Lee")
    assert row["statement"] == STATEMENT
    audit = await fetch(store, "SELECT type, body FROM audit_log ORDER BY id")
    facts = json.loads(audit[-1]["body"])
    assert [entry["type"] for entry in audit[-2:]] == [
        "termination.contested",
        "termination.upheld",
    ]
    assert facts["contest"]["status"] == "upheld"
    assert "lilei@example.com" not in audit[-2]["body"], "the statement is masked"
    assert (await store.verify_audit_chain()).ok


async def test_a_decision_recorded_before_its_contest_is_never_reopened(store: Store) -> None:
    """Out of order, the decision stands: the later contested event does not reopen it."""
    terminated, contested, decided = _contest_events(outcome=ContestStatus.OVERTURNED)
    for event in (terminated, decided, contested):
        await store.record_event(event)

    stored = await store.contests.find(contested.contest.contest_id)  # type: ignore[union-attr]

    assert stored is not None and stored.status is ContestStatus.OVERTURNED


async def test_the_review_queue_pages_open_contests_oldest_first_with_the_full_record(
    store: Store,
) -> None:
    """Open contests come oldest first, each with its termination notice and session."""
    sessions = []
    for days in range(3):
        terminated, contested, _ = _contest_events(days=days)
        await store.record_event(terminated)
        await store.record_event(contested)
        sessions.append(terminated.session.session_id)
    terminated, contested, decided = _contest_events(days=3)
    for event in (terminated, contested, decided):
        await store.record_event(event)

    first = await store.contests.list_tasks(status=ContestStatus.OPEN, limit=2)
    rest = await store.contests.list_tasks(status=ContestStatus.OPEN, cursor=first.next_cursor)

    tasks = first.items + rest.items
    assert [task.contest.session_id for task in tasks] == sessions
    assert rest.next_cursor is None
    task = tasks[0]
    assert task.termination is not None and task.termination.notice_text
    assert task.session is not None and len(task.session.completed_segments) == 2
    assert (await store.contests.list_tasks()).items[-1].contest.status is ContestStatus.UPHELD
    with pytest.raises(InvalidCursor):
        await store.contests.list_tasks(cursor="not-a-cursor")


async def test_a_contest_cursor_handed_out_before_the_shared_pager_still_pages(
    store: Store,
) -> None:
    """The review queue's older cursors (spaced JSON) resume where the new ones do."""
    for days in range(3):
        terminated, contested, _ = _contest_events(days=days)
        await store.record_event(terminated)
        await store.record_event(contested)
    first = await store.contests.list_tasks(limit=1)
    last = first.items[-1].contest
    position = {"at": last.contested_at.isoformat(), "id": last.contest_id}
    old_cursor = base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")

    resumed = await store.contests.list_tasks(cursor=old_cursor)

    assert resumed == await store.contests.list_tasks(cursor=first.next_cursor)
    assert len(resumed.items) == 2
