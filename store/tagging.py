"""Candidate tag rows, linked per candidate and tag so that the tags report counts, not dedups.

Each ``candidate_tags`` row keeps ``previous_at``: the ``at`` of the same candidate's row
with the same tag just before it, in (``at``, ``exit_id``) order, or None for the first. Of
a candidate's rows inside a window, exactly one has no previous row inside that window
(its earliest there), so "how many candidates carry a tag" is a plain count of the rows
whose ``previous_at`` is None or before the window: no ``COUNT(DISTINCT ...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.tables import CandidateTagRow

_ROW = CandidateTagRow


def first_in_window(since: Any) -> list[ColumnElement[bool]]:
    """Conditions, any one enough, that keep one row per candidate and tag of a window.

    Args:
        since: The window's inclusive start, or None for a window open to the past.
    """
    first: list[ColumnElement[bool]] = [_ROW.previous_at.is_(None)]
    return first if since is None else [*first, _ROW.previous_at < since]


async def insert_tags(session: AsyncSession, dialect: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert tag rows, each linked to its candidate's previous one, and relink the next one.

    Exits may be recorded out of order (a candidate's sessions record independently), so a
    row can land between two stored ones. Runs inside the record transaction, which holds
    the write lock, so no other writer moves the links meanwhile. A row already stored (the
    same exit recorded by an earlier event) is left alone.
    """
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for row in rows:
        at, exit_id = row["at"], row["exit_id"]
        same = (_ROW.candidate_id == row["candidate_id"], _ROW.tag == row["tag"])
        before = or_(_ROW.at < at, and_(_ROW.at == at, _ROW.exit_id < exit_id))
        previous_at = await session.scalar(select(func.max(_ROW.at)).where(*same, before))
        stmt = insert(_ROW).values(**row, previous_at=previous_at).on_conflict_do_nothing()
        if (await session.execute(stmt.returning(_ROW.exit_id))).first() is None:
            continue
        after = or_(_ROW.at > at, and_(_ROW.at == at, _ROW.exit_id > exit_id))
        following = await session.scalar(
            select(_ROW.exit_id).where(*same, after).order_by(_ROW.at, _ROW.exit_id).limit(1)
        )
        if following is not None:
            await session.execute(
                update(_ROW)
                .where(_ROW.exit_id == following, _ROW.tag == row["tag"])
                .values(previous_at=at)
            )
