"""Representative rows for whatever tables a database has, written and read through SQL.

The migration tests put one realistic row in every table a revision has, upgrade, and read
the rows back. Values come by column name where exitflow gives the name a meaning (ids
that join, codes, JSON shapes), else by column type, so tables and columns added by later
revisions need nothing here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncConnection

from store import Store
from store.migrations import MIGRATIONS_DIR

Rows = dict[str, list[dict[str, Any]]]
"""Every row of every table, by table name."""

_AT = datetime(2024, 5, 10, 9, 0, tzinfo=UTC)
_SESSION = "s-migrated-1"
_BY_NAME: dict[str, Any] = {
    "session_id": _SESSION,
    "workflow_id": f"interview-session-{_SESSION}",
    "exit_id": "x-migrated-1",
    "event_id": "ev-migrated-1",
    "candidate_id": "c-9",
    "candidate_name": "Alex Morgan",
    "candidate_email": "alex.morgan@example.com",
    "candidate_phone": "+14155550123",
    "locale": "en",
    "job_id": "job-sales-manager",
    "job_title": "Sales Manager",
    "interviewer_id": "iv-7",
    "stages": ["self_intro", "skill_test", "scenario_simulation"],
    "policy": {"resume_window_hours": 24, "channels": ["email"], "can_reapply": True},
    "status": "withdrawn",
    "stage": "skill_test",
    "current_stage": "skill_test",
    "kind": "withdrawn",
    "reason_code": "salary_expectation",
    "tag": "salary_expectation_above_range",
    "type": "interview.withdrawn",
    "payload": {"type": "interview.withdrawn", "session_id": _SESSION},
    "channel": "email",
    "outcome": "sent",
    "started_at": _AT,
}
_BY_TABLE: dict[tuple[str, str], Any] = {
    ("segments", "kind"): "video",
    ("downstream_steps", "kind"): "written_test",
    ("downstream_steps", "status"): "cancelled",
}


def representative_value(table: str, column: sa.Column[Any]) -> Any:
    """A value that ``table.column`` could hold in production.

    Raises:
        AssertionError: When the column's type has no representative value here yet.
    """
    if (table, column.name) in _BY_TABLE:
        return _BY_TABLE[table, column.name]
    if column.name in _BY_NAME:
        return _BY_NAME[column.name]
    type_ = column.type
    if isinstance(type_, sa.JSON):
        return {"note": f"{table}.{column.name}"}
    if isinstance(type_, sa.DateTime):
        return _AT + timedelta(minutes=30)
    if isinstance(type_, sa.Boolean):
        return True
    if isinstance(type_, sa.Integer):
        return 1
    if isinstance(type_, sa.Float | sa.Numeric):
        return 1.5
    if isinstance(type_, sa.String):
        value = f"{column.name}-1"
        return value[: type_.length] if type_.length else value
    raise AssertionError(f"no representative value for {table}.{column.name} ({type_!r})")


@asynccontextmanager
async def store_before(database_url: str, revision: str) -> AsyncIterator[Store]:
    """A store on ``database_url`` whose schema stops just before ``revision``."""
    before = ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision).down_revision
    store = Store.from_url(database_url)
    try:
        await store.create_schema(revision=str(before))
        yield store
    finally:
        await store.dispose()


async def fill(conn: AsyncConnection) -> None:
    """Insert one representative row into every table the database has now."""
    for table in (await _reflect(conn)).sorted_tables:
        row = {column.name: representative_value(table.name, column) for column in table.columns}
        await conn.execute(table.insert().values(row))


async def read(conn: AsyncConnection) -> Rows:
    """Every row of every table, read through the tables as the database describes them."""
    rows: Rows = {}
    for table in (await _reflect(conn)).sorted_tables:
        result = await conn.execute(sa.select(table))
        rows[table.name] = [dict(row) for row in result.mappings()]
    return rows


def missing(
    before: Rows, after: Rows, *, rewritten: Mapping[str, set[str]] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The rows of ``before`` that ``after`` lost or changed, in the columns both have.

    A table or column that the upgrade dropped is not compared: dropping it is the point
    of such a revision; nor are the ``rewritten`` columns (by table) of a revision that
    rewrites them on purpose, which its own test checks.
    """
    lost = []
    for table, rows in before.items():
        if table not in after:
            continue
        # The columns both revisions have (an empty table after: every row is lost).
        columns = set(after[table][0]).intersection(*rows) if after[table] else set()
        columns -= (rewritten or {}).get(table, set())
        found = [{k: v for k, v in row.items() if k in columns} for row in after[table]]
        for row in rows:
            kept = {k: v for k, v in row.items() if k in columns}
            if kept not in found:
                lost.append((table, kept or row))
    return lost


async def _reflect(conn: AsyncConnection) -> sa.MetaData:
    metadata = sa.MetaData()
    await conn.run_sync(metadata.reflect)
    if "alembic_version" in metadata.tables:
        metadata.remove(metadata.tables["alembic_version"])
    return metadata
