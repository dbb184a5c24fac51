"""Exit rate per stage: of the sessions that reached a stage, how many exited there, and how."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contract.codes import ExitKind, SessionStatus
from contract.sessions import DEFAULT_STAGES
from reports._common import Report, ReportFilter, as_int, share
from store.rows import STAGE_LIST_SEPARATOR
from store.tables import ExitRow, SessionRow

LOST_STATUSES = (SessionStatus.WITHDRAWN, SessionStatus.TERMINATED, SessionStatus.EXPIRED)
"""A session that ended in one of these was lost at the stage it had reached."""


class StageExits(BaseModel):
    """One stage of the funnel."""

    stage: str
    reached: int
    """Sessions that got at least as far as this stage (every stage, once completed)."""
    lost: int
    """Sessions that ended here as withdrawn, terminated or expired."""
    loss_rate: float
    exits_by_kind: dict[str, int]
    """Exits recorded at this stage, per kind; interruptions that were resumed count too."""
    exit_rate_by_kind: dict[str, float]
    worst: bool = False


class StageFunnel(Report):
    """The funnel of the sessions started in the window: where they are lost, and how.

    ``worst_stage`` is the stage with the highest loss rate (None when nothing was lost).
    """

    sessions: int
    stages: list[StageExits]
    worst_stage: str | None

    def rows(self) -> list[dict[str, Any]]:
        """One row per stage."""
        return [
            {
                "stage": row.stage,
                "reached": row.reached,
                "lost": row.lost,
                "loss_rate": row.loss_rate,
                **{f"{kind}": row.exits_by_kind.get(kind, 0) for kind in ExitKind},
                "worst": "<- worst" if row.worst else "",
            }
            for row in self.stages
        ]


async def stage_funnel(conn: AsyncConnection, report_filter: ReportFilter) -> StageFunnel:
    """Reached, lost and exits by kind per stage, for sessions started in the window.

    Sessions are grouped in SQL by their stage list, reached stage and status (a handful of
    groups); the fold over those groups into per-stage counts happens here.
    """
    where = report_filter.where(SessionRow.started_at, SessionRow.job_id)
    stage_list = SessionRow.stage_list
    groups = await conn.execute(
        select(stage_list, SessionRow.current_stage, SessionRow.status, func.count())
        .where(*where)
        .group_by(stage_list, SessionRow.current_stage, SessionRow.status)
    )
    order: list[str] = list(DEFAULT_STAGES)
    reached: dict[str, int] = {}
    lost: dict[str, int] = {}
    total = 0
    for joined, current, status, count in groups:
        total += count
        stages = joined.split(STAGE_LIST_SEPARATOR) if joined else [current]
        order.extend(stage for stage in stages if stage not in order)
        last = len(stages) - 1 if status == SessionStatus.COMPLETED else _index(stages, current)
        for stage in stages[: last + 1]:
            reached[stage] = reached.get(stage, 0) + count
        if status in LOST_STATUSES:
            lost[current] = lost.get(current, 0) + count

    # Each exit carries its session's start, so the cohort needs no join to sessions.
    exits = (
        select(ExitRow.stage, ExitRow.kind, func.count())
        .where(*report_filter.where(ExitRow.session_started_at, ExitRow.job_id))
        .group_by(ExitRow.stage, ExitRow.kind)
    )
    by_stage: dict[str, dict[str, int]] = {}
    for stage, kind, count in await conn.execute(exits):
        by_stage.setdefault(stage, {})[kind] = as_int(count)

    rows = [
        _stage_row(stage, reached.get(stage, 0), lost.get(stage, 0), by_stage.get(stage, {}))
        for stage in order
        if reached.get(stage) or by_stage.get(stage)
    ]
    worst = max((row for row in rows if row.lost), key=lambda row: row.loss_rate, default=None)
    if worst is not None:
        worst.worst = True
    return StageFunnel(
        filter=report_filter,
        sessions=total,
        stages=rows,
        worst_stage=worst.stage if worst else None,
    )


def _index(stages: list[str], stage: str) -> int:
    return stages.index(stage) if stage in stages else 0


def _stage_row(stage: str, reached: int, lost: int, kinds: dict[str, int]) -> StageExits:
    return StageExits(
        stage=stage,
        reached=reached,
        lost=lost,
        loss_rate=share(lost, reached),
        exits_by_kind={kind.value: kinds.get(kind.value, 0) for kind in ExitKind},
        exit_rate_by_kind={
            kind.value: share(kinds.get(kind.value, 0), reached) for kind in ExitKind
        },
    )
