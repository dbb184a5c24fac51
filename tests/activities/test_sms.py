"""``send_candidate_sms`` against a real HTTP receiver and a real database."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.sms import UNAVAILABLE, SmsActivities
from config import Settings
from contract.codes import EventType
from contract.events import ContestWindow, DeliveryOutcome, SessionEvent
from store import Store
from tests.activities.email.events import candidate_event
from tests.fixtures.mail import RESUME_URL_BASE


class SmsGateway(ThreadingHTTPServer):
    """A tiny SMS webhook: keeps each JSON body and answers with the next queued status."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.received: list[dict[str, Any]] = []
        self.headers_seen: list[dict[str, str]] = []
        self.statuses: list[int] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class _GatewayHandler(BaseHTTPRequestHandler):
    server: SmsGateway

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))
        self.server.headers_seen.append(dict(self.headers))
        status = self.server.statuses.pop(0) if self.server.statuses else 202
        self.send_response(status)
        if status == 429:
            self.send_header("Retry-After", "7")
        payload = b'{"error": "rejected"}' if status >= 400 else b'{"id": "m-1"}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    """A running SMS gateway on a free port."""
    server = SmsGateway()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def sms_settings(gateway: SmsGateway) -> Settings:
    """Settings whose SMS webhook is the running gateway."""
    return Settings(sms_webhook_url=gateway.url, resume_url_base=RESUME_URL_BASE)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP client the activity posts with."""
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


async def send(
    settings: Settings, http: httpx.AsyncClient, store: Store, event: SessionEvent, attempt: int = 1
) -> DeliveryOutcome:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return await env.run(SmsActivities(settings, http, store).send_candidate_sms, event)


def sms_event(type: EventType = EventType.SUSPENDED, **kwargs: Any) -> SessionEvent:
    return candidate_event(type, channels=("email", "sms"), **kwargs)


async def test_fault_sms_posts_phone_and_text_with_link(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store
):
    """A fault is texted as {"to", "text"} with the resume link and Beijing deadline."""
    event = sms_event(locale="zh-CN")
    assert event.session.suspension is not None
    outcome = await send(sms_settings, http, store, event)

    assert outcome.outcome == "sent" and outcome.status_code == 202
    [body] = gateway.received
    assert set(body) == {"to", "text"}
    assert body["to"] == "+8613800000000"
    assert event.session.suspension.resume_token in body["text"]
    assert "5月11日 17:01（北京时间）" in body["text"]
    assert gateway.headers_seen[0]["Idempotency-Key"] == event.event_id
    assert await store.delivery_outcome(event.event_id, channel="sms") == "sent"


async def test_withdrawal_sms_is_a_short_confirmation(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store
):
    """A withdrawal is confirmed by text with its reference number, in English for en."""
    event = sms_event(EventType.WITHDRAWN)
    assert event.exit is not None
    await send(sms_settings, http, store, event)
    text = gateway.received[0]["text"]
    assert "confirmed your withdrawal" in text and event.exit.exit_id in text


async def test_termination_sms_carries_the_reason_and_the_contest_link(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store
):
    """The activity passes the contest page to the text: an SMS-only candidate can contest."""
    event = sms_event(EventType.TERMINATED)
    assert event.exit is not None
    window = ContestWindow(
        exit_id=event.exit.exit_id,
        opened_at=event.at,
        deadline=event.at + timedelta(days=30),
        contest_token="raw-contest-token",
    )
    event = event.model_copy(
        update={"session": event.session.model_copy(update={"contest_window": window})}
    )
    settings = sms_settings.model_copy(update={"contest_url_base": "https://jobs.example/contest"})

    await send(settings, http, store, event)

    text = gateway.received[0]["text"]
    assert "Reason: The interview rules were not followed." in text
    assert f"https://jobs.example/contest?session_id={event.session.session_id}&token=" in text


async def test_same_event_twice_texts_once(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store
):
    """A retried activity for one event never texts the candidate twice."""
    event = sms_event()
    await send(sms_settings, http, store, event)
    again = await send(sms_settings, http, store, event, attempt=2)
    assert again.outcome == "sent"
    assert len(gateway.received) == 1


@pytest.mark.parametrize(
    ("settings_update", "channels", "phone"),
    [
        ({"sms_webhook_url": None}, ("email", "sms"), "+14155550123"),
        ({}, ("email",), "+14155550123"),
        ({}, ("email", "sms"), None),
    ],
    ids=["no-webhook", "not-a-channel", "no-phone"],
)
async def test_sms_skipped_when_not_configured(
    gateway: SmsGateway,
    sms_settings: Settings,
    http: httpx.AsyncClient,
    store: Store,
    settings_update: dict[str, Any],
    channels: tuple[str, ...],
    phone: str | None,
):
    """Without a webhook, an sms channel or a phone number, nothing is posted."""
    event = candidate_event(EventType.SUSPENDED, channels=channels)  # type: ignore[arg-type]
    candidate = event.session.candidate.model_copy(update={"phone": phone})
    event = event.model_copy(
        update={"session": event.session.model_copy(update={"candidate": candidate})}
    )
    outcome = await send(sms_settings.model_copy(update=settings_update), http, store, event)
    assert outcome.outcome == "skipped"
    assert gateway.received == []


@pytest.mark.parametrize("status", [500, 503, 408, 429])
async def test_retryable_status_raises(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store, status: int
):
    """5xx, 408 and 429 raise a retryable error; 429 passes on Retry-After."""
    gateway.statuses.append(status)
    event = sms_event()
    with pytest.raises(ApplicationError) as caught:
        await send(sms_settings, http, store, event)
    assert caught.value.type == UNAVAILABLE and not caught.value.non_retryable
    if status == 429:
        assert caught.value.next_retry_delay is not None
        assert caught.value.next_retry_delay.total_seconds() == 7
    assert await store.delivery_outcome(event.event_id, channel="sms") != "sent"


async def test_other_4xx_is_recorded_as_failed(
    gateway: SmsGateway, sms_settings: Settings, http: httpx.AsyncClient, store: Store
):
    """A 400 from the gateway is returned and recorded as failed, not raised."""
    gateway.statuses.append(400)
    event = sms_event()
    outcome = await send(sms_settings, http, store, event)
    assert outcome.outcome == "failed" and outcome.status_code == 400
    assert outcome.detail and "rejected" in outcome.detail
    assert await store.delivery_outcome(event.event_id, channel="sms") == "failed"


async def test_gateway_down_raises(sms_settings: Settings, http: httpx.AsyncClient, store: Store):
    """A gateway nobody listens on raises a retryable error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings = sms_settings.model_copy(
        update={"sms_webhook_url": f"http://127.0.0.1:{free_port}/sms"}
    )
    with pytest.raises(ApplicationError) as caught:
        await send(settings, http, store, sms_event())
    assert caught.value.type == UNAVAILABLE and not caught.value.non_retryable
