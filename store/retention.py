"""Retention, inside the caller's transaction: which sessions are due, and one batch of them.

A session is due once it has ended (a terminal status) and nothing has been recorded for it
since the cutoff, unless its candidate is under a litigation hold. Sessions still active or
suspended are never due, however old, nor is one whose contest still awaits HR's decision.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import ContestStatus, SessionStatus
from contract.data_rights import RetentionBatch, RetentionPlan, ScrubCounts
from store.anonymise import anonymise_sessions
from store.audit import iso_utc
from store.audit_entries import append_entry, recorded_facts
from store.holds import is_held
from store.tables import ContestRow, SessionRow

RETENTION_RUN = "retention.run"
TERMINAL_STATUSES = tuple(status.value for status in SessionStatus if status.is_terminal)


def _old_enough(cutoff: datetime) -> ColumnElement[bool]:
    awaiting_decision = exists().where(
        ContestRow.session_id == SessionRow.session_id,
        ContestRow.status == ContestStatus.OPEN.value,
    )
    return and_(
        SessionRow.anonymised_at.is_(None),
        SessionRow.updated_at < cutoff,
        SessionRow.status.in_(TERMINAL_STATUSES),
        not_(awaiting_decision),
    )


async def plan(session: AsyncSession, cutoff: datetime) -> RetentionPlan:
    """How many sessions a run at ``cutoff`` anonymises, and how many holds keep back."""
    held = is_held(SessionRow.candidate_id)
    counts = (
        await session.execute(
            select(
                func.count().filter(not_(held)).label("due"),
                func.count().filter(held).label("held"),
            ).where(_old_enough(cutoff))
        )
    ).one()
    return RetentionPlan(cutoff=cutoff, sessions=counts.due, held_sessions=counts.held)


async def run_batch(session: AsyncSession, batch: RetentionBatch, *, at: datetime) -> ScrubCounts:
    """Anonymise the oldest ``batch.size`` due sessions and add a ``retention.run`` entry.

    Idempotent per ``(run_id, batch)``: a batch already recorded (an activity retried after
    its transaction committed) returns the counts its audit entry states and does nothing.
    """
    event_id = f"{RETENTION_RUN}:{batch.run_id}:{batch.batch}"
    done = await recorded_facts(session, event_id)
    if done is not None:
        return ScrubCounts.model_validate(done["counts"])
    session_ids = list(
        await session.scalars(
            select(SessionRow.session_id)
            .where(_old_enough(batch.cutoff), not_(is_held(SessionRow.candidate_id)))
            .order_by(SessionRow.updated_at, SessionRow.session_id)
            .limit(batch.size)
        )
    )
    counts = await anonymise_sessions(session, session_ids, at=at)
    await append_entry(
        session,
        event_id=event_id,
        type=RETENTION_RUN,
        at=at,
        facts={
            "run_id": batch.run_id,
            "batch": batch.batch,
            "cutoff": iso_utc(batch.cutoff),
            "session_ids": session_ids,
            "counts": counts.model_dump(),
        },
    )
    return counts
