"""The writes of ``Store.record_event``, inside the transaction the store opened."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from sqlalchemy import Table, and_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from contract.codes import ContestStatus, DownstreamStatus, EventType
from contract.events import SessionEvent
from store.audit import GENESIS_HASH, entry_hash, seal_event
from store.rows import (
    SUSPENDING_KINDS,
    Values,
    candidate_tag_values,
    contest_values,
    downstream_values,
    event_values,
    exit_values,
    segment_values,
    session_values,
)
from store.tables import (
    AuditPersonalRow,
    AuditRow,
    Base,
    ContestRow,
    DownstreamStepRow,
    ExitRow,
    SegmentRow,
    SessionEventRow,
    SessionRow,
)
from store.tagging import insert_tags

AUDIT_LOCK = 0x6578_6974_666C_6F77  # "exitflow": one chain, one lock, across processes
_OUTCOME_COLUMN = {EventType.RESUMED.value: "resumed_at", EventType.EXPIRED.value: "expired_at"}


def insert(dialect: str, table: Table | type[Base]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT with ``on_conflict_*``: both dialects share that API, only the import differs."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


async def record(session: AsyncSession, dialect: str, event: SessionEvent) -> bool:
    """Write everything ``event`` changes; False (and nothing written) if already recorded."""
    if dialect == "postgresql":
        # Taken first, so record_event calls queue before touching any row: the chain head
        # read below stays the head, and no two of them can deadlock on row locks.
        # (SQLite already holds its write lock since BEGIN IMMEDIATE.)
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
    stmt = insert(dialect, SessionEventRow).values(**event_values(event))
    stmt = stmt.on_conflict_do_nothing(index_elements=["event_id"])
    if (await session.execute(stmt.returning(SessionEventRow.event_id))).first() is None:
        return False
    await upsert_newer(session, dialect, SessionRow, [session_values(event)], "last_event_seq")
    await upsert_newer(session, dialect, SegmentRow, segment_values(event), "saved_at")
    if event.exit is not None:
        values = exit_values(event, event.exit)
        await session.execute(insert(dialect, ExitRow).values(**values).on_conflict_do_nothing())
        if values["kind"] in SUSPENDING_KINDS:
            await _mark_from_earlier_outcome(session, values)
        await insert_tags(session, dialect, candidate_tag_values(event, event.exit))
    if event.type in _OUTCOME_COLUMN:
        await _mark_interrupted_exit(session, event)
    await upsert_downstream(session, dialect, downstream_values(event))
    if event.restored_steps:
        await _restore_downstream(session, event)
    if (contest := contest_values(event)) is not None:
        await _upsert_contest(session, dialect, contest)
    await _append_audit(session, dialect, event)
    return True


async def upsert_newer(
    session: AsyncSession,
    dialect: str,
    table: type[Base],
    rows: Sequence[Values],
    newer_than: str,
) -> None:
    """Insert ``rows``, or replace stored ones whose ``newer_than`` value is smaller."""
    if rows:
        stmt = _upsert_newer_statement(dialect, table, tuple(rows[0]), newer_than)
        await session.execute(stmt, list(rows))


async def upsert_downstream(session: AsyncSession, dialect: str, rows: Sequence[Values]) -> None:
    """Insert downstream steps, or move stored ones forward: scheduled → invited | cancelled."""
    if rows:
        await session.execute(_upsert_downstream_statement(dialect), list(rows))


# The upserts are built once and run with their rows as parameters (executemany): SQLAlchemy
# caches the compiled form of such a statement, never of one with the rows inlined as
# multi-row VALUES, which it would compile again on every record.


@functools.cache
def _upsert_newer_statement(
    dialect: str, table: type[Base], columns: tuple[str, ...], newer_than: str
) -> sqlite.Insert | postgresql.Insert:
    core = Base.metadata.tables[table.__tablename__]
    keys = [key.name for key in core.primary_key]
    stmt = insert(dialect, core)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={key: stmt.excluded[key] for key in columns if key not in keys},
        where=core.c[newer_than] < stmt.excluded[newer_than],
    )


@functools.cache
def _upsert_downstream_statement(dialect: str) -> sqlite.Insert | postgresql.Insert:
    core = Base.metadata.tables[DownstreamStepRow.__tablename__]
    scheduled = DownstreamStatus.SCHEDULED.value
    stmt = insert(dialect, core)
    return stmt.on_conflict_do_update(
        index_elements=["session_id", "step_id"],
        set_={key: stmt.excluded[key] for key in ("status", "reason", "updated_at")},
        where=and_(core.c.status == scheduled, stmt.excluded.status != scheduled),
    )


async def _restore_downstream(session: AsyncSession, event: SessionEvent) -> None:
    """Schedule again the cancelled steps an overturn restored: the one way back a step has."""
    await session.execute(
        update(DownstreamStepRow)
        .where(
            DownstreamStepRow.session_id == event.session.session_id,
            DownstreamStepRow.step_id.in_([step.step_id for step in event.restored_steps]),
            DownstreamStepRow.status == DownstreamStatus.CANCELLED.value,
        )
        .values(status=DownstreamStatus.SCHEDULED.value, reason=None, updated_at=event.at)
    )


async def _upsert_contest(session: AsyncSession, dialect: str, values: Values) -> None:
    """Insert the contest, or move a stored open one to its decision (never back)."""
    stmt = insert(dialect, ContestRow).values(**values)
    decision = (
        "status",
        "decided_at",
        "decided_by_id",
        "decided_by_name",
        "decided_by_verified",
        "decision_explanation",
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["contest_id"],
        set_={key: stmt.excluded[key] for key in decision},
        where=and_(
            ContestRow.status == ContestStatus.OPEN.value,
            stmt.excluded.status != ContestStatus.OPEN.value,
        ),
    )
    await session.execute(stmt)


async def _mark_interrupted_exit(session: AsyncSession, event: SessionEvent) -> None:
    """Stamp the session's latest open fault/abandon exit as resumed or expired."""
    exit_id = await session.scalar(
        select(ExitRow.exit_id)
        .where(
            ExitRow.session_id == event.session.session_id,
            ExitRow.kind.in_(SUSPENDING_KINDS),
            ExitRow.resumed_at.is_(None),
            ExitRow.expired_at.is_(None),
            ExitRow.at <= event.at,
        )
        .order_by(ExitRow.at.desc(), ExitRow.exit_id.desc())
        .limit(1)
    )
    if exit_id is not None:
        column = _OUTCOME_COLUMN[event.type.value]
        await session.execute(
            update(ExitRow).where(ExitRow.exit_id == exit_id).values({column: event.at})
        )


async def _mark_from_earlier_outcome(session: AsyncSession, exit_row: Values) -> None:
    """Stamp a fault/abandon exit whose resume or expiry event was recorded before it."""
    session_id, at = exit_row["session_id"], exit_row["at"]
    outcome = (
        await session.execute(
            select(SessionEventRow.type, SessionEventRow.at)
            .where(
                SessionEventRow.session_id == session_id,
                SessionEventRow.type.in_(_OUTCOME_COLUMN),
                SessionEventRow.at >= at,
            )
            .order_by(SessionEventRow.at)
            .limit(1)
        )
    ).first()
    if outcome is None:
        return
    # A later interruption that came before that event owns it instead.
    later = await session.scalar(
        select(ExitRow.exit_id)
        .where(
            ExitRow.session_id == session_id,
            ExitRow.kind.in_(SUSPENDING_KINDS),
            ExitRow.at > at,
            ExitRow.at <= outcome.at,
        )
        .limit(1)
    )
    if later is None:
        await session.execute(
            update(ExitRow)
            .where(ExitRow.exit_id == exit_row["exit_id"])
            .values({_OUTCOME_COLUMN[outcome.type]: outcome.at})
        )


async def _append_audit(session: AsyncSession, dialect: str, event: SessionEvent) -> None:
    head = await session.scalar(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1))
    prev_hash = head or GENESIS_HASH
    sealed = seal_event(event)
    ids = {"session_id": event.session.session_id, "candidate_id": event.session.candidate.id}
    stmt = insert(dialect, AuditRow).values(
        event_id=event.event_id,
        **ids,
        type=str(event.type),
        at=event.at,
        body=sealed.body,
        prev_hash=prev_hash,
        hash=entry_hash(prev_hash, sealed.body),
    )
    await session.execute(stmt)
    if sealed.fields_json is not None:
        # Beside the chain, erasable: the body hashed only its salted digest.
        personal = {"salt": sealed.salt, "fields_json": sealed.fields_json}
        await session.execute(
            insert(dialect, AuditPersonalRow).values(event_id=event.event_id, **ids, **personal)
        )
