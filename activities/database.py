"""Temporal activities that write to exitflow's store: thin adapters over ``Store``."""

from __future__ import annotations

import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.metrics import count_exit
from contract.codes import ErrorCode
from contract.events import (
    DeliveryOutcome,
    DownstreamChange,
    LastSeen,
    LastSeenRequest,
    SessionEvent,
)
from store import Store


class RecordDelivery(BaseModel):
    """Input of ``record_delivery``: how one channel's delivery of one event ended."""

    event_id: str
    outcome: DeliveryOutcome


class DatabaseActivities:
    """The database activities, bound to one shared ``Store``.

    Every method is idempotent, keyed by the event or step it serves, so Temporal may
    retry it freely.
    """

    def __init__(self, store: Store) -> None:
        """Bind the activities to ``store``."""
        self._store = store
        self._log = structlog.get_logger()

    @activity.defn
    async def record_session_event(self, event: SessionEvent) -> bool:
        """Persist an event with its audit entry; False when it was already recorded."""
        log = self._log.bind(
            session_id=event.session.session_id, event_id=event.event_id, type=str(event.type)
        )
        recorded = await self._store.record_event(event)
        if recorded and event.exit is not None:
            count_exit(str(event.exit.kind))
        log.info("session_event_recorded" if recorded else "session_event_already_recorded")
        return recorded

    @activity.defn
    async def record_downstream_change(self, change: DownstreamChange) -> None:
        """Record a downstream step's new status (forward-only)."""
        await self._store.record_downstream_change(change)
        self._log.info(
            "downstream_change_recorded",
            session_id=change.session_id,
            step_id=change.step_id,
            status=str(change.status),
        )

    @activity.defn
    async def read_last_seen(self, request: LastSeenRequest) -> LastSeen:
        """The session page's latest heartbeat through the API (a local activity)."""
        return await self._store.last_seen(request.session_id, as_of=request.as_of)

    @activity.defn
    async def record_delivery(self, delivery: RecordDelivery) -> None:
        """Record how one channel's delivery of one event ended.

        Raises:
            ApplicationError: Non-retryable, when the outcome is not one the store knows.
        """
        outcome = delivery.outcome
        log = self._log.bind(event_id=delivery.event_id, channel=outcome.channel)
        try:
            await self._store.note_delivery(delivery.event_id, outcome=outcome)
        except ValueError as err:
            log.error("delivery_not_recorded", error=str(err))
            raise ApplicationError(
                str(err), type=ErrorCode.INVALID_FIELD.value, non_retryable=True
            ) from err
        log.info("delivery_recorded", outcome=outcome.outcome)
