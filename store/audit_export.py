"""The audit trail as people read it: each entry's hashed facts, with its personal text.

The text an entry sealed by digest is shown while ``audit_personal`` keeps it, and as
``"erased"`` once an erasure or retention removed it; the facts are always there.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.audit_personal import DIGEST_KEY
from store.tables import AuditPersonalRow, AuditRow

MAX_LIMIT = 1000


class AuditEntryView(BaseModel):
    """One entry of the chain.

    Attributes:
        position: Its place in the chain (1 for the first); pass the last one as ``after``.
        facts: The hashed body: ids, kinds, reason codes, times, who acted.
        personal: The free text it sealed (``{path: text}``), ``"erased"`` once erased,
            ``"missing"`` when its row is gone (``audit verify`` names that), None without.
    """

    position: int
    event_id: str
    type: str
    at: datetime
    session_id: str
    candidate_id: str
    facts: dict[str, Any]
    personal: dict[str, Any] | Literal["erased", "missing"] | None = None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """Entries in chain order; ``next_after`` is the ``after`` of the next page (None: last)."""

    items: list[AuditEntryView]
    next_after: int | None = None


async def read_entries(
    session: AsyncSession,
    *,
    candidate_id: str | None = None,
    session_id: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> AuditPage:
    """One page of entries after position ``after``, optionally of one candidate or session.

    Raises:
        ValueError: When ``limit`` is not between 1 and ``MAX_LIMIT`` or ``after`` is negative.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
    if after < 0:
        raise ValueError("after must not be negative")
    query = (
        select(AuditRow, AuditPersonalRow.fields_json, AuditPersonalRow.event_id.label("kept"))
        .outerjoin(AuditPersonalRow, AuditPersonalRow.event_id == AuditRow.event_id)
        .where(AuditRow.id > after)
        .order_by(AuditRow.id)
        .limit(limit + 1)
    )
    if candidate_id is not None:
        query = query.where(AuditRow.candidate_id == candidate_id)
    if session_id is not None:
        query = query.where(AuditRow.session_id == session_id)
    rows = (await session.execute(query)).all()
    items = [_view(row.AuditRow, row.fields_json, row.kept is not None) for row in rows[:limit]]
    return AuditPage(items=items, next_after=items[-1].position if len(rows) > limit else None)


def _object(text: str) -> dict[str, Any]:
    # Only an altered row fails here; ``audit verify`` names it.
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"unreadable": True}


def _view(row: AuditRow, fields_json: str | None, kept: bool) -> AuditEntryView:
    facts = _object(row.body)
    personal: dict[str, Any] | Literal["erased", "missing"] | None = None
    if fields_json is not None:
        personal = _object(fields_json)
    elif kept:
        personal = "erased"
    elif DIGEST_KEY in facts:
        personal = "missing"
    return AuditEntryView(
        position=row.id,
        event_id=row.event_id,
        type=row.type,
        at=row.at,
        session_id=row.session_id,
        candidate_id=row.candidate_id,
        facts=facts,
        personal=personal,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )
