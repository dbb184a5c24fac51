"""The database activities, run in Temporal's activity environment over a real store."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.database import DatabaseActivities, RecordDelivery, Store
from contract.codes import EventType
from contract.events import DeliveryOutcome
from tests.fixtures.database import make_event
from tests.store.helpers import fetch


async def test_record_session_event_reports_a_repeat(store: Store) -> None:
    """The activity returns True the first time and False on a retry of the same event."""
    env, activities = ActivityEnvironment(), DatabaseActivities(store)
    event = make_event(EventType.SUSPENDED)

    with capture_logs() as logs:
        first = await env.run(activities.record_session_event, event)
        second = await env.run(activities.record_session_event, event)

    assert (first, second) == (True, False)
    assert len(await fetch(store, "SELECT event_id FROM session_events")) == 1
    assert [(log["event"], log["session_id"], log["event_id"]) for log in logs] == [
        ("session_event_recorded", event.session.session_id, event.event_id),
        ("session_event_already_recorded", event.session.session_id, event.event_id),
    ]


async def test_a_final_delivery_is_not_overwritten_by_pending(store: Store) -> None:
    """Once sent, a delivery stays sent when a late pending arrives for it."""
    env, activities = ActivityEnvironment(), DatabaseActivities(store)
    pending = RecordDelivery(
        event_id="ev-1", outcome=DeliveryOutcome(channel="email", outcome="pending")
    )
    sent = RecordDelivery(
        event_id="ev-1",
        outcome=DeliveryOutcome(channel="email", outcome="sent", attempts=2, status_code=250),
    )

    for delivery in (pending, sent, pending):
        await env.run(activities.record_delivery, delivery)

    rows = await fetch(store, "SELECT channel, outcome, attempts, status_code FROM deliveries")
    assert rows == [{"channel": "email", "outcome": "sent", "attempts": 2, "status_code": 250}]
    assert await store.delivery_outcome("ev-1", channel="email") == "sent"
    assert await store.delivery_outcome("ev-1", channel="sms") is None


async def test_a_failed_delivery_can_still_be_followed_by_another_channel(store: Store) -> None:
    """Deliveries are kept per channel: a failed webhook does not touch the email row."""
    await store.note_delivery(
        "ev-2", outcome=DeliveryOutcome(channel="hris", outcome="failed", status_code=400)
    )
    await store.note_delivery("ev-2", outcome=DeliveryOutcome(channel="email", outcome="sent"))

    rows = await fetch(store, "SELECT channel, outcome FROM deliveries ORDER BY channel")
    assert rows == [
        {"channel": "email", "outcome": "sent"},
        {"channel": "hris", "outcome": "failed"},
    ]


async def test_an_unknown_delivery_outcome_fails_without_retry(store: Store) -> None:
    """An outcome the store does not know is refused as a non-retryable error."""
    env, activities = ActivityEnvironment(), DatabaseActivities(store)
    bogus = RecordDelivery(event_id="ev-3", outcome=DeliveryOutcome(channel="sms", outcome="maybe"))

    with pytest.raises(ApplicationError) as raised:
        await env.run(activities.record_delivery, bogus)

    assert raised.value.non_retryable
    assert await fetch(store, "SELECT * FROM deliveries") == []
