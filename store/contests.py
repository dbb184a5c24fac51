"""HR's review queue: stored contests, each with the full record of its session.

Read-only: the rows are written by the record transaction of the ``termination.*`` events
(``recording.py``). A review task puts together what HR needs to decide: the contest and
the candidate's statement, the termination with the notice as sent, and the session view
with every saved segment.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contract.codes import ContestStatus
from contract.sessions import ExitRecord, SessionView
from store.engine import DEFERRED_BEGIN
from store.store import Store
from store.tables import ContestRow

_MAX_PAGE = 200


class InvalidContestCursor(ValueError):
    """A ``cursor`` that this store did not hand out."""


class StoredContest(BaseModel):
    """One row of ``contests``."""

    model_config = ConfigDict(from_attributes=True)

    contest_id: str
    session_id: str
    exit_id: str
    candidate_id: str
    statement: str
    contested_at: datetime
    status: ContestStatus
    decided_at: datetime | None = None
    decided_by_id: str | None = None
    decided_by_name: str | None = None
    decision_explanation: str | None = None


class ReviewTask(BaseModel):
    """A contest with the full record HR reviews it against."""

    contest: StoredContest
    termination: ExitRecord | None
    """The exit contested, with ``notice_text`` as the candidate received it."""
    session: SessionView | None
    """The session as last recorded: status, every saved segment, every exit."""


class ContestPage(BaseModel):
    """One page of review tasks, oldest contest first; pass ``next_cursor`` back for more."""

    items: list[ReviewTask]
    next_cursor: str | None = None


async def find_contest(store: Store, contest_id: str) -> StoredContest | None:
    """The stored contest with this id, or None."""
    async with _reader(store).connect() as conn:
        row = (
            await conn.execute(select(ContestRow).where(ContestRow.contest_id == contest_id))
        ).first()
    return StoredContest.model_validate(row) if row is not None else None


async def review_task(store: Store, contest: StoredContest) -> ReviewTask:
    """The contest with its termination and its session, as last recorded."""
    view = await store.get_session(contest.session_id)
    exits = view.exits if view is not None else []
    termination = next((record for record in exits if record.exit_id == contest.exit_id), None)
    return ReviewTask(contest=contest, termination=termination, session=view)


async def list_contests(
    store: Store,
    *,
    status: ContestStatus | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> ContestPage:
    """Review tasks, oldest contest first, filtered by status, one page at a time.

    Args:
        store: The store the worker records into.
        status: Only contests in this status (``open`` is the review queue).
        limit: Page size, 1 to 200.
        cursor: ``next_cursor`` of the previous page.

    Raises:
        ValueError: When ``limit`` is out of range.
        InvalidContestCursor: When ``cursor`` was not handed out by this store.
    """
    if not 1 <= limit <= _MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {_MAX_PAGE}")
    query = select(ContestRow)
    if status is not None:
        query = query.where(ContestRow.status == status.value)
    if cursor is not None:
        at, contest_id = _decode(cursor)
        query = query.where(
            or_(
                ContestRow.contested_at > at,
                and_(ContestRow.contested_at == at, ContestRow.contest_id > contest_id),
            )
        )
    query = query.order_by(ContestRow.contested_at, ContestRow.contest_id).limit(limit + 1)
    async with _reader(store).connect() as conn:
        rows = (await conn.execute(query)).all()
    contests = [StoredContest.model_validate(row) for row in rows[:limit]]
    items = [await review_task(store, contest) for contest in contests]
    more = len(rows) > limit
    return ContestPage(items=items, next_cursor=_encode(contests[-1]) if more else None)


def _reader(store: Store) -> AsyncEngine:
    # Readers BEGIN deferred on SQLite: under WAL they never wait for, or block, a writer.
    return store.engine.execution_options(**{DEFERRED_BEGIN: True})


def _encode(last: StoredContest) -> str:
    raw = json.dumps({"at": last.contested_at.isoformat(), "id": last.contest_id})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(data["at"]), str(data["id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as err:
        raise InvalidContestCursor("cursor is not one this server handed out") from err
