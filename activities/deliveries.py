"""What every outbound channel shares: the delivery log, and when an HTTP answer means "later".

Each channel (HR webhook, email, SMS) asks the log before it sends and notes the outcome
after, keyed by the event: a retried activity or a restarted worker finds the message already
sent. Reading the log fails loudly (the activity retries later rather than risk a second
message); writing it is best-effort (a raise after a send would send again).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import structlog

from contract.events import DeliveryOutcome
from store import Store

MAX_RETRY_AFTER = timedelta(hours=1)
_RETRYABLE_STATUSES = frozenset({408, 429})
_SNIPPET_CHARS = 200


class DeliveryLog:
    """One channel's view of the store's delivery rows."""

    def __init__(self, store: Store, channel: str) -> None:
        """Bind the log to a channel (``hris``, ``email``, ``sms``)."""
        self._store = store
        self._channel = channel

    async def already_sent(self, event_id: str) -> bool:
        """Whether an earlier attempt delivered this event; raises if the store is unreadable."""
        return await self._store.delivery_outcome(event_id, channel=self._channel) == "sent"

    async def note(
        self,
        event_id: str,
        outcome: DeliveryOutcome,
        logger: structlog.typing.FilteringBoundLogger,
    ) -> None:
        """Record an outcome, best-effort: a failure is logged, never raised."""
        try:
            await self._store.note_delivery(event_id, outcome=outcome)
        except Exception:
            logger.exception(f"{self._channel}.note_failed", outcome=outcome.outcome)


def is_retryable_status(status_code: int) -> bool:
    """Whether an HTTP answer means "try again later": 5xx, 408 and 429."""
    return status_code >= 500 or status_code in _RETRYABLE_STATUSES


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> timedelta | None:
    """Read a ``Retry-After`` header in either of its forms, capped at one hour.

    Args:
        value: The header value: delta-seconds (``"120"``) or an HTTP-date.
        now: The current time, for the HTTP-date form; defaults to the clock.

    Returns:
        How long to wait, or None when the header is absent, unreadable or already past.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        delay = when - (now or datetime.now(UTC))
    if delay <= timedelta(0):
        return None
    return min(delay, MAX_RETRY_AFTER)


def snippet(text: str) -> str:
    """A response body flattened and cut short enough to keep in a delivery row."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _SNIPPET_CHARS else flat[: _SNIPPET_CHARS - 1] + "…"
