"""Candidate-facing events built on ``make_event``, with the variations messages depend on."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from contract.codes import ABANDONED_REASON, EventType, ExitKind
from contract.events import SessionEvent, Suspension
from contract.sessions import Channel, Locale
from tests.fixtures.database import make_event


def candidate_event(
    type: EventType,
    *,
    locale: Locale = "en",
    can_reapply: bool = True,
    channels: Sequence[Channel] = ("email",),
    abandoned: bool = False,
    name: str | None = None,
    **make_event_args: Any,
) -> SessionEvent:
    """An event of ``type`` as the workflow would send it to the candidate activities.

    A reminder carries the running suspension and happens 2 hours before its deadline; an
    expiry carries the suspension whose deadline it is; ``abandoned`` turns a fault into a
    heartbeat timeout.
    """
    event = make_event(type, locale=locale, channels=channels, **make_event_args)
    session = event.session
    updates: dict[str, Any] = {
        "policy": session.policy.model_copy(update={"can_reapply": can_reapply}),
    }
    if name is not None:
        updates["candidate"] = session.candidate.model_copy(update={"name": name})
    changes: dict[str, Any] = {}
    if type is EventType.RESUME_REMINDER:
        deadline = event.at + timedelta(hours=2)
        updates["suspension"] = _suspension(event, deadline, "x-reminded")
    if type is EventType.EXPIRED:
        assert event.exit is not None
        updates["suspension"] = _suspension(event, event.exit.at, "x-expired")
    if abandoned:
        assert event.exit is not None
        changes["exit"] = event.exit.model_copy(
            update={"kind": ExitKind.ABANDONED, "reason_code": ABANDONED_REASON, "fault": None}
        )
    return event.model_copy(update={"session": session.model_copy(update=updates), **changes})


def _suspension(event: SessionEvent, deadline: datetime, exit_id: str) -> Suspension:
    return Suspension(
        suspension_id=f"sp-{uuid.uuid4().hex[:8]}",
        exit_id=exit_id,
        suspended_at=deadline - timedelta(hours=24),
        resume_deadline=deadline,
        resume_token=f"rt-{uuid.uuid4().hex}",
    )
