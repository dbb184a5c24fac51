"""A store no caller could make any more: planted row by row, past every bound of the edge.

Finding 2 came from a session with 100,000 stages; the edge now refuses such a session, but
the reports must stay safe whatever a store holds (rows from before the bound, a restore, a
hand-made import). ``plant`` writes that straight into the tables.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from reports import Report
from store import Store
from store.rows import STAGE_LIST_SEPARATOR
from store.tables import ExitRow, SessionRow

PLANTED_AT = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
_DEFAULT = ["self_intro", "skill_test", "scenario_simulation"]
_KINDS = ["withdrawn", "system_fault", "abandoned", "terminated", "expired"]
_STATUS = {
    "withdrawn": "withdrawn",
    "system_fault": "suspended",
    "abandoned": "completed",
    "terminated": "terminated",
    "expired": "expired",
}
_BATCH = 5_000


def stage_names(count: int) -> list[str]:
    """``count`` distinct stage names, in order."""
    return [f"stage-{i:06d}" for i in range(count)]


def session_row(
    session_id: str, stages: list[str], current: str, status: str, **fields: Any
) -> dict[str, Any]:
    """A ``sessions`` row started at ``PLANTED_AT`` (plus ``fields``)."""
    row = {
        "session_id": session_id,
        "workflow_id": f"interview-session-{session_id}",
        "candidate_id": f"c-{session_id}",
        "locale": "en",
        "job_id": "job-a",
        "job_title": "Job",
        "interviewer_id": "iv-1",
        "stages": stages,
        "stage_list": STAGE_LIST_SEPARATOR.join(stages),
        "policy": {},
        "status": status,
        "current_stage": current,
        "started_at": PLANTED_AT,
        "updated_at": PLANTED_AT,
        "last_event_seq": 1,
    }
    return {**row, **fields}


async def plant(store: Store, *, sessions: int, stages: int) -> None:
    """One withdrawn session naming ``stages`` stages, and ``sessions`` ordinary ones.

    The ordinary sessions spread over 2,000 jobs and 500 interviewers, each with one exit;
    every fault has a browser version of its own, so that no report's groups are few.
    """
    names = stage_names(stages)
    rows = [session_row("huge", names, names[-1], "withdrawn")]
    exits = [_exit_row("huge", "withdrawn", names[-1], 0)]
    for i in range(sessions):
        kind = _KINDS[i % len(_KINDS)]
        stage = _DEFAULT[i % 3]
        started = PLANTED_AT + timedelta(seconds=i)
        fields = {"job_id": f"job-{i % 2000}", "interviewer_id": f"iv-{i % 500}"}
        rows.append(
            session_row(f"s{i}", _DEFAULT, stage, _STATUS[kind], started_at=started, **fields)
        )
        exits.append(_exit_row(f"s{i}", kind, stage, i, session_started_at=started, **fields))
    async with store.engine.begin() as conn:
        for table, batch in ((SessionRow, rows), (ExitRow, exits)):
            for start in range(0, len(batch), _BATCH):
                await conn.execute(insert(table), batch[start : start + _BATCH])


def _exit_row(session_id: str, kind: str, stage: str, i: int, **fields: Any) -> dict[str, Any]:
    faulty = kind in ("system_fault", "abandoned")
    row = {
        "exit_id": f"x-{session_id}",
        "session_id": session_id,
        "candidate_id": f"c-{session_id}",
        "job_id": "job-a",
        "interviewer_id": "iv-1",
        "kind": kind,
        "reason_code": "other" if kind == "withdrawn" else "network",
        "stage": stage,
        "at": PLANTED_AT + timedelta(seconds=i, minutes=5),
        "session_started_at": PLANTED_AT,
        "fault_cause": "network" if kind == "system_fault" else None,
        "client_browser": "Chrome" if faulty else None,
        "client_browser_version": f"{i}.0" if faulty else None,
        "client_network_latency_ms": float(i % 5000) if faulty else None,
    }
    return {**row, **fields}


async def slow_report(conn: AsyncConnection, *_: object) -> Report:
    """A report runner whose one query runs for longer than any test waits."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_sleep(30)"))
    else:
        count = "SELECT x + 1 FROM c WHERE x < 1000000000"
        await conn.execute(
            text(f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL {count}) SELECT max(x) FROM c")
        )
    raise AssertionError("the query was not stopped")
