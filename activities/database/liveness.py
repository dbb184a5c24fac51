"""The candidate's page, as its heartbeats reach the API: when it was last seen, and how.

The API notes each (coalesced) heartbeat on the session's row instead of signalling the
workflow: a beat then costs one row update, not a history event and a workflow task. The
workflow reads the row once per heartbeat timeout, when its timer fires, and suspends the
session as abandoned only if the page has been silent for the whole timeout.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from activities.database.tables import SessionRow
from workflows.codes import SessionStatus
from workflows.events import LastSeen
from workflows.models import ClientInfo

_ROW = SessionRow


async def see_heartbeat(
    session: AsyncSession, session_id: str, at: datetime, client: ClientInfo | None
) -> SessionStatus | None:
    """Note a heartbeat on an active session's row; the session's recorded status.

    Only an active session, not anonymised, takes the beat; ``last_seen_at`` only moves
    forward (beats through two API processes may land out of order), and the client is
    kept only when the beat carries one.

    Returns:
        The recorded status (the beat was noted only if it is ``active``), or None when the
        session has no row yet: it was started moments ago, or never.
    """
    values: dict[str, object] = {
        "last_seen_at": case(
            (_ROW.last_seen_at.is_(None) | (_ROW.last_seen_at < at), at),
            else_=_ROW.last_seen_at,
        )
    }
    if client is not None:
        values["last_client"] = client.model_dump(mode="json", exclude_none=True)
    noted = await session.scalar(
        update(_ROW)
        .where(
            _ROW.session_id == session_id,
            _ROW.status == SessionStatus.ACTIVE.value,
            _ROW.anonymised_at.is_(None),
        )
        .values(values)
        .returning(_ROW.status)
    )
    if noted is not None:
        return SessionStatus(noted)
    status = await session.scalar(select(_ROW.status).where(_ROW.session_id == session_id))
    return None if status is None else SessionStatus(status)


async def last_seen(session: AsyncSession, session_id: str, as_of: datetime) -> LastSeen:
    """How long before ``as_of`` the API last heard the session's page, and its client."""
    row = (
        await session.execute(
            select(_ROW.last_seen_at, _ROW.last_client).where(_ROW.session_id == session_id)
        )
    ).first()
    if row is None or row.last_seen_at is None:
        return LastSeen()
    client = ClientInfo.model_validate(row.last_client) if row.last_client else None
    return LastSeen(seconds_ago=max((as_of - row.last_seen_at).total_seconds(), 0.0), client=client)
