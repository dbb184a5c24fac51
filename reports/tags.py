"""Candidate preference tags, read from exit reasons and kept in ``candidate_tags``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from reports._common import Report, ReportFilter, as_int
from store.tables import CandidateTagRow
from store.tagging import first_in_window


class CandidateTag(BaseModel):
    """One tag of one candidate: how many exits gave it, and when last."""

    candidate_id: str
    tag: str
    exits: int
    last_at: datetime
    jobs: int


class TagCount(BaseModel):
    """How many candidates carry a tag."""

    tag: str
    candidates: int


class CandidateTags(Report):
    """Tags per candidate (all candidates, or the one asked for), and how common each tag is."""

    candidate_id: str | None = None
    summary: list[TagCount]
    tags: list[CandidateTag]
    limit: int = Field(ge=1)
    truncated: bool

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate and tag."""
        return [tag.model_dump() for tag in self.tags]


async def candidate_tags(
    conn: AsyncConnection,
    report_filter: ReportFilter,
    *,
    candidate_id: str | None = None,
    limit: int = 500,
) -> CandidateTags:
    """Tags from exits in the window, grouped per candidate; at most ``limit`` tag rows."""
    where = [*report_filter.where(CandidateTagRow.at, CandidateTagRow.job_id)]
    if candidate_id is not None:
        where.append(CandidateTagRow.candidate_id == candidate_id)
    summary = await conn.execute(_summary(where, report_filter, conn.dialect.name))
    rows = await conn.execute(
        select(
            CandidateTagRow.candidate_id,
            CandidateTagRow.tag,
            func.count(),
            func.max(CandidateTagRow.at),
            func.count(func.distinct(CandidateTagRow.job_id)),
        )
        .where(*where)
        .group_by(CandidateTagRow.candidate_id, CandidateTagRow.tag)
        .order_by(CandidateTagRow.candidate_id, CandidateTagRow.tag)
        .limit(limit + 1)
    )
    return await asyncio.to_thread(_fold, report_filter, candidate_id, limit, summary, rows)


def _fold(
    report_filter: ReportFilter,
    candidate_id: str | None,
    limit: int,
    summary: Iterable[Any],
    rows: Iterable[Any],
) -> CandidateTags:
    tags = [
        CandidateTag(candidate_id=cid, tag=tag, exits=n, last_at=last, jobs=jobs)
        for cid, tag, n, last, jobs in rows
    ]
    return CandidateTags(
        filter=report_filter,
        candidate_id=candidate_id,
        summary=[TagCount(tag=tag, candidates=as_int(n)) for tag, n in summary],
        tags=tags[:limit],
        limit=limit,
        truncated=len(tags) > limit,
    )


def _summary(
    where: list[ColumnElement[bool]], report_filter: ReportFilter, dialect: str
) -> Select[str, int]:
    """How many candidates carry each tag, most common first.

    Each candidate counts once per tag through its first row in the window (``tagging``).
    That link runs per candidate and tag, not per job, so a job's summary falls back to
    ``COUNT(DISTINCT candidate_id)`` over that job's rows.
    """
    tag = CandidateTagRow.tag
    if report_filter.job_id is not None:
        distinct = func.count(func.distinct(CandidateTagRow.candidate_id))
        return select(tag, distinct).where(*where).group_by(tag).order_by(distinct.desc(), tag)
    firsts = first_in_window(report_filter.since)
    if dialect == "sqlite" and len(firsts) > 1:
        # One index range per tag and branch; as a single OR, SQLite skip-scans every
        # distinct previous_at instead (1.9x the bare count of the table against 1.4x).
        branches = (select(tag, func.count().label("n")).where(*where, first) for first in firsts)
        parts = union_all(*(branch.group_by(tag) for branch in branches)).subquery()
        summed = func.sum(parts.c.n)
        return (
            select(parts.c.tag, summed).group_by(parts.c.tag).order_by(summed.desc(), parts.c.tag)
        )
    count = func.count()
    return select(tag, count).where(*where, or_(*firsts)).group_by(tag).order_by(count.desc(), tag)
