"""The candidate's page, as its heartbeats reach the API: when it was last seen, and how.

The API notes each (coalesced) heartbeat on the session's row instead of signalling the
workflow: a beat then costs one row update, not a history event and a workflow task, and
the beats that arrive together share one transaction (``Store.see_heartbeat`` batches them
through ``group_commit.py``). The workflow reads the row once per heartbeat timeout, when
its timer fires, and suspends the session as abandoned only if the page has been silent for
the whole timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Update, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import SessionStatus
from contract.events import LastSeen
from contract.sessions import ClientInfo
from store.tables import SessionRow

_ROW = SessionRow


@dataclass(frozen=True)
class Beat:
    """One heartbeat the API let through its gate: which session, when, and from what client."""

    session_id: str
    at: datetime
    client: ClientInfo | None = None


def _note_statement() -> Update:
    table = _ROW.__table__
    assert isinstance(table, Table)
    at = bindparam("at", type_=table.c.last_seen_at.type)
    # The Core table, not the mapped class: a list of parameters is then one plain
    # executemany rather than an ORM bulk update by primary key.
    return (
        update(table)
        .where(
            table.c.session_id == bindparam("sid"),
            table.c.status == SessionStatus.ACTIVE.value,
            table.c.anonymised_at.is_(None),
        )
        .values(
            last_seen_at=case(
                (table.c.last_seen_at.is_(None) | (table.c.last_seen_at < at), at),
                else_=table.c.last_seen_at,
            ),
            last_client=func.coalesce(
                bindparam("client", type_=table.c.last_client.type), table.c.last_client
            ),
        )
    )


_NOTE = _note_statement()


async def see_heartbeats(
    session: AsyncSession, beats: Sequence[Beat]
) -> dict[str, SessionStatus | None]:
    """Note heartbeats on active sessions' rows, in one statement; each session's status.

    Only an active session, not anonymised, takes a beat; ``last_seen_at`` only moves
    forward (beats through two API processes may land out of order), and the client is
    kept only when a beat carries one. Several beats of one session in one call count as
    the latest of them, with the client of the last one that carried a client.

    Returns:
        Per session id, its recorded status (its beats were noted only if it is
        ``active``), or None when the session has no row yet: it was started moments ago,
        or never.
    """
    latest: dict[str, dict[str, Any]] = {}
    for beat in beats:
        noted = latest.setdefault(beat.session_id, {"sid": beat.session_id, "at": beat.at})
        noted["at"] = max(noted["at"], beat.at)
        if beat.client is not None:
            noted["client"] = beat.client.model_dump(mode="json", exclude_none=True)
    if not latest:
        return {}
    params = [{"client": None} | noted for noted in latest.values()]
    connection = await session.connection()
    await connection.execute(_NOTE, params)
    rows = await connection.execute(
        select(_ROW.session_id, _ROW.status).where(_ROW.session_id.in_(latest))
    )
    statuses: dict[str, SessionStatus | None] = dict.fromkeys(latest)
    statuses.update((session_id, SessionStatus(status)) for session_id, status in rows)
    return statuses


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
