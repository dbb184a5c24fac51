"""Heartbeats noted on the session's row by the API, and read back by the workflow."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import EventType, SessionStatus
from contract.sessions import ClientInfo
from store import Store
from store.anonymise import anonymise_sessions
from store.audit_entries import lock_chain
from store.liveness import Beat
from tests.fixtures.database import make_event
from tests.store.helpers import fetch

FIREFOX = ClientInfo(ip="203.0.113.9", browser="Firefox", browser_version="133", os="Linux")


async def _active_session(store: Store) -> tuple[str, datetime]:
    started = make_event(EventType.STARTED, with_exit=False)
    await store.record_event(started)
    return started.session.session_id, started.at


async def test_a_beat_on_an_active_session_is_read_back_with_its_client(store: Store) -> None:
    """The workflow reads how long ago the page beat, as of its own now, and the client."""
    session_id, at = await _active_session(store)

    assert (
        await store.see_heartbeat(session_id, at=at + timedelta(seconds=10), client=FIREFOX)
        == "active"
    )
    heard = await store.last_seen(session_id, as_of=at + timedelta(seconds=40))

    assert heard.seconds_ago == 30
    assert heard.client == FIREFOX


async def test_a_beat_without_a_client_keeps_the_last_one(store: Store) -> None:
    """The client from an earlier beat stays when a later beat carries none."""
    session_id, at = await _active_session(store)
    await store.see_heartbeat(session_id, at=at + timedelta(seconds=10), client=FIREFOX)

    await store.see_heartbeat(session_id, at=at + timedelta(seconds=20), client=None)

    heard = await store.last_seen(session_id, as_of=at + timedelta(seconds=20))
    assert (heard.seconds_ago, heard.client) == (0, FIREFOX)


async def test_last_seen_only_moves_forward(store: Store) -> None:
    """A beat that arrives late (through another API process) does not move it back."""
    session_id, at = await _active_session(store)
    await store.see_heartbeat(session_id, at=at + timedelta(seconds=50), client=None)

    await store.see_heartbeat(session_id, at=at + timedelta(seconds=20), client=None)

    assert (await store.last_seen(session_id, as_of=at + timedelta(seconds=60))).seconds_ago == 10


async def test_no_beat_and_no_session_read_as_never_seen(store: Store) -> None:
    """Before the first beat, and for a session with no row, there is nothing to go on."""
    session_id, at = await _active_session(store)

    assert (await store.last_seen(session_id, as_of=at)).seconds_ago is None
    assert (await store.last_seen("s-unknown", as_of=at)).seconds_ago is None
    assert await store.see_heartbeat("s-unknown", at=at, client=FIREFOX) is None


async def test_an_ended_session_reports_its_status_and_takes_no_beat(store: Store) -> None:
    """The API learns the session ended (409); the row is not touched."""
    withdrawn = make_event(EventType.WITHDRAWN)
    await store.record_event(withdrawn)
    session_id = withdrawn.session.session_id

    status = await store.see_heartbeat(session_id, at=withdrawn.at, client=FIREFOX)

    assert status == SessionStatus.WITHDRAWN
    assert (await store.last_seen(session_id, as_of=withdrawn.at)).seconds_ago is None


async def test_anonymising_removes_the_client_and_stops_new_beats(store: Store) -> None:
    """The heartbeat's client holds an IP address: it goes with the rest of the personal data."""
    session_id, at = await _active_session(store)
    await store.see_heartbeat(session_id, at=at, client=FIREFOX)

    async with AsyncSession(store.engine) as session, session.begin():
        await lock_chain(session, store.engine.dialect.name)
        await anonymise_sessions(session, [session_id], at=at)
    await store.see_heartbeat(session_id, at=at + timedelta(seconds=5), client=FIREFOX)

    rows = await fetch(
        store, "SELECT last_client FROM sessions WHERE session_id = :s", s=session_id
    )
    assert rows == [{"last_client": None}]


async def test_one_call_notes_many_sessions_and_reports_each_status(store: Store) -> None:
    """A batch of beats answers per session: active ones are noted, an ended one says so, an
    unknown one has no status; two beats of one session count as the later, with its client."""
    first, at = await _active_session(store)
    second, _ = await _active_session(store)
    withdrawn = make_event(EventType.WITHDRAWN)
    await store.record_event(withdrawn)
    chrome = FIREFOX.model_copy(update={"browser": "Chrome"})

    statuses = await store.see_heartbeats(
        [
            Beat(first, at + timedelta(seconds=30), FIREFOX),
            Beat(first, at + timedelta(seconds=10), chrome),
            Beat(second, at + timedelta(seconds=5)),
            Beat(withdrawn.session.session_id, at + timedelta(seconds=5), FIREFOX),
            Beat("s-unknown", at),
        ]
    )

    assert statuses == {
        first: SessionStatus.ACTIVE,
        second: SessionStatus.ACTIVE,
        withdrawn.session.session_id: SessionStatus.WITHDRAWN,
        "s-unknown": None,
    }
    heard = await store.last_seen(first, as_of=at + timedelta(seconds=40))
    assert (heard.seconds_ago, heard.client) == (10, chrome)
    assert (await store.last_seen(second, as_of=at + timedelta(seconds=40))).seconds_ago == 35
    assert (await store.last_seen(withdrawn.session.session_id, as_of=at)).seconds_ago is None
