"""Candidate preference tags, read from exit reasons and kept in ``candidate_tags``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.database.reports._common import Report, ReportFilter
from activities.database.tables import CandidateTagRow


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
    # The (tag, candidate_id, ...) index hands each tag's candidates over in order, so
    # COUNT(DISTINCT) needs no sort on SQLite and only presorted ones on PostgreSQL.
    candidates = func.count(func.distinct(CandidateTagRow.candidate_id))
    summary = await conn.execute(
        select(CandidateTagRow.tag, candidates)
        .where(*where)
        .group_by(CandidateTagRow.tag)
        .order_by(candidates.desc(), CandidateTagRow.tag)
    )
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
    tags = [
        CandidateTag(candidate_id=cid, tag=tag, exits=n, last_at=last, jobs=jobs)
        for cid, tag, n, last, jobs in rows
    ]
    return CandidateTags(
        filter=report_filter,
        candidate_id=candidate_id,
        summary=[TagCount(tag=tag, candidates=n) for tag, n in summary],
        tags=tags[:limit],
        limit=limit,
        truncated=len(tags) > limit,
    )
