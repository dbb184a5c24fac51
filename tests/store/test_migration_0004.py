"""Revision 0004 backfills the report columns of rows written before it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from store import Store
from store.tables import CandidateTagRow, ExitRow, SessionRow
from tests.store.helpers import fetch
from tests.store.migration_rows import store_before

T0 = datetime(2024, 5, 10, 9, tzinfo=UTC)
_STAGE_LISTS = [
    ["self_intro", "skill_test", "scenario_simulation"],
    ["self_intro"],
    ["warm-up", "coding.v2", "Case_3"],
    ["self_intro", "skill_test", "scenario_simulation"],
    ["a"],
]


def _utc(value: datetime | str | None) -> datetime | None:
    # Raw SQL reads: SQLite hands back text without a zone, PostgreSQL an aware datetime.
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _session(session_id: str, started_at: datetime, stages: list[str]) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "workflow_id": f"interview-session-{session_id}",
        "candidate_id": "c-1",
        "locale": "en",
        "job_id": "job-a",
        "job_title": "Job",
        "interviewer_id": "iv-1",
        "stages": stages,
        "policy": {},
        "status": "withdrawn",
        "current_stage": "self_intro",
        "started_at": started_at,
        "updated_at": started_at,
        "last_event_seq": 2,
    }


def _exit(exit_id: str, session_id: str, at: datetime) -> dict[str, Any]:
    ids = {"candidate_id": "c-1", "job_id": "job-a", "interviewer_id": "iv-1"}
    return {"exit_id": exit_id, "session_id": session_id, "at": at, **ids} | {
        "kind": "withdrawn",
        "reason_code": "salary_expectation",
        "stage": "self_intro",
    }


def _tag(exit_id: str, at: datetime) -> dict[str, Any]:
    return {
        "exit_id": exit_id,
        "tag": "salary_expectation_above_range",
        "candidate_id": "c-1",
        "session_id": f"s-{exit_id}",
        "job_id": "job-a",
        "reason_code": "salary_expectation",
        "at": at,
    }


@pytest.fixture
async def old_store(database_url: str) -> AsyncIterator[Store]:
    """A store whose schema stops just before revision 0004."""
    async with store_before(database_url, "0004_report_columns") as store:
        yield store


async def test_upgrade_copies_session_starts_and_links_tags(old_store: Store) -> None:
    """Exits get their session's start, sessions their stage list, tags their previous
    ``at`` (ties broken by exit_id)."""
    # Tags stored out of order, two of them at the same moment.
    times = {"x3": T0 + timedelta(days=3), "x1": T0, "x2": T0 + timedelta(days=1)}
    times |= {"xb": T0 + timedelta(days=4), "xa": T0 + timedelta(days=4)}
    async with old_store.engine.begin() as conn:
        await conn.execute(
            insert(SessionRow),
            [
                _session(f"s-{x}", at - timedelta(minutes=5), stages)
                for (x, at), stages in zip(times.items(), _STAGE_LISTS, strict=True)
            ],
        )
        await conn.execute(insert(ExitRow), [_exit(x, f"s-{x}", at) for x, at in times.items()])
        await conn.execute(insert(CandidateTagRow), [_tag(x, at) for x, at in times.items()])

    await old_store.create_schema()

    exits = await fetch(old_store, "SELECT exit_id, at, session_started_at FROM exits")
    assert {
        row["exit_id"]: _utc(row["at"]) - _utc(row["session_started_at"])  # type: ignore[operator]
        for row in exits
    } == dict.fromkeys(times, timedelta(minutes=5))
    sessions = await fetch(old_store, "SELECT stage_list FROM sessions ORDER BY session_id")
    assert sorted(row["stage_list"] for row in sessions) == sorted(
        ",".join(stages) for stages in _STAGE_LISTS
    )
    tags = await fetch(old_store, "SELECT exit_id, previous_at FROM candidate_tags")
    assert {row["exit_id"]: _utc(row["previous_at"]) for row in tags} == {
        "x1": None,
        "x2": times["x1"],
        "x3": times["x2"],
        "xa": times["x3"],
        "xb": times["xa"],
    }
