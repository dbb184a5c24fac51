"""The activity that tells the HR system about a state change (contract §4)."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deliveries import DeliveryLog, is_retryable_status, parse_retry_after, snippet
from activities.hris.payload import hris_body, notice_body, webhook_id
from activities.hris.signing import sign
from activities.metrics import count_webhook
from config import Settings
from contract.data_rights import HrisNotice
from contract.events import DeliveryOutcome, SessionEvent
from store import Store

CHANNEL = "hris"
UNAVAILABLE = "hris_unavailable"
"""``type`` of the retryable error raised while the HR system cannot take a delivery."""

log = structlog.get_logger(__name__)


class HrisActivities:
    """Delivers events to the HR system's webhook, signed per Standard Webhooks.

    Each call makes exactly one attempt. Retries, their growing delays and the three-day
    limit belong to the caller's ``RetryPolicy``; this activity only says whether an
    attempt is worth repeating (a retryable ``ApplicationError`` of type
    ``hris_unavailable``, carrying ``Retry-After`` as ``next_retry_delay``) or is over
    (a returned ``DeliveryOutcome`` of ``sent``, ``failed`` or ``skipped``). A permanent
    refusal is returned, not raised, so that it never fails the session workflow.
    """

    def __init__(self, settings: Settings, http: httpx.AsyncClient, store: Store) -> None:
        """Keep the dependencies.

        Args:
            settings: Reads ``hris_webhook_url``, ``hris_webhook_key`` and
                ``hris_timeout_seconds``.
            http: A shared client; its connection pool outlives each attempt.
            store: Where each delivery's outcome is noted for operators.
        """
        self._settings = settings
        self._http = http
        self._log = DeliveryLog(store, CHANNEL)

    @activity.defn
    async def deliver_hris_event(self, event: SessionEvent) -> DeliveryOutcome:
        """POST one event to the HR system once.

        Args:
            event: The state change; its ``event_id`` gives the ``webhook-id``.

        Returns:
            ``sent`` on any 2xx, ``failed`` on any other answer that retrying cannot fix,
            ``skipped`` when webhooks are off or the event is not for the HR system.

        Raises:
            ApplicationError: ``hris_unavailable``, retryable, on a timeout, a connection
                error, 5xx, 408 or 429.
        """
        attempt = activity.info().attempt
        logger = log.bind(
            event_id=event.event_id,
            session_id=event.session.session_id,
            event_type=str(event.type),
            attempt=attempt,
        )
        if not event.type.goes_to_hris:
            return DeliveryOutcome(
                channel=CHANNEL, outcome="skipped", attempts=attempt, detail="not an HR event"
            )
        return await self._deliver(event.event_id, hris_body(event), attempt, logger)

    @activity.defn
    async def deliver_hris_notice(self, notice: HrisNotice) -> DeliveryOutcome:
        """POST one notice that is not a session's state change (``candidate.erased``) once.

        Signed, retried and recorded exactly as ``deliver_hris_event`` is.

        Args:
            notice: The notice; its ``event_id`` gives the ``webhook-id``.

        Returns:
            ``sent``, ``failed`` or ``skipped``, as for a session event.

        Raises:
            ApplicationError: ``hris_unavailable``, retryable, as for a session event.
        """
        attempt = activity.info().attempt
        logger = log.bind(event_id=notice.event_id, event_type=notice.type, attempt=attempt)
        return await self._deliver(notice.event_id, notice_body(notice), attempt, logger)

    async def _deliver(
        self,
        event_id: str,
        body: bytes,
        attempt: int,
        logger: structlog.typing.FilteringBoundLogger,
    ) -> DeliveryOutcome:
        url = self._settings.hris_webhook_url
        key = self._settings.hris_webhook_key
        if url is None or key is None:
            skipped = DeliveryOutcome(
                channel=CHANNEL, outcome="skipped", attempts=attempt, detail="webhook not set"
            )
            await self._log.note(event_id, skipped, logger)
            count_webhook("skipped")
            return skipped
        if await self._log.already_sent(event_id):
            logger.info("hris.already_sent")
            return DeliveryOutcome(channel=CHANNEL, outcome="sent", attempts=attempt)

        msg_id = webhook_id(event_id)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(key, msg_id, timestamp, body),
        }
        try:
            response = await self._http.post(
                url, content=body, headers=headers, timeout=self._settings.hris_timeout_seconds
            )
        except httpx.TransportError as err:
            detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
            raise await self._retry_later(event_id, attempt, None, detail, None, logger) from err

        status = response.status_code
        if response.is_success:
            sent = DeliveryOutcome(
                channel=CHANNEL, outcome="sent", attempts=attempt, status_code=status
            )
            logger.info("hris.sent", status_code=status)
            count_webhook("sent")
            await self._log.note(event_id, sent, logger)
            return sent
        if is_retryable_status(status):
            delay = parse_retry_after(response.headers.get("retry-after"))
            raise await self._retry_later(
                event_id, attempt, status, f"HTTP {status}", delay, logger
            )

        failed = DeliveryOutcome(
            channel=CHANNEL,
            outcome="failed",
            attempts=attempt,
            status_code=status,
            detail=snippet(f"HTTP {status}: {response.text}"),
        )
        # Not the body: an HR system's error may quote the candidate it refused.
        logger.warning("hris.refused", status_code=status)
        count_webhook("failed")
        await self._log.note(event_id, failed, logger)
        return failed

    async def _retry_later(
        self,
        event_id: str,
        attempt: int,
        status_code: int | None,
        detail: str,
        delay: timedelta | None,
        logger: structlog.typing.FilteringBoundLogger,
    ) -> ApplicationError:
        count_webhook("unavailable")
        logger.warning(
            "hris.unavailable",
            status_code=status_code,
            detail=detail,
            retry_after_seconds=delay.total_seconds() if delay else None,
        )
        pending = DeliveryOutcome(
            channel=CHANNEL,
            outcome="pending",
            attempts=attempt,
            status_code=status_code,
            detail=detail,
        )
        await self._log.note(event_id, pending, logger)
        return ApplicationError(
            f"HR system unavailable ({detail}); attempt {attempt} will be retried",
            {"status_code": status_code, "detail": detail},
            type=UNAVAILABLE,
            non_retryable=False,
            next_retry_delay=delay,
        )
