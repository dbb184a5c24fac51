"""Audit entries that are not a session's event: holds, erasures, retention runs.

They join the one chain that session events extend (same lock, same hashing), inside the
transaction of the change they record, and name candidates and sessions by id only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from store.audit import GENESIS_HASH, AuditVerification, canonical_json, entry_hash, iso_utc
from store.audit_walk import ChainWalk, PersonalLink
from store.recording import AUDIT_LOCK
from store.tables import AuditPersonalRow, AuditRow, SessionRow


async def lock_chain(session: AsyncSession, dialect: str) -> None:
    """Queue behind every other writer of the chain; take it before touching any row.

    SQLite's writers already hold the database's write lock since ``BEGIN IMMEDIATE``.
    """
    if dialect == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})


async def recorded_facts(session: AsyncSession, event_id: str) -> dict[str, Any] | None:
    """The facts of the entry ``event_id``, or None when no such entry exists yet."""
    body = await session.scalar(select(AuditRow.body).where(AuditRow.event_id == event_id))
    return json.loads(body) if body is not None else None


async def append_entry(
    session: AsyncSession,
    *,
    event_id: str,
    type: str,
    at: datetime,
    facts: dict[str, Any],
    candidate_id: str = "",
    session_id: str = "",
) -> None:
    """Append one entry to the chain.

    The caller holds ``lock_chain`` and has checked ``recorded_facts``: an entry's
    ``event_id`` is unique, and the chain head read here must stay the head.

    Args:
        session: The caller's transaction.
        event_id: Unique key of the entry, e.g. ``hold.set:<hold_id>``.
        type: What happened, e.g. ``hold.set``.
        at: When it happened.
        facts: Ids and counts only: no name, email, phone or free text.
        candidate_id: The candidate concerned, empty for a retention run.
        session_id: The session concerned, empty for these entries.
    """
    head = await session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
    prev_hash = head or GENESIS_HASH
    body = canonical_json({**facts, "event_id": event_id, "type": type, "at": iso_utc(at)})
    await session.execute(
        insert(AuditRow).values(
            event_id=event_id,
            session_id=session_id,
            candidate_id=candidate_id,
            type=type,
            at=at,
            body=body,
            prev_hash=prev_hash,
            hash=entry_hash(prev_hash, body),
        )
    )


_AUDIT_BATCH = 1000


async def walk_chain(session: AsyncSession) -> AuditVerification:
    """Walk the whole chain in order, ``_AUDIT_BATCH`` entries at a time (see ``ChainWalk``).

    Each batch's personal rows come in one more query, with their sessions' ``anonymised_at``.
    """
    walk = ChainWalk()
    after = 0
    query = select(
        AuditRow.id,
        AuditRow.event_id,
        AuditRow.type,
        AuditRow.at,
        AuditRow.body,
        AuditRow.prev_hash,
        AuditRow.hash,
    ).order_by(AuditRow.id)
    while True:
        page = query.where(AuditRow.id > after).limit(_AUDIT_BATCH)
        batch = (await session.execute(page)).all()
        if not batch:
            break
        personal = await personal_rows(session, after=after, upto=batch[-1].id)
        if not walk.feed(batch, personal):  # type: ignore[arg-type]
            break
        after = batch[-1].id
    return walk.result()


async def personal_rows(session: AsyncSession, *, after: int, upto: int) -> dict[str, PersonalLink]:
    """The ``audit_personal`` rows of the entries ``after < id <= upto``, by ``event_id``."""
    entries = select(AuditRow.event_id).where(AuditRow.id > after, AuditRow.id <= upto)
    rows = await session.execute(
        select(
            AuditPersonalRow.event_id,
            AuditPersonalRow.salt,
            AuditPersonalRow.fields_json,
            SessionRow.anonymised_at,
        )
        .outerjoin(SessionRow, SessionRow.session_id == AuditPersonalRow.session_id)
        .where(AuditPersonalRow.event_id.in_(entries.scalar_subquery()))
    )
    return {row.event_id: row for row in rows}
