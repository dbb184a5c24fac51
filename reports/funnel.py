"""Exit rate per stage: of the sessions that reached a stage, how many exited there, and how."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contract.codes import ExitKind, SessionStatus
from contract.sessions import DEFAULT_STAGES
from reports._common import Report, ReportFilter, as_int, share
from store.rows import STAGE_LIST_SEPARATOR
from store.tables import ExitRow, SessionRow

LOST_STATUSES = (SessionStatus.WITHDRAWN, SessionStatus.TERMINATED, SessionStatus.EXPIRED)
"""A session that ended in one of these was lost at the stage it had reached."""
_KINDS = tuple(kind.value for kind in ExitKind)
DEFAULT_LIMIT = 500
"""How many stages the funnel lists unless asked for more (``ReportOptions.limit``)."""


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

    ``worst_stage`` is the stage with the highest loss rate (None when nothing was lost),
    among all stages, also those past ``limit``: ``stages`` lists the first ``limit`` in
    funnel order, and ``truncated`` says that there were more.
    """

    sessions: int
    stages: list[StageExits]
    worst_stage: str | None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1)
    truncated: bool = False

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


async def stage_funnel(
    conn: AsyncConnection, report_filter: ReportFilter, *, limit: int = DEFAULT_LIMIT
) -> StageFunnel:
    """Reached, lost and exits by kind per stage, for sessions started in the window.

    Sessions are grouped in SQL by their stage list, reached stage and status; the fold over
    those groups into per-stage counts runs in a worker thread, in time linear in the stage
    lists' lengths however many stages a session names, and builds at most ``limit`` rows.
    """
    where = report_filter.where(SessionRow.started_at, SessionRow.job_id)
    stage_list = SessionRow.stage_list
    groups = await conn.execute(
        select(stage_list, SessionRow.current_stage, SessionRow.status, func.count())
        .where(*where)
        .group_by(stage_list, SessionRow.current_stage, SessionRow.status)
    )
    # Each exit carries its session's start, so the cohort needs no join to sessions.
    exits = await conn.execute(
        select(ExitRow.stage, ExitRow.kind, func.count())
        .where(*report_filter.where(ExitRow.session_started_at, ExitRow.job_id))
        .group_by(ExitRow.stage, ExitRow.kind)
    )
    return await asyncio.to_thread(_fold, report_filter, groups, exits, limit)


def _fold(
    report_filter: ReportFilter, groups: Iterable[Any], exits: Iterable[Any], limit: int
) -> StageFunnel:
    order = dict.fromkeys(DEFAULT_STAGES)
    lists: dict[str | None, _StageList] = {}
    lost: dict[str, int] = {}
    total = 0
    for joined, current, status, count in groups:
        total += count
        stage_list = lists.get(joined)
        if stage_list is None:
            stage_list = lists[joined] = _StageList(joined, current)
            order.update(dict.fromkeys(stage_list.stages))
        stage_list.count(current, status == SessionStatus.COMPLETED, count)
        if status in LOST_STATUSES:
            lost[current] = lost.get(current, 0) + count
    reached: dict[str, int] = {}
    for stage_list in lists.values():
        stage_list.add_reached(reached)

    by_stage: dict[str, dict[str, int]] = {}
    for stage, kind, count in exits:
        by_stage.setdefault(stage, {})[kind] = as_int(count)

    shown = [stage for stage in order if reached.get(stage) or by_stage.get(stage)]
    worst = max(
        (stage for stage in shown if lost.get(stage)),
        key=lambda stage: share(lost[stage], reached.get(stage, 0)),
        default=None,
    )
    rows = [
        _stage_row(stage, reached.get(stage, 0), lost.get(stage, 0), by_stage.get(stage, {}))
        for stage in shown[:limit]
    ]
    for row in rows:
        row.worst = row.stage == worst
    return StageFunnel(
        filter=report_filter,
        sessions=total,
        stages=rows,
        worst_stage=worst,
        limit=limit,
        truncated=len(shown) > limit,
    )


class _StageList:
    """The sessions sharing one stage list: how many stopped at each of its positions.

    A session reaches every stage up to the one it stopped at (all of them once completed),
    so a suffix sum over the positions counts each stage's sessions in one pass.
    """

    def __init__(self, joined: str | None, current: str) -> None:
        self.stages = joined.split(STAGE_LIST_SEPARATOR) if joined else [current]
        self.position: dict[str, int] = {}
        for i, stage in enumerate(self.stages):
            self.position.setdefault(stage, i)
        self.stopped = [0] * len(self.stages)

    def count(self, current: str, completed: bool, sessions: int) -> None:
        last = len(self.stages) - 1 if completed else self.position.get(current, 0)
        self.stopped[last] += sessions

    def add_reached(self, reached: dict[str, int]) -> None:
        at_or_after = [0] * len(self.stages)
        running = 0
        for i in range(len(self.stages) - 1, -1, -1):
            running += self.stopped[i]
            at_or_after[i] = running
        # A stage named twice counts its sessions once, from its first position.
        for stage, i in self.position.items():
            if at_or_after[i]:
                reached[stage] = reached.get(stage, 0) + at_or_after[i]


def _stage_row(stage: str, reached: int, lost: int, kinds: dict[str, int]) -> StageExits:
    exits = {kind: kinds.get(kind, 0) for kind in _KINDS}
    return StageExits(
        stage=stage,
        reached=reached,
        lost=lost,
        loss_rate=share(lost, reached),
        exits_by_kind=exits,
        exit_rate_by_kind={kind: share(n, reached) for kind, n in exits.items()},
    )
