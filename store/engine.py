"""Engines for exitflow's store: SQLite set up for concurrent writers, or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

DEFERRED_BEGIN = "exitflow_deferred_begin"
"""Execution option of read-only sessions: on SQLite they BEGIN without the write lock."""

_SQLITE_BUSY_TIMEOUT_SECONDS = 30
_SQLITE_INTERRUPT_EVERY_SECONDS = 0.05
_QUERY_CANCELED = "57014"


def create_engine(url: str) -> AsyncEngine:
    """An async engine on ``sqlite+aiosqlite:///path`` or ``postgresql+asyncpg://...``.

    For SQLite the file's directory is created, WAL and a busy timeout are enabled, and
    every writing transaction takes the write lock at BEGIN (``BEGIN IMMEDIATE``) so that
    concurrent writers queue instead of failing with "database is locked".
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # hide_parameters: an error's text never carries the row it failed on (names, emails).
    return create_async_engine(parsed, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: URL) -> AsyncEngine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_SECONDS}, hide_parameters=True
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand BEGIN over to SQLAlchemy (the "begin" hook below), as the SQLAlchemy docs'
        # "Enabling Non-Legacy SQLite Transactional Modes" recipe does for aiosqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred BEGIN that later upgrades to a write fails at once with SQLITE_BUSY
        # instead of waiting, so writers take the lock up front. Readers stay deferred:
        # under WAL they then never block a writer.
        deferred = conn.get_execution_options().get(DEFERRED_BEGIN, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


@contextlib.asynccontextmanager
async def statement_timeout(conn: AsyncConnection, seconds: float) -> AsyncIterator[None]:
    """Stop what ``conn``'s open transaction runs once it takes longer than ``seconds``.

    PostgreSQL cancels any statement over the limit (``SET LOCAL statement_timeout``, so it
    ends with the transaction). SQLite has no such setting: once ``seconds`` have passed
    since entering, every statement still running or started later is interrupted, until the
    block is left. Either way the statement fails with an error that
    :func:`is_statement_timeout` recognises, and the connection stays usable.
    """
    if conn.dialect.name == "postgresql":
        milliseconds = max(1, round(seconds * 1000))
        await conn.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
        yield
        return
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None

    async def interrupt_when_late() -> None:
        await asyncio.sleep(seconds)
        while True:  # a statement that starts after the deadline is stopped as well
            await driver.interrupt()
            await asyncio.sleep(_SQLITE_INTERRUPT_EVERY_SECONDS)

    interrupter = asyncio.create_task(interrupt_when_late())
    try:
        yield
    finally:
        interrupter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await interrupter


def is_statement_timeout(err: BaseException) -> bool:
    """Whether a database error is :func:`statement_timeout` stopping a statement."""
    orig = getattr(err, "orig", None)
    return (
        getattr(orig, "sqlstate", None) == _QUERY_CANCELED
        or getattr(orig, "sqlite_errorname", None) == "SQLITE_INTERRUPT"
    )
