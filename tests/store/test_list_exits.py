"""``Store.list_exits``: filters and keyset paging over the exits table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from contract.codes import EventType
from store import InvalidCursor, Store
from tests.fixtures.database import STARTED_AT, make_event


async def _seed(store: Store) -> None:
    """Twelve exits: 6 withdrawn (two jobs), 3 terminated, 3 faults, one minute apart."""
    kinds = [EventType.WITHDRAWN] * 6 + [EventType.TERMINATED] * 3 + [EventType.SUSPENDED] * 3
    for n, kind in enumerate(kinds, start=1):
        job = "job-a" if n % 2 else "job-b"
        interviewer = "iv-1" if n <= 6 else "iv-2"
        await store.record_event(make_event(kind, seq=n, job_id=job, interviewer_id=interviewer))


async def test_filters_combine(store: Store) -> None:
    """kind, job_id, reason_code and interviewer_id narrow the list together."""
    await _seed(store)

    withdrawn_a = await store.list_exits(kind="withdrawn", job_id="job-a")
    faults = await store.list_exits(reason_code="network")
    iv2 = await store.list_exits(interviewer_id="iv-2", kind="terminated")

    assert len(withdrawn_a.items) == 3
    assert {(e.kind, e.job_id) for e in withdrawn_a.items} == {("withdrawn", "job-a")}
    assert [e.kind for e in faults.items] == ["system_fault"] * 3
    assert faults.items[0].client_browser == "Chrome"
    assert len(iv2.items) == 3 and withdrawn_a.next_cursor is None


async def test_session_id_lists_one_sessions_exits(store: Store) -> None:
    """session_id keeps only that session's exits, fault and withdrawal alike."""
    await _seed(store)
    suspended = make_event(EventType.SUSPENDED, seq=20)
    sid = suspended.session.session_id
    await store.record_event(suspended)
    await store.record_event(make_event(EventType.WITHDRAWN, session_id=sid, seq=21))

    page = await store.list_exits(session_id=sid)

    assert [(e.session_id, e.kind) for e in page.items] == [
        (sid, "withdrawn"),
        (sid, "system_fault"),
    ]


async def test_since_is_inclusive_and_until_exclusive(store: Store) -> None:
    """since keeps exits at that instant; until drops them."""
    await _seed(store)
    since, until = STARTED_AT + timedelta(minutes=3), STARTED_AT + timedelta(minutes=6)

    page = await store.list_exits(since=since, until=until)

    assert [e.at for e in page.items] == [STARTED_AT + timedelta(minutes=m) for m in (5, 4, 3)]


async def test_cursor_pages_through_every_exit_once_newest_first(store: Store) -> None:
    """Following next_cursor visits each exit exactly once, newest first, then stops."""
    await _seed(store)
    seen, cursor, pages = [], None, 0
    while True:
        page = await store.list_exits(limit=5, cursor=cursor)
        seen += page.items
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert pages == 3
    assert len({e.exit_id for e in seen}) == 12
    assert [e.at for e in seen] == sorted((e.at for e in seen), reverse=True)


async def test_exits_at_the_same_instant_page_without_loss(store: Store) -> None:
    """Exits sharing one timestamp are split across pages without duplicates or gaps."""
    same = STARTED_AT + timedelta(hours=1)
    for _ in range(7):
        await store.record_event(make_event(EventType.WITHDRAWN, at=same))

    first = await store.list_exits(limit=4)
    second = await store.list_exits(limit=4, cursor=first.next_cursor)

    ids = [e.exit_id for e in first.items + second.items]
    assert len(ids) == len(set(ids)) == 7 and second.next_cursor is None


async def test_a_foreign_cursor_is_refused(store: Store) -> None:
    """A cursor the store did not hand out raises InvalidCursor."""
    with pytest.raises(InvalidCursor):
        await store.list_exits(cursor="not-a-cursor")
