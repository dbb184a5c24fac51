"""Erasure requests, inside the caller's transaction: accept one, carry it out, read it.

A request is accepted only while the candidate has no active hold and no open session; it
is carried out by ``CandidateErasureWorkflow``, which checks both again at that moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import SessionStatus
from contract.data_rights import (
    CANDIDATE_ERASED,
    ErasureInput,
    ErasureOutcome,
    ErasureStatus,
    ErasureView,
    ScrubCounts,
    erasure_event_id,
    erasure_workflow_id,
)
from contract.events import SessionEvent
from contract.sessions import Actor
from store.anonymise import ERASED, anonymise_sessions
from store.audit_entries import append_entry
from store.holds import RightsRefused, active_hold
from store.tables import DeliveryRow, ErasureRequestRow, LitigationHoldRow, SessionRow

ERASURE_REFUSED = "candidate.erasure_refused"
OPEN_STATUSES = tuple(status.value for status in SessionStatus if not status.is_terminal)


async def refusal(session: AsyncSession, candidate_id: str) -> RightsRefused | None:
    """Why the candidate cannot be erased now, or None: a hold, or a session still open."""
    if await active_hold(session, candidate_id) is not None:
        return RightsRefused(
            "candidate_on_hold",
            f"Candidate {candidate_id} is under a litigation hold: lift the hold before "
            "erasing their data.",
            {"candidate_id": candidate_id},
        )
    open_sessions = (
        await session.execute(
            select(SessionRow.session_id, SessionRow.status).where(
                SessionRow.candidate_id == candidate_id, SessionRow.status.in_(OPEN_STATUSES)
            )
        )
    ).all()
    if open_sessions:
        names = ", ".join(f"{row.session_id} ({row.status})" for row in open_sessions)
        return RightsRefused(
            "candidate_has_open_session",
            f"Candidate {candidate_id} has a session still open: {names}; end it "
            "(terminate it, or let it expire) before erasing.",
            {"candidate_id": candidate_id, "sessions": [row.session_id for row in open_sessions]},
        )
    return None


async def request_erasure(
    session: AsyncSession, candidate_id: str, request: ErasureInput, *, at: datetime
) -> tuple[ErasureRequestRow, bool]:
    """Accept an erasure request, or find the one still pending for the candidate.

    Returns:
        The request, and whether it is new.

    Raises:
        RightsRefused: ``candidate_on_hold`` or ``candidate_has_open_session``.
    """
    refused = await refusal(session, candidate_id)
    if refused is not None:
        raise refused
    pending = await session.scalar(
        select(ErasureRequestRow)
        .where(
            ErasureRequestRow.candidate_id == candidate_id,
            ErasureRequestRow.status == ErasureStatus.PENDING.value,
        )
        .order_by(ErasureRequestRow.requested_at.desc())
        .limit(1)
    )
    if pending is not None:
        return pending, False
    row = ErasureRequestRow(
        request_id=str(uuid.uuid4()),
        candidate_id=candidate_id,
        status=ErasureStatus.PENDING.value,
        reason=request.reason,
        requested_by=request.actor.id,
        requested_by_name=request.actor.name,
        requested_by_verified=request.actor.verified,
        requested_at=at,
    )
    session.add(row)
    await session.flush()
    return row, True


async def erase(session: AsyncSession, request_id: str, *, at: datetime) -> ErasureOutcome:
    """Carry out a pending request; a request already carried out is only read back.

    Raises:
        LookupError: When no request has this id.
    """
    row = await session.get(ErasureRequestRow, request_id)
    if row is None:
        raise LookupError(f"no erasure request {request_id}")
    if row.status != ErasureStatus.PENDING.value:
        return outcome(row)
    candidate_id = row.candidate_id
    facts = {
        "candidate_id": candidate_id,
        "request_id": request_id,
        "actor_id": row.requested_by,
        "actor_verified": row.requested_by_verified,
    }
    refused = await refusal(session, candidate_id)
    if refused is not None:
        row.status, row.completed_at, row.detail = ErasureStatus.REFUSED.value, at, refused.message
        await append_entry(
            session,
            event_id=f"{ERASURE_REFUSED}:{request_id}",
            type=ERASURE_REFUSED,
            at=at,
            candidate_id=candidate_id,
            facts={**facts, "code": refused.code},
        )
        return outcome(row)
    session_ids = list(
        await session.scalars(
            select(SessionRow.session_id)
            .where(SessionRow.candidate_id == candidate_id)
            .order_by(SessionRow.session_id)
        )
    )
    counts = await anonymise_sessions(session, session_ids, at=at)
    await _erase_candidate_notes(session, candidate_id)
    row.status, row.completed_at = ErasureStatus.COMPLETED.value, at
    row.counts, row.session_ids = counts.model_dump(), session_ids
    await append_entry(
        session,
        event_id=f"{CANDIDATE_ERASED}:{request_id}",
        type=CANDIDATE_ERASED,
        at=at,
        candidate_id=candidate_id,
        facts={**facts, "session_ids": session_ids, "counts": counts.model_dump()},
    )
    return outcome(row)


async def _erase_candidate_notes(session: AsyncSession, candidate_id: str) -> None:
    """HR's free text about the candidate outside their sessions: the reasons of their holds
    (all lifted by now) and of their erasure requests. Who acted, and when, stays."""
    await session.execute(
        update(LitigationHoldRow)
        .where(LitigationHoldRow.candidate_id == candidate_id)
        .values(reason=ERASED, lift_reason=None)
    )
    await session.execute(
        update(ErasureRequestRow)
        .where(ErasureRequestRow.candidate_id == candidate_id)
        .values(reason=None)
    )


async def cover_late_start(session: AsyncSession, event: SessionEvent) -> None:
    """Anonymise a session whose start is recorded only after an erasure that it escaped.

    The erasure refuses a candidate with an open session, but a session started a moment
    before the request has no row yet, so the erasure could not see it. When its start is
    recorded after a completed erasure of its candidate that ran after it started, the
    erasure covers it: anonymised as of that erasure, added to the request's sessions and
    counts, and audited as part of it. A session started after the erasure is a new
    application and keeps its data. Costs one indexed read per start.
    """
    row = await session.scalar(
        select(ErasureRequestRow)
        .where(
            ErasureRequestRow.candidate_id == event.session.candidate.id,
            ErasureRequestRow.status == ErasureStatus.COMPLETED.value,
            ErasureRequestRow.completed_at >= event.session.started_at,
        )
        .order_by(ErasureRequestRow.completed_at)
        .limit(1)
    )
    if row is None or row.completed_at is None:
        return
    session_id = event.session.session_id
    counts = await anonymise_sessions(session, [session_id], at=row.completed_at)
    row.counts = (ScrubCounts.model_validate(row.counts or {}) + counts).model_dump()
    row.session_ids = [*(row.session_ids or []), session_id]
    await append_entry(
        session,
        event_id=f"{CANDIDATE_ERASED}:{row.request_id}:{session_id}",
        type=CANDIDATE_ERASED,
        at=event.at,
        candidate_id=row.candidate_id,
        facts={
            "candidate_id": row.candidate_id,
            "request_id": row.request_id,
            "session_ids": [session_id],
            "counts": counts.model_dump(),
            "recorded_after_the_erasure": True,
        },
    )


def outcome(row: ErasureRequestRow) -> ErasureOutcome:
    """The workflow's view of a request row."""
    return ErasureOutcome(
        request_id=row.request_id,
        candidate_id=row.candidate_id,
        status=ErasureStatus(row.status),
        requested_at=row.requested_at,
        completed_at=row.completed_at,
        counts=ScrubCounts.model_validate(row.counts or {}),
        session_ids=list(row.session_ids or []),
        detail=row.detail,
    )


async def erasure_view(session: AsyncSession, request_id: str) -> ErasureView | None:
    """HR's view of a request, with how its webhook went; None when unknown."""
    row = await session.get(ErasureRequestRow, request_id)
    if row is None:
        return None
    webhook = await session.scalar(
        select(DeliveryRow.outcome).where(
            DeliveryRow.event_id == erasure_event_id(request_id), DeliveryRow.channel == "hris"
        )
    )
    return ErasureView(
        request_id=row.request_id,
        candidate_id=row.candidate_id,
        status=ErasureStatus(row.status),
        reason=row.reason,
        requested_by=Actor(
            id=row.requested_by, name=row.requested_by_name, verified=row.requested_by_verified
        ),
        requested_at=row.requested_at,
        completed_at=row.completed_at,
        counts=ScrubCounts.model_validate(row.counts) if row.counts is not None else None,
        detail=row.detail,
        workflow_id=erasure_workflow_id(row.candidate_id),
        webhook=webhook,
    )
