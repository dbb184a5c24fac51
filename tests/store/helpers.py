"""Raw SQL reads, so that tests assert what is actually stored, not what the store says."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from store import Store


async def fetch(store: Store, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Every row ``sql`` returns, as dicts."""
    async with store.engine.connect() as conn:
        result = await conn.execute(text(sql), params)
        return [dict(row) for row in result.mappings()]


async def execute(store: Store, sql: str, **params: Any) -> None:
    """Run a statement behind the store's back (to tamper with rows) and commit it."""
    async with store.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def count(store: Store, table: str, session_id: str | None = None) -> int:
    """How many rows ``table`` holds, optionally for one session."""
    if session_id is None:
        rows = await fetch(store, f"SELECT COUNT(*) AS n FROM {table}")
    else:
        sql = f"SELECT COUNT(*) AS n FROM {table} WHERE session_id = :session_id"
        rows = await fetch(store, sql, session_id=session_id)
    return int(rows[0]["n"])
