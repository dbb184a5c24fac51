"""The audit chain as stored: linear under concurrency, and tampering is named."""

from __future__ import annotations

import asyncio
import json

from contract.codes import EventType
from contract.events import SessionEvent
from store import Store
from store.audit import GENESIS_HASH
from tests.fixtures.database import make_event
from tests.store.helpers import execute, fetch

_LIFECYCLE = (
    EventType.STARTED,
    EventType.SUSPENDED,
    EventType.RESUMED,
    EventType.WITHDRAWN,
    EventType.DOWNSTREAM_CANCELLED,
)


def _sessions(count: int) -> list[SessionEvent]:
    """``count`` sessions' worth of events, each session going through _LIFECYCLE."""
    events = []
    for n in range(count):
        sid = f"s-audit-{n}"
        events += [
            make_event(kind, session_id=sid, seq=seq)
            for seq, kind in enumerate(_LIFECYCLE, start=1)
        ]
    return events


async def _record_all(store: Store, events: list[SessionEvent]) -> None:
    for event in events:
        assert await store.record_event(event)


async def test_the_chain_verifies_after_many_events(store: Store) -> None:
    """After a few hundred events the chain holds and counts every entry."""
    events = _sessions(50)
    await _record_all(store, events)

    result = await store.verify_audit_chain()

    assert (result.ok, result.events, result.first_bad_event) == (True, 250, None)


async def test_an_empty_chain_verifies(store: Store) -> None:
    """A store with no events has a valid, empty chain."""
    result = await store.verify_audit_chain()

    assert (result.ok, result.events) == (True, 0)


async def test_concurrent_recording_builds_one_linear_chain(store: Store) -> None:
    """Thirty concurrent record_event calls link each entry to exactly the one before it."""
    events = [make_event(EventType.WITHDRAWN) for _ in range(30)]

    results = await asyncio.gather(*(store.record_event(event) for event in events))

    assert all(results)
    rows = await fetch(store, "SELECT event_id, prev_hash, hash FROM audit_log ORDER BY id")
    assert len(rows) == 30
    assert [row["prev_hash"] for row in rows] == [GENESIS_HASH] + [r["hash"] for r in rows[:-1]]
    assert {row["event_id"] for row in rows} == {event.event_id for event in events}
    assert (await store.verify_audit_chain()).ok


async def test_two_stores_on_one_database_share_one_chain(store: Store, database_url: str) -> None:
    """Two stores (as two worker processes would hold) writing at once build one chain."""
    other = Store.from_url(database_url)
    events = [make_event(EventType.SUSPENDED) for _ in range(20)]
    try:
        await asyncio.gather(
            *((store if n % 2 else other).record_event(event) for n, event in enumerate(events))
        )
    finally:
        await other.dispose()

    result = await store.verify_audit_chain()
    assert (result.ok, result.events) == (True, 20)


async def test_concurrent_retries_of_one_event_record_it_once(store: Store) -> None:
    """The same event recorded by ten concurrent calls is written by exactly one of them."""
    event = make_event(EventType.TERMINATED)

    results = await asyncio.gather(*(store.record_event(event) for _ in range(10)))

    assert sorted(results) == [False] * 9 + [True]
    assert len(await fetch(store, "SELECT id FROM audit_log")) == 1


async def test_an_altered_body_names_exactly_that_event(store: Store) -> None:
    """Rewriting one entry's body makes verify name that entry's event and no other."""
    events = _sessions(4)
    await _record_all(store, events)
    target = events[7]
    [row] = await fetch(store, "SELECT body FROM audit_log WHERE event_id = :e", e=target.event_id)
    forged = json.loads(row["body"]) | {"status": "completed"}
    await execute(
        store,
        "UPDATE audit_log SET body = :body WHERE event_id = :e",
        body=json.dumps(forged),
        e=target.event_id,
    )

    result = await store.verify_audit_chain()

    assert (result.ok, result.first_bad_event, result.events) == (False, target.event_id, 8)
    assert result.detail is not None and "hash" in result.detail


async def test_a_deleted_entry_breaks_the_link_of_the_next(store: Store) -> None:
    """Deleting a middle entry is detected at the entry that followed it."""
    events = _sessions(4)
    await _record_all(store, events)
    await execute(store, "DELETE FROM audit_log WHERE event_id = :e", e=events[10].event_id)

    result = await store.verify_audit_chain()

    assert (result.ok, result.first_bad_event) == (False, events[11].event_id)
    assert result.detail is not None and "link" in result.detail


async def test_a_recomputed_hash_is_caught_by_the_next_link(store: Store) -> None:
    """Rewriting an entry's body and hash together still breaks the following link."""
    events = _sessions(2)
    await _record_all(store, events)
    await execute(
        store,
        "UPDATE audit_log SET hash = :h WHERE event_id = :e",
        h="f" * 64,
        e=events[3].event_id,
    )

    result = await store.verify_audit_chain()

    assert (result.ok, result.first_bad_event) == (False, events[3].event_id)


async def test_the_audit_body_names_the_candidate_by_id_only(store: Store) -> None:
    """No audit entry's hashed body holds the candidate's name, email, phone, IP address or
    any free text: that text is kept beside the chain, in ``audit_personal``."""
    events = [
        make_event(kind, locale=locale)
        for locale in ("en", "zh-CN")
        for kind in (EventType.WITHDRAWN, EventType.TERMINATED, EventType.SUSPENDED)
    ]
    candidate = events[0].session.candidate
    comment = f"Please email {candidate.email} or call {candidate.phone}"
    events[0].exit.comment = comment  # type: ignore[union-attr]
    await _record_all(store, events)

    rows = await fetch(store, "SELECT body FROM audit_log")
    kept = await fetch(store, "SELECT event_id, fields_json FROM audit_personal")

    assert len(rows) == len(events)
    for row, event in zip(rows, events, strict=True):
        person = event.session.candidate
        for secret in (person.name, person.email, person.phone, "203.0.113.7", "travel"):
            assert secret is not None and secret not in row["body"]
        assert json.loads(row["body"])["candidate_id"] == person.id
    assert {row["event_id"] for row in kept} == {event.event_id for event in events}
    first = next(row for row in kept if row["event_id"] == events[0].event_id)
    assert json.loads(first["fields_json"]) == {"exit.comment": comment}
