"""``send_candidate_email`` against a real SMTP server and a real database."""

from __future__ import annotations

import dataclasses
import re
import socket
from email.message import EmailMessage
from typing import cast

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.email import EmailActivities
from activities.email.activities import UNAVAILABLE
from config import Settings
from contract.codes import EventType
from contract.events import DeliveryOutcome, SessionEvent
from contract.sessions import Locale
from devstack.mailbox import Mailbox
from store import Store
from tests.activities.email.events import candidate_event
from tests.fixtures.mail import settings_for

_HAN = re.compile(r"[\u4e00-\u9fff]")


async def send(
    settings: Settings, store: Store, event: SessionEvent, *, attempt: int = 1
) -> DeliveryOutcome:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return await env.run(EmailActivities(settings, store).send_candidate_email, event)


def parts(message: EmailMessage) -> tuple[str, str]:
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
@pytest.mark.parametrize(
    "type",
    [
        EventType.SUSPENDED,
        EventType.RESUME_REMINDER,
        EventType.WITHDRAWN,
        EventType.TERMINATED,
        EventType.EXPIRED,
    ],
)
async def test_one_email_per_event_arrives_with_both_parts(
    mailbox: Mailbox, mail_settings: Settings, store: Store, type: EventType, locale: Locale
):
    """Each candidate event delivers one multipart email in the candidate's language."""
    event = candidate_event(type, locale=locale)
    outcome = await send(mail_settings, store, event)

    assert outcome.outcome == "sent"
    [message] = mailbox.messages
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    assert event.session.candidate.name in text and event.session.job.title in html
    assert bool(_HAN.search(message["Subject"] + text)) is (locale == "zh-CN")
    assert message["Content-Language"] == locale
    assert message["X-Exitflow-Event"] == type.value
    assert message["Message-ID"] == f"<{event.event_id}@exitflow.test>"
    assert message["To"].addresses[0].display_name == event.session.candidate.name
    assert message["To"].addresses[0].addr_spec == event.session.candidate.email
    assert message["Date"].datetime == event.at
    assert await store.delivery_outcome(event.event_id, channel="email") == "sent"


async def test_fault_email_carries_resume_link_and_deadline(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """The delivered fault email links to the resume page with the token and states the
    deadline."""
    event = candidate_event(EventType.SUSPENDED, locale="zh-CN")
    assert event.session.suspension is not None
    await send(mail_settings, store, event)

    text, html = parts(mailbox.messages[0])
    link = (
        f"{mail_settings.resume_url_base}?session_id={event.session.session_id}"
        f"&token={event.session.suspension.resume_token}"
    )
    assert link in text and link.replace("&", "&amp;") in html
    assert "2024年5月11日（星期六）17:01（北京时间，UTC+8）" in text


async def test_termination_email_has_notice_verbatim(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """The delivered termination email quotes the employer's notice word for word."""
    event = candidate_event(EventType.TERMINATED)
    assert event.exit is not None and event.exit.notice_text
    await send(mail_settings, store, event)

    text, html = parts(mailbox.messages[0])
    assert event.exit.notice_text in text and event.exit.notice_text in html


async def test_same_event_twice_sends_one_email(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """A retried or repeated activity for one event never sends a second email."""
    event = candidate_event(EventType.WITHDRAWN)
    first = await send(mail_settings, store, event)
    again = await send(mail_settings, store, event, attempt=2)

    assert (first.outcome, again.outcome) == ("sent", "sent")
    assert again.attempts == 2
    assert len(mailbox.messages) == 1


async def test_permanent_refusal_is_recorded_as_failed(tmp_path, store: Store):
    """A 550 recipient refusal is returned and recorded as failed, not raised."""
    event = candidate_event(EventType.WITHDRAWN)
    with Mailbox(tmp_path, refused_recipients={event.session.candidate.email}) as box:
        outcome = await send(settings_for(box), store, event)

    assert outcome.outcome == "failed"
    assert outcome.status_code == 550
    assert outcome.detail and "Mailbox unavailable" in outcome.detail
    assert await store.delivery_outcome(event.event_id, channel="email") == "failed"


async def test_temporary_refusal_raises_for_retry(tmp_path, store: Store):
    """A 451 recipient refusal raises a retryable error and records nothing final."""
    event = candidate_event(EventType.WITHDRAWN)
    with (
        Mailbox(tmp_path, deferred_recipients={event.session.candidate.email}) as box,
        pytest.raises(ApplicationError) as caught,
    ):
        await send(settings_for(box), store, event)

    assert caught.value.type == UNAVAILABLE and not caught.value.non_retryable
    assert await store.delivery_outcome(event.event_id, channel="email") is None


async def test_smtp_server_down_raises_for_retry(mail_settings: Settings, store: Store):
    """With nothing listening on the SMTP port the activity raises a retryable error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings = mail_settings.model_copy(update={"smtp_port": free_port})
    event = candidate_event(EventType.SUSPENDED)

    with pytest.raises(ApplicationError) as caught:
        await send(settings, store, event)

    assert caught.value.type == UNAVAILABLE and not caught.value.non_retryable
    assert f"127.0.0.1:{free_port}" in caught.value.message
    assert await store.delivery_outcome(event.event_id, channel="email") is None


async def test_email_not_a_channel_is_skipped(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """A session whose policy has no email channel gets no email; the skip is recorded."""
    event = candidate_event(EventType.WITHDRAWN, channels=("sms",))
    outcome = await send(mail_settings, store, event)

    assert outcome.outcome == "skipped"
    assert mailbox.messages == []
    assert await store.delivery_outcome(event.event_id, channel="email") == "skipped"


async def test_event_not_for_candidate_is_skipped(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """A completed session sends the candidate nothing."""
    outcome = await send(mail_settings, store, candidate_event(EventType.COMPLETED))
    assert outcome.outcome == "skipped"
    assert mailbox.messages == []


class _UnwritableStore:
    """Reads through to a real store, but every write fails as if the database went away."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def delivery_outcome(self, event_id: str, *, channel: str) -> str | None:
        return await self._store.delivery_outcome(event_id, channel=channel)

    async def note_delivery(self, event_id: str, *, outcome: DeliveryOutcome) -> None:
        raise ConnectionError("database went away")


async def test_sent_email_survives_failure_to_record_it(
    mailbox: Mailbox, mail_settings: Settings, store: Store
):
    """If recording fails after the send, the activity still returns sent instead of raising."""
    event = candidate_event(EventType.TERMINATED)
    outcome = await send(mail_settings, cast(Store, _UnwritableStore(store)), event)
    assert outcome.outcome == "sent"
    assert len(mailbox.messages) == 1


async def test_the_worker_looks_its_own_hostname_up_once_not_per_email(
    mailbox: Mailbox, mail_settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The EHLO name comes from ``socket.getfqdn()``, a reverse DNS lookup that is slow on
    some networks: two emails from one worker look it up once."""
    lookups: list[str] = []
    real_getfqdn = socket.getfqdn

    def counted_getfqdn(name: str = "") -> str:
        lookups.append(name)
        return real_getfqdn(name)

    monkeypatch.setattr(socket, "getfqdn", counted_getfqdn)
    activities = EmailActivities(mail_settings, store)

    for type in (EventType.SUSPENDED, EventType.WITHDRAWN):
        outcome = await ActivityEnvironment().run(
            activities.send_candidate_email, candidate_event(type)
        )
        assert outcome.outcome == "sent"

    assert len(mailbox.messages) == 2
    assert lookups == [""]
