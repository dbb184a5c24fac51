"""Heartbeats that reach the store together are noted in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from activities.database import Store
from starter.api.heartbeat_writes import HeartbeatWriter
from tests.fixtures.database import make_event
from workflows.codes import EventType, SessionStatus
from workflows.models import ClientInfo

FIREFOX = ClientInfo(browser="Firefox", browser_version="133", os="Linux")


@contextmanager
def counted_commits(store: Store) -> Iterator[list[None]]:
    """Count the store's committed transactions while the block runs."""
    commits: list[None] = []

    def _commit(_conn: Any) -> None:
        commits.append(None)

    event.listen(store.engine.sync_engine, "commit", _commit)
    try:
        yield commits
    finally:
        event.remove(store.engine.sync_engine, "commit", _commit)


async def _active_sessions(store: Store, count: int) -> list[str]:
    events = [make_event(EventType.STARTED, with_exit=False) for _ in range(count)]
    for started in events:
        await store.record_event(started)
    return [started.session.session_id for started in events]


async def test_concurrent_beats_share_one_transaction_and_each_gets_its_answer(
    store: Store,
) -> None:
    """Two hundred beats at once, an ended session and an unknown one among them: every beat
    is answered with its own session's status, in one commit instead of two hundred."""
    active = await _active_sessions(store, 198)
    withdrawn = make_event(EventType.WITHDRAWN)
    await store.record_event(withdrawn)
    ids = [*active, withdrawn.session.session_id, "s-unknown"]
    writer = HeartbeatWriter(store)
    at = withdrawn.at + timedelta(seconds=10)

    with counted_commits(store) as commits:
        statuses = await asyncio.gather(*(writer.see(sid, at, FIREFOX) for sid in ids))

    assert statuses == [SessionStatus.ACTIVE] * 198 + [SessionStatus.WITHDRAWN, None]
    assert len(commits) == 1
    heard = await store.last_seen(active[-1], at + timedelta(seconds=5))
    assert (heard.seconds_ago, heard.client) == (5, FIREFOX)


async def test_a_batch_is_capped_and_the_rest_follow_in_the_next(store: Store) -> None:
    """Beats beyond the batch size wait for the next transaction, and none is dropped."""
    ids = await _active_sessions(store, 7)
    writer = HeartbeatWriter(store, max_batch=3)
    at = datetime.now(UTC)

    with counted_commits(store) as commits:
        statuses = await asyncio.gather(*(writer.see(sid, at) for sid in ids))

    assert statuses == [SessionStatus.ACTIVE] * 7
    assert len(commits) == 3
    for sid in ids:
        assert (await store.last_seen(sid, at)).seconds_ago == 0


async def test_a_failed_write_fails_every_beat_of_its_batch_and_the_next_batch_goes_on(
    database_url: str,
) -> None:
    """A store that cannot take the write (here: no schema yet) gives each waiting beat the
    error, so the API can fall back to a signal; once the store works, beats are noted again."""
    store = Store.from_url(database_url)
    try:
        writer = HeartbeatWriter(store)
        started = make_event(EventType.STARTED, with_exit=False)
        sid = started.session.session_id

        results = await asyncio.gather(
            *(writer.see(sid, started.at) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(result, SQLAlchemyError) for result in results)

        await store.create_schema()
        await store.record_event(started)
        assert await writer.see(sid, started.at) == SessionStatus.ACTIVE
    finally:
        await store.dispose()


async def test_a_beat_whose_request_went_away_does_not_disturb_the_others(store: Store) -> None:
    """One waiting beat cancelled (its client hung up): the rest of the batch is answered."""
    ids = await _active_sessions(store, 3)
    writer = HeartbeatWriter(store, gather_seconds=0.05)
    at = datetime.now(UTC)
    beats = [asyncio.create_task(writer.see(sid, at)) for sid in ids]
    await asyncio.sleep(0)

    beats[0].cancel()
    done = await asyncio.gather(*beats, return_exceptions=True)

    assert isinstance(done[0], asyncio.CancelledError)
    assert done[1:] == [SessionStatus.ACTIVE, SessionStatus.ACTIVE]
    assert (await store.last_seen(ids[0], at)).seconds_ago == 0


@pytest.mark.parametrize("gather_seconds", [0.0, 0.01])
async def test_beats_one_after_another_are_each_answered(
    store: Store, gather_seconds: float
) -> None:
    """A quiet API: every beat is written on its own and none waits for company forever."""
    (sid,) = await _active_sessions(store, 1)
    writer = HeartbeatWriter(store, gather_seconds=gather_seconds)
    at = datetime.now(UTC)

    for n in range(3):
        assert await writer.see(sid, at + timedelta(seconds=n)) == SessionStatus.ACTIVE

    assert (await store.last_seen(sid, at + timedelta(seconds=2))).seconds_ago == 0
