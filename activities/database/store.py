"""STUB — replaced by the database helper. Signatures are the agreed interface."""

from __future__ import annotations

from pydantic import BaseModel

from workflows.events import DeliveryOutcome, DownstreamChange, SessionEvent


class AuditVerification(BaseModel):
    ok: bool
    events: int
    first_bad_event: str | None = None
    detail: str | None = None


class Store:
    """exitflow's relational store (SQLAlchemy 2 async)."""

    @classmethod
    def from_url(cls, url: str) -> "Store":
        raise NotImplementedError

    async def create_schema(self) -> None:
        raise NotImplementedError

    async def dispose(self) -> None:
        raise NotImplementedError

    async def record_event(self, event: SessionEvent) -> bool:
        """Persist session, segments, exit, event row and audit entry in one transaction.

        Returns False when the event was already recorded (nothing written)."""
        raise NotImplementedError

    async def record_downstream_change(self, change: DownstreamChange) -> None:
        raise NotImplementedError

    async def delivery_outcome(self, event_id: str, channel: str) -> str | None:
        """The recorded outcome (``sent``/``failed``/``skipped``/``pending``) or None."""
        raise NotImplementedError

    async def note_delivery(self, event_id: str, outcome: DeliveryOutcome) -> None:
        """Upsert the delivery row keyed (event_id, outcome.channel)."""
        raise NotImplementedError

    async def verify_audit_chain(self) -> AuditVerification:
        raise NotImplementedError
