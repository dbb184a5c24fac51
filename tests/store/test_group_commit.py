"""Heartbeat notes and the delivery log: calls that arrive together share one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from contract.codes import EventType, SessionStatus
from contract.events import DeliveryOutcome
from contract.sessions import ClientInfo
from store import Store
from store.group_commit import GroupCommit
from store.liveness import Beat
from tests.fixtures.database import make_event

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


def _notes_through(store: Store, **options: Any) -> GroupCommit[Beat, SessionStatus | None]:
    """Heartbeat notes with other batch settings than the store's own."""

    async def write(beats: Sequence[Beat]) -> list[SessionStatus | None]:
        statuses = await store.see_heartbeats(beats)
        return [statuses[beat.session_id] for beat in beats]

    return GroupCommit(write, **options)


async def test_concurrent_beats_share_one_transaction_and_each_gets_its_answer(
    store: Store,
) -> None:
    """Two hundred beats at once, an ended session and an unknown one among them: every beat
    is answered with its own session's status, in one commit instead of two hundred."""
    active = await _active_sessions(store, 198)
    withdrawn = make_event(EventType.WITHDRAWN)
    await store.record_event(withdrawn)
    ids = [*active, withdrawn.session.session_id, "s-unknown"]
    at = withdrawn.at + timedelta(seconds=10)

    with counted_commits(store) as commits:
        statuses = await asyncio.gather(
            *(store.see_heartbeat(sid, at=at, client=FIREFOX) for sid in ids)
        )

    assert statuses == [SessionStatus.ACTIVE] * 198 + [SessionStatus.WITHDRAWN, None]
    assert len(commits) == 1
    heard = await store.last_seen(active[-1], as_of=at + timedelta(seconds=5))
    assert (heard.seconds_ago, heard.client) == (5, FIREFOX)


async def test_a_batch_is_capped_and_the_rest_follow_in_the_next(store: Store) -> None:
    """Items beyond the batch size wait for the next transaction, and none is dropped."""
    ids = await _active_sessions(store, 7)
    notes = _notes_through(store, max_batch=3)
    at = datetime.now(UTC)

    with counted_commits(store) as commits:
        statuses = await asyncio.gather(*(notes.submit(Beat(sid, at)) for sid in ids))

    assert statuses == [SessionStatus.ACTIVE] * 7
    assert len(commits) == 3
    for sid in ids:
        assert (await store.last_seen(sid, as_of=at)).seconds_ago == 0


async def test_a_failed_write_fails_every_call_of_its_batch_and_the_next_batch_goes_on(
    database_url: str,
) -> None:
    """A store that cannot take the write (here: no schema yet) gives each waiting caller the
    error, so the API can fall back to a signal; once the store works, beats are noted again."""
    store = Store.from_url(database_url)
    try:
        started = make_event(EventType.STARTED, with_exit=False)
        sid = started.session.session_id

        results = await asyncio.gather(
            *(store.see_heartbeat(sid, at=started.at) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(result, SQLAlchemyError) for result in results)

        await store.create_schema()
        await store.record_event(started)
        assert await store.see_heartbeat(sid, at=started.at) == SessionStatus.ACTIVE
    finally:
        await store.dispose()


async def test_a_caller_that_went_away_does_not_disturb_the_others(store: Store) -> None:
    """One waiting beat cancelled (its client hung up): the rest of the batch is answered, and
    the cancelled beat's note is still written with them."""
    ids = await _active_sessions(store, 3)
    notes = _notes_through(store, gather_seconds=0.05)
    at = datetime.now(UTC)
    beats = [asyncio.create_task(notes.submit(Beat(sid, at))) for sid in ids]
    await asyncio.sleep(0)

    beats[0].cancel()
    done = await asyncio.gather(*beats, return_exceptions=True)

    assert isinstance(done[0], asyncio.CancelledError)
    assert done[1:] == [SessionStatus.ACTIVE, SessionStatus.ACTIVE]
    assert (await store.last_seen(ids[0], as_of=at)).seconds_ago == 0


@pytest.mark.parametrize("gather_seconds", [0.0, 0.01])
async def test_calls_one_after_another_are_each_answered(
    store: Store, gather_seconds: float
) -> None:
    """A quiet store: every beat is written on its own and none waits for company forever."""
    (sid,) = await _active_sessions(store, 1)
    notes = _notes_through(store, gather_seconds=gather_seconds)
    at = datetime.now(UTC)

    for n in range(3):
        assert await notes.submit(Beat(sid, at + timedelta(seconds=n))) == SessionStatus.ACTIVE

    assert (await store.last_seen(sid, as_of=at + timedelta(seconds=2))).seconds_ago == 0


async def test_delivery_notes_and_reads_that_arrive_together_share_a_transaction(
    store: Store,
) -> None:
    """Fifty channels noting their outcomes at once commit once, and fifty reads after them
    each see their own row."""
    sent = DeliveryOutcome(channel="hris", outcome="sent", status_code=204)
    failed = DeliveryOutcome(channel="email", outcome="failed", detail="550 no such user")

    with counted_commits(store) as commits:
        await asyncio.gather(
            *(store.note_delivery(f"ev-{n}", outcome=sent if n % 2 else failed) for n in range(50))
        )
    outcomes = await asyncio.gather(
        *(
            store.delivery_outcome(f"ev-{n}", channel="hris" if n % 2 else "email")
            for n in range(50)
        ),
        store.delivery_outcome("ev-1", channel="email"),
    )

    assert len(commits) == 1
    assert outcomes == ["failed", "sent"] * 25 + [None]


async def test_a_pending_note_batched_after_a_final_one_does_not_overwrite_it(
    store: Store,
) -> None:
    """``sent`` then ``pending`` for one row in one batch: the row stays ``sent``, as it would
    had they come in two transactions."""
    pending = DeliveryOutcome(channel="hris", outcome="pending", status_code=503)
    sent = DeliveryOutcome(channel="hris", outcome="sent", status_code=204)

    await asyncio.gather(
        store.note_delivery("ev-1", outcome=pending),
        store.note_delivery("ev-1", outcome=sent),
        store.note_delivery("ev-1", outcome=pending),
    )

    assert await store.delivery_outcome("ev-1", channel="hris") == "sent"


async def test_an_unknown_outcome_is_refused_alone(store: Store) -> None:
    """A note with an outcome the log does not know fails for its caller; the notes that
    arrive with it are written."""
    results = await asyncio.gather(
        store.note_delivery("ev-1", outcome=DeliveryOutcome(channel="hris", outcome="delivered")),
        store.note_delivery("ev-2", outcome=DeliveryOutcome(channel="hris", outcome="sent")),
        return_exceptions=True,
    )

    assert isinstance(results[0], ValueError) and results[1] is None
    assert await store.delivery_outcome("ev-2", channel="hris") == "sent"
