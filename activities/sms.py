"""The activity that texts the candidate about an event through the SMS webhook."""

from __future__ import annotations

from typing import NoReturn

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deliveries import DeliveryLog, is_retryable_status, parse_retry_after, snippet
from activities.email.templates import render_candidate_sms
from config import Settings
from contract.events import DeliveryOutcome, SessionEvent
from links.resume import resume_token_key
from store import Store

CHANNEL = "sms"
UNAVAILABLE = "sms_unavailable"
"""``type`` of the retryable error raised while the SMS gateway cannot take a message."""

_WORTH_RECORDING = frozenset({"sms webhook not set", "no phone number"})
"""Skips an operator may want to see: SMS was asked for but could not be sent."""

log = structlog.get_logger(__name__)


def skip_reason(event: SessionEvent, settings: Settings) -> str | None:
    """Why this event gets no text message, or None when it should get one."""
    if not event.type.emails_candidate:
        return "not for the candidate"
    if CHANNEL not in event.session.policy.channels:
        return "sms not a channel"
    if not settings.sms_webhook_url:
        return "sms webhook not set"
    if not event.session.candidate.phone:
        return "no phone number"
    return None


class SmsActivities:
    """Posts ``{"to", "text"}`` to ``EXITFLOW_SMS_WEBHOOK_URL`` once per event.

    Like the email, each call makes one attempt: a gateway that cannot take the message now
    raises a retryable ``ApplicationError`` (``sms_unavailable``, honouring
    ``Retry-After``), and a permanent refusal is recorded and returned as ``failed``.
    """

    def __init__(self, settings: Settings, http: httpx.AsyncClient, store: Store) -> None:
        """Keep the dependencies.

        Args:
            settings: Reads ``sms_webhook_url`` and ``resume_url_base``.
            http: A shared client whose timeouts bound each attempt.
            store: Remembers which events were texted, so that none is texted twice.
        """
        self._settings = settings
        self._http = http
        self._log = DeliveryLog(store, CHANNEL)

    @activity.defn
    async def send_candidate_sms(self, event: SessionEvent) -> DeliveryOutcome:
        """Text the candidate about one event, once.

        Args:
            event: The state change; its ``event_id`` is sent as the ``Idempotency-Key``.

        Returns:
            ``sent`` on any 2xx (also when an earlier attempt already sent it), ``failed`` on
            another 4xx or 3xx, ``skipped`` when SMS is off for this event.

        Raises:
            ApplicationError: ``sms_unavailable``, retryable, on a timeout, a connection
                error, 5xx, 408 or 429.
        """
        attempt = activity.info().attempt
        logger = log.bind(
            event_id=event.event_id, event_type=str(event.type), attempt=attempt, channel=CHANNEL
        )
        url = self._settings.sms_webhook_url
        reason = skip_reason(event, self._settings)
        if reason is not None or url is None:
            skipped = DeliveryOutcome(
                channel=CHANNEL, outcome="skipped", attempts=attempt, detail=reason
            )
            if reason in _WORTH_RECORDING:
                await self._log.note(event.event_id, skipped, logger)
            return skipped
        if await self._log.already_sent(event.event_id):
            logger.info("sms.already_sent")
            return DeliveryOutcome(channel=CHANNEL, outcome="sent", attempts=attempt)

        body = {
            "to": event.session.candidate.phone,
            "text": render_candidate_sms(
                event,
                resume_url_base=self._settings.resume_url_base,
                resume_token_secret=resume_token_key(self._settings.resume_token_secret),
                contest_url_base=self._settings.contest_url_base,
            ),
        }
        try:
            response = await self._http.post(
                url, json=body, headers={"Idempotency-Key": event.event_id}
            )
        except httpx.TransportError as err:
            self._unavailable(f"{type(err).__name__}: {err}", attempt, None, None, logger)

        status = response.status_code
        if response.is_success:
            sent = DeliveryOutcome(
                channel=CHANNEL, outcome="sent", attempts=attempt, status_code=status
            )
            logger.info("sms.sent", status_code=status)
            await self._log.note(event.event_id, sent, logger)
            return sent
        if is_retryable_status(status):
            retry_after = response.headers.get("retry-after")
            self._unavailable(f"HTTP {status}", attempt, status, retry_after, logger)

        flat = snippet(response.text)
        failed = DeliveryOutcome(
            channel=CHANNEL,
            outcome="failed",
            attempts=attempt,
            status_code=status,
            detail=f"HTTP {status}: {flat}",
        )
        # Not the body: a gateway's error may quote the number or the text it refused.
        logger.warning("sms.refused", status_code=status)
        await self._log.note(event.event_id, failed, logger)
        return failed

    def _unavailable(
        self,
        detail: str,
        attempt: int,
        status_code: int | None,
        retry_after: str | None,
        logger: structlog.typing.FilteringBoundLogger,
    ) -> NoReturn:
        delay = parse_retry_after(retry_after)
        logger.warning("sms.unavailable", status_code=status_code, detail=detail)
        raise ApplicationError(
            f"SMS gateway cannot take the message now ({detail}); attempt {attempt} will be "
            "retried",
            {"status_code": status_code, "detail": detail},
            type=UNAVAILABLE,
            non_retryable=False,
            next_retry_delay=delay,
        )
