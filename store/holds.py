"""Litigation holds, inside the caller's transaction: read, set, lift, and what they block.

A hold keeps a candidate's data as it is for a legal matter: retention skips the
candidate and an erasure is refused while it is active. Lifting one keeps its row.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from contract.data_rights import Hold, HoldInput, HoldStatus, LiftHoldInput
from contract.sessions import Actor
from store.audit_entries import append_entry
from store.tables import LitigationHoldRow

HOLD_SET = "hold.set"
HOLD_LIFTED = "hold.lifted"


class RightsRefused(Exception):
    """A data-rights command refused because of the candidate's state; nothing changed."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        """Keep the error code, one sentence a person can act on, and the details."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def is_held(candidate_id: Any) -> ColumnElement[bool]:
    """SQL: the candidate (a value or a correlated column) has an active hold."""
    return exists().where(
        LitigationHoldRow.candidate_id == candidate_id, LitigationHoldRow.lifted_at.is_(None)
    )


async def active_hold(session: AsyncSession, candidate_id: str) -> LitigationHoldRow | None:
    """The candidate's active hold, or None."""
    return await session.scalar(
        select(LitigationHoldRow).where(
            LitigationHoldRow.candidate_id == candidate_id, LitigationHoldRow.lifted_at.is_(None)
        )
    )


async def hold_status(session: AsyncSession, candidate_id: str) -> HoldStatus:
    """Whether the candidate is held, with every hold newest first."""
    rows = await session.scalars(
        select(LitigationHoldRow)
        .where(LitigationHoldRow.candidate_id == candidate_id)
        .order_by(LitigationHoldRow.set_at.desc(), LitigationHoldRow.hold_id)
    )
    history = [_hold(row) for row in rows]
    active = next((hold for hold in history if hold.lifted_at is None), None)
    return HoldStatus(
        candidate_id=candidate_id, held=active is not None, hold=active, history=history
    )


async def set_hold(
    session: AsyncSession, candidate_id: str, request: HoldInput, *, at: datetime
) -> bool:
    """Put the candidate on hold; False (nothing changed) when a hold is already active."""
    if await active_hold(session, candidate_id) is not None:
        return False
    hold_id = str(uuid.uuid4())
    session.add(
        LitigationHoldRow(
            hold_id=hold_id,
            candidate_id=candidate_id,
            reason=request.reason,
            set_by=request.actor.id,
            set_by_name=request.actor.name,
            set_by_verified=request.actor.verified,
            set_at=at,
        )
    )
    await session.flush()
    # The reason is HR's free text and may name people: it stays in the table only.
    await append_entry(
        session,
        event_id=f"{HOLD_SET}:{hold_id}",
        type=HOLD_SET,
        at=at,
        candidate_id=candidate_id,
        facts={
            "candidate_id": candidate_id,
            "hold_id": hold_id,
            "actor_id": request.actor.id,
            "actor_verified": request.actor.verified,
        },
    )
    return True


async def lift_hold(
    session: AsyncSession, candidate_id: str, request: LiftHoldInput, *, at: datetime
) -> None:
    """Lift the candidate's active hold.

    Raises:
        RightsRefused: ``not_on_hold`` when the candidate has no active hold.
    """
    row = await active_hold(session, candidate_id)
    if row is None:
        raise RightsRefused(
            "not_on_hold",
            f"Candidate {candidate_id} is not under a litigation hold; there is nothing to lift.",
            {"candidate_id": candidate_id},
        )
    row.lifted_by = request.actor.id
    row.lifted_by_name = request.actor.name
    row.lifted_by_verified = request.actor.verified
    row.lifted_at = at
    row.lift_reason = request.reason
    await session.flush()
    await append_entry(
        session,
        event_id=f"{HOLD_LIFTED}:{row.hold_id}",
        type=HOLD_LIFTED,
        at=at,
        candidate_id=candidate_id,
        facts={
            "candidate_id": candidate_id,
            "hold_id": row.hold_id,
            "actor_id": request.actor.id,
            "actor_verified": request.actor.verified,
        },
    )


def _hold(row: LitigationHoldRow) -> Hold:
    lifted_by = None
    if row.lifted_by is not None:
        lifted_by = Actor(
            id=row.lifted_by,
            name=row.lifted_by_name or row.lifted_by,
            verified=row.lifted_by_verified,
        )
    return Hold(
        hold_id=row.hold_id,
        candidate_id=row.candidate_id,
        reason=row.reason,
        set_by=Actor(id=row.set_by, name=row.set_by_name, verified=row.set_by_verified),
        set_at=row.set_at,
        lifted_by=lifted_by,
        lifted_at=row.lifted_at,
        lift_reason=row.lift_reason,
    )
