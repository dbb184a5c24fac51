"""What of an interview is personal, and how a set of sessions loses it.

Kept: every id (candidate, session, exit, job, interviewer, actor), kinds, reason codes,
stages, times, counts and the client's browser, OS, device and latency: everything the
reports count, so their totals do not move. ``candidate_id`` stays as the key the HR system
knows the person by; once the HR system has erased its own record it leads nowhere.

Removed: the candidate's name, email and phone; free text that may quote or describe the
person (a withdrawal comment, a termination's explanation and the notice sent, a fault's
detail, a contest's statement and HR's answer to it); the client's IP address; where the
recorded answers are stored (``artifact_uri``: the video holds the person's face and voice,
and the pointer leads back to it); and the detail of each delivery (a mail server's refusal
quotes the address). The same fields go from the stored events' JSON and from the audit
entries' personal rows (``audit_personal``: their salt goes too, so the digest each entry
hashed can no longer be matched against guesses); the chain itself never held them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contract.data_rights import ScrubCounts
from store.tables import (
    AuditPersonalRow,
    Base,
    ContestRow,
    DeliveryRow,
    ExitRow,
    SegmentRow,
    SessionEventRow,
    SessionRow,
)

ERASED = "[erased]"
"""What replaces personal text in a column that may not be NULL."""

PERSONAL_COLUMNS: dict[type[Base], dict[str, str | None]] = {
    SessionRow: dict.fromkeys(
        ("candidate_name", "candidate_email", "candidate_phone", "last_client")
    ),
    ExitRow: dict.fromkeys(("comment", "explanation", "notice_text", "fault_detail", "client_ip")),
    SegmentRow: {"artifact_uri": None},
    DeliveryRow: {"detail": None},
    ContestRow: {"statement": ERASED, "decision_explanation": None},
    AuditPersonalRow: {"salt": None, "fields_json": None},
}
"""Per table, the columns that may hold personal data and what replaces them (NULL, or a
marker where the column may not be NULL). Rows are found by ``session_id``, deliveries by
their event. A new column that may hold personal data goes here."""

_CANDIDATE_FIELDS = ("name", "email", "phone")
_EXIT_TEXT_FIELDS = ("comment", "explanation", "notice_text")
_CONTEST_TEXT_FIELDS = ("statement", "decision_explanation")


def scrub_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A stored event's JSON without the personal fields; the original is left as it was.

    Args:
        payload: A ``session_events.payload`` (a ``SessionEvent`` as JSON).

    Returns:
        A copy with the candidate's name, email and phone, the segments' ``artifact_uri``,
        the exit's free text, the fault's detail, the client's IP and the contest's text
        set to null.
    """
    scrubbed = copy.deepcopy(payload)
    snapshot = scrubbed.get("session") or {}
    candidate = snapshot.get("candidate") or {}
    for field in _CANDIDATE_FIELDS:
        if field in candidate:
            candidate[field] = None
    for segment in snapshot.get("segments") or []:
        segment["artifact_uri"] = None
    exit_ = scrubbed.get("exit") or {}
    for field in _EXIT_TEXT_FIELDS:
        if field in exit_:
            exit_[field] = None
    fault = exit_.get("fault") or {}
    if "detail" in fault:
        fault["detail"] = None
    client = fault.get("client") or {}
    if "ip" in client:
        client["ip"] = None
    contest = scrubbed.get("contest") or {}
    for field in _CONTEST_TEXT_FIELDS:
        if field in contest:
            contest[field] = None
    return scrubbed


async def anonymised_at(session: AsyncSession, session_id: str) -> datetime | None:
    """When the session's personal data was removed, or None (never, or no such session)."""
    return await session.scalar(
        select(SessionRow.anonymised_at).where(SessionRow.session_id == session_id)
    )


async def keep_anonymised(session: AsyncSession, session_id: str) -> None:
    """After an event was recorded: if its session was anonymised, anonymise it again.

    For a session never anonymised, which is nearly every one, it costs one primary-key read.
    """
    if (at := await anonymised_at(session, session_id)) is not None:
        await anonymise_sessions(session, [session_id], at=at)


async def anonymise_sessions(
    session: AsyncSession, session_ids: Sequence[str], *, at: datetime
) -> ScrubCounts:
    """Remove the personal data of these sessions, in the caller's transaction.

    Idempotent: a session already anonymised loses nothing more and keeps its first
    ``anonymised_at``.

    Args:
        session: The caller's transaction (which holds the audit chain's lock).
        session_ids: At most a few thousand sessions (one SQL parameter each).
        at: Stamped as ``sessions.anonymised_at``.

    Returns:
        The rows of these sessions, per table: all of them are free of personal data now.
    """
    if not session_ids:
        return ScrubCounts()
    ids = list(session_ids)
    sessions = await session.execute(
        update(SessionRow)
        .where(SessionRow.session_id.in_(ids))
        .values(
            **PERSONAL_COLUMNS[SessionRow],
            anonymised_at=func.coalesce(SessionRow.anonymised_at, at),
        )
    )
    exits = await _replace(session, ExitRow, ExitRow.session_id.in_(ids))
    segments = await _replace(session, SegmentRow, SegmentRow.session_id.in_(ids))
    await _replace(session, ContestRow, ContestRow.session_id.in_(ids))
    event_ids = select(SessionEventRow.event_id).where(SessionEventRow.session_id.in_(ids))
    deliveries = await _replace(
        session, DeliveryRow, DeliveryRow.event_id.in_(event_ids.scalar_subquery())
    )
    await session.execute(
        update(AuditPersonalRow)
        .where(AuditPersonalRow.session_id.in_(ids), AuditPersonalRow.erased_at.is_(None))
        .values(**PERSONAL_COLUMNS[AuditPersonalRow], erased_at=at)
    )
    return ScrubCounts(
        sessions=sessions.rowcount,  # type: ignore[attr-defined]
        exits=exits,
        segments=segments,
        events=await _scrub_events(session, ids),
        deliveries=deliveries,
    )


async def _replace(session: AsyncSession, table: type[Base], where: ColumnElement[bool]) -> int:
    result = await session.execute(update(table).where(where).values(**PERSONAL_COLUMNS[table]))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _scrub_events(session: AsyncSession, session_ids: list[str]) -> int:
    """Rewrite each stored event's JSON without personal fields; how many events there are."""
    rows = (
        await session.execute(
            select(SessionEventRow.event_id, SessionEventRow.payload).where(
                SessionEventRow.session_id.in_(session_ids)
            )
        )
    ).all()
    changed = []
    for event_id, payload in rows:
        scrubbed = scrub_payload(payload)
        if scrubbed != payload:
            changed.append({"b_event_id": event_id, "b_payload": scrubbed})
    if changed:
        # The Core table, not the mapped class: a list of parameters is then a plain
        # executemany rather than an ORM bulk update by primary key.
        events = SessionEventRow.__table__
        assert isinstance(events, Table)
        await session.execute(
            update(events)
            .where(events.c.event_id == bindparam("b_event_id"))
            .values(payload=bindparam("b_payload", type_=events.c.payload.type)),
            changed,
        )
    return len(rows)
