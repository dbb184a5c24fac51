"""HR's review queue: stored contests, each with the full record of its session.

Read-only, through ``Store.contests``: the rows are written by the record transaction of
the ``termination.*`` events (``recording.py``). A review task puts together what HR needs
to decide: the contest and the candidate's statement, the termination with the notice as
sent, and the session view with every saved segment.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.codes import ContestStatus
from contract.sessions import ExitRecord, SessionView
from store.paging import Pager
from store.reads import read_session_view
from store.tables import ContestRow, SessionRow

_PAGES = Pager(ContestRow.contested_at, ContestRow.contest_id, newest_first=False, max_limit=200)


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
    decided_by_verified: bool = False
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


class Contests:
    """Contests of terminations as HR reviews them; reach it as ``Store.contests``."""

    def __init__(self, reads: async_sessionmaker[AsyncSession]) -> None:
        """Read through ``reads``, the store's read-only sessions."""
        self._reads = reads

    async def find(self, contest_id: str) -> StoredContest | None:
        """The stored contest with this id, or None."""
        async with self._reads() as session:
            row = await session.get(ContestRow, contest_id)
        return StoredContest.model_validate(row) if row is not None else None

    async def review_task(self, contest: StoredContest) -> ReviewTask:
        """The contest with its termination and its session, as last recorded."""
        async with self._reads() as session:
            return await _review_task(session, contest)

    async def list_tasks(
        self,
        *,
        status: ContestStatus | None = None,
        limit: int = 50,
        cursor: str | None = None,
        jobs: frozenset[str] | None = None,
    ) -> ContestPage:
        """Review tasks, oldest contest first, filtered by status, one page at a time.

        Args:
            status: Only contests in this status (``open`` is the review queue).
            limit: Page size, 1 to 200.
            cursor: ``next_cursor`` of the previous page.
            jobs: Only contests of sessions for these jobs (an HR person's scope).

        Raises:
            ValueError: When ``limit`` is out of range.
            InvalidCursor: When ``cursor`` was not handed out by this store.
        """
        query = select(ContestRow)
        if status is not None:
            query = query.where(ContestRow.status == status.value)
        if jobs is not None:
            in_scope = select(SessionRow.session_id).where(SessionRow.job_id.in_(sorted(jobs)))
            query = query.where(ContestRow.session_id.in_(in_scope))
        query = _PAGES.query(query, limit=limit, cursor=cursor)
        async with self._reads() as session:
            rows, next_cursor = _PAGES.cut((await session.scalars(query)).all(), limit=limit)
            contests = [StoredContest.model_validate(row) for row in rows]
            items = [await _review_task(session, contest) for contest in contests]
        return ContestPage(items=items, next_cursor=next_cursor)


async def _review_task(session: AsyncSession, contest: StoredContest) -> ReviewTask:
    view = await read_session_view(session, contest.session_id)
    exits = view.exits if view is not None else []
    termination = next((record for record in exits if record.exit_id == contest.exit_id), None)
    return ReviewTask(contest=contest, termination=termination, session=view)
