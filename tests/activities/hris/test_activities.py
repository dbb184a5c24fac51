"""``deliver_hris_event`` against a real HTTP inbox and a real database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.hris.activities import HrisActivities
from activities.hris.payload import hris_body
from activities.hris.signing import new_secret
from config import Settings
from contract.codes import EventType
from contract.events import DeliveryOutcome, SessionEvent
from devstack.hris_inbox import HrisInbox, ScriptedResponse
from store import Store
from tests.fixtures.database import make_event


@pytest.fixture
def acts(hris_settings: Settings, hris_http: httpx.AsyncClient, store: Store) -> HrisActivities:
    """The activities, sending to the test inbox and noting outcomes in the test store."""
    return HrisActivities(hris_settings, hris_http, store)


async def _recorded(store: Store, event_type: EventType = EventType.WITHDRAWN) -> SessionEvent:
    # The workflow records an event before delivering it; do the same.
    event = make_event(event_type)
    await store.record_event(event)
    return event


async def _deliver(
    acts: HrisActivities, event: SessionEvent, *, attempt: int = 1
) -> DeliveryOutcome:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return await env.run(acts.deliver_hris_event, event)


async def test_delivery_arrives_signed_with_the_contract_body(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """A delivery carries the Standard Webhooks headers, verifies, and is noted as sent."""
    event = await _recorded(store)
    outcome = await _deliver(acts, event)

    assert (outcome.channel, outcome.outcome, outcome.status_code) == ("hris", "sent", 204)
    [delivery] = hris_inbox.deliveries
    assert delivery.verified
    assert delivery.webhook_id == f"msg_{event.event_id}"
    assert delivery.raw_body == hris_body(event)
    assert delivery.type == "interview.withdrawn"
    assert delivery.data["session_id"] == event.session.session_id
    assert delivery.data["exit"]["reason_code"] == "job_requirements"
    assert await store.delivery_outcome(event.event_id, channel="hris") == "sent"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
async def test_unavailable_answers_raise_a_retryable_error(
    status: int, acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """5xx, 408 and 429 raise a retryable ``hris_unavailable`` and note the delivery pending."""
    hris_inbox.script(status)
    event = await _recorded(store)
    with pytest.raises(ApplicationError) as caught:
        await _deliver(acts, event, attempt=4)

    assert caught.value.type == "hris_unavailable"
    assert not caught.value.non_retryable
    assert caught.value.next_retry_delay is None
    assert str(status) in caught.value.message
    assert await store.delivery_outcome(event.event_id, channel="hris") == "pending"


async def test_retry_after_seconds_becomes_the_next_retry_delay(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """A 429 with ``Retry-After: 7`` asks Temporal to wait seven seconds."""
    hris_inbox.script(ScriptedResponse(429, retry_after=7))
    with pytest.raises(ApplicationError) as caught:
        await _deliver(acts, await _recorded(store))
    assert caught.value.next_retry_delay == timedelta(seconds=7)


async def test_retry_after_http_date_is_honoured_and_capped(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """A 503 whose ``Retry-After`` date is two hours away waits the one-hour cap."""
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    hris_inbox.script(ScriptedResponse(503, retry_after=later))
    with pytest.raises(ApplicationError) as caught:
        await _deliver(acts, await _recorded(store))
    assert caught.value.next_retry_delay == timedelta(hours=1)


async def test_timeout_raises_a_retryable_error(
    hris_settings: Settings, hris_http: httpx.AsyncClient, hris_inbox: HrisInbox, store: Store
) -> None:
    """An HR system slower than the timeout is retried, not failed."""
    settings = hris_settings.model_copy(update={"hris_timeout_seconds": 0.2})
    hris_inbox.script(ScriptedResponse(204, delay_seconds=1.0))
    with pytest.raises(ApplicationError) as caught:
        await _deliver(HrisActivities(settings, hris_http, store), await _recorded(store))
    assert caught.value.type == "hris_unavailable"
    assert not caught.value.non_retryable
    assert "Timeout" in caught.value.message


async def test_connection_refused_raises_a_retryable_error(
    hris_settings: Settings, hris_http: httpx.AsyncClient, store: Store
) -> None:
    """An HR system that is not listening is retried, not failed."""
    settings = hris_settings.model_copy(update={"hris_webhook_url": "http://127.0.0.1:9/hris"})
    event = await _recorded(store)
    with pytest.raises(ApplicationError) as caught:
        await _deliver(HrisActivities(settings, hris_http, store), event)
    assert caught.value.type == "hris_unavailable"
    assert await store.delivery_outcome(event.event_id, channel="hris") == "pending"


async def test_client_error_is_a_recorded_failure_not_an_exception(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """A 400 returns ``failed`` with the status and the answer's text, and is recorded."""
    hris_inbox.script(ScriptedResponse(400, body='{"error": "unknown job job-sales-manager"}'))
    event = await _recorded(store)
    outcome = await _deliver(acts, event, attempt=2)

    assert (outcome.outcome, outcome.status_code, outcome.attempts) == ("failed", 400, 2)
    assert outcome.detail is not None
    assert "unknown job" in outcome.detail
    assert len(hris_inbox.deliveries) == 1
    assert await store.delivery_outcome(event.event_id, channel="hris") == "failed"


async def test_wrong_secret_is_refused_by_the_receiver_and_failed(
    hris_settings: Settings, hris_http: httpx.AsyncClient, hris_inbox: HrisInbox, store: Store
) -> None:
    """Signed with another secret, the delivery is answered 401 and recorded as failed."""
    settings = hris_settings.model_copy(update={"hris_webhook_secret": SecretStr(new_secret())})
    assert settings.hris_webhook_key != hris_inbox.key
    outcome = await _deliver(HrisActivities(settings, hris_http, store), await _recorded(store))
    assert (outcome.outcome, outcome.status_code) == ("failed", 401)
    assert hris_inbox.rejected and not hris_inbox.accepted


async def test_retry_sends_the_same_id_and_body(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """The attempt after a 500 carries the same webhook-id and identical body bytes."""
    hris_inbox.script(500, 204)
    event = await _recorded(store, EventType.TERMINATED)
    with pytest.raises(ApplicationError):
        await _deliver(acts, event, attempt=1)
    outcome = await _deliver(acts, event, attempt=2)

    assert (outcome.outcome, outcome.attempts) == ("sent", 2)
    first, second = hris_inbox.deliveries
    assert first.webhook_id == second.webhook_id == f"msg_{event.event_id}"
    assert first.raw_body == second.raw_body
    assert first.verified and second.verified
    assert await store.delivery_outcome(event.event_id, channel="hris") == "sent"


async def test_event_already_sent_is_not_sent_again(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """Running the activity again for a delivered event does not POST twice."""
    event = await _recorded(store)
    await _deliver(acts, event)
    outcome = await _deliver(acts, event, attempt=2)
    assert outcome.outcome == "sent"
    assert len(hris_inbox.deliveries) == 1


async def test_nothing_is_sent_without_a_webhook_url(
    hris_http: httpx.AsyncClient, hris_inbox: HrisInbox, store: Store
) -> None:
    """With no HR webhook configured the delivery is skipped and noted so."""
    settings = Settings(hris_webhook_url=None, hris_webhook_secret=None)
    event = await _recorded(store)
    outcome = await _deliver(HrisActivities(settings, hris_http, store), event)
    assert outcome.outcome == "skipped"
    assert hris_inbox.deliveries == []
    assert await store.delivery_outcome(event.event_id, channel="hris") == "skipped"


async def test_resume_reminder_is_not_for_the_hr_system(
    acts: HrisActivities, hris_inbox: HrisInbox, store: Store
) -> None:
    """The reminder to the candidate is skipped for the HR system."""
    outcome = await _deliver(acts, await _recorded(store, EventType.RESUME_REMINDER))
    assert outcome.outcome == "skipped"
    assert hris_inbox.deliveries == []


async def test_a_store_that_cannot_write_does_not_fail_a_sent_delivery(
    hris_settings: Settings, hris_http: httpx.AsyncClient, hris_inbox: HrisInbox, tmp_path: Path
) -> None:
    """Noting the outcome is best-effort: a read-only store still yields ``sent``, once."""
    path = tmp_path / "exitflow.db"
    writable = Store.from_url(f"sqlite+aiosqlite:///{path}")
    await writable.create_schema()
    await writable.dispose()
    read_only = Store.from_url(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        outcome = await _deliver(HrisActivities(hris_settings, hris_http, read_only), make_event())
    finally:
        await read_only.dispose()
    assert outcome.outcome == "sent"
    assert len(hris_inbox.accepted) == 1


async def test_a_store_that_cannot_be_read_sends_nothing_and_retries(
    hris_settings: Settings, hris_http: httpx.AsyncClient, hris_inbox: HrisInbox, tmp_path: Path
) -> None:
    """Whether the event was already delivered must be known: no answer, no send (retry later)."""
    broken = Store.from_url(f"sqlite+aiosqlite:///{tmp_path}/missing-dir/exitflow.db")
    try:
        with pytest.raises(Exception, match="no such table"):
            await _deliver(HrisActivities(hris_settings, hris_http, broken), make_event())
    finally:
        await broken.dispose()
    assert hris_inbox.deliveries == []
