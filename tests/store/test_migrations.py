"""Schema migrations: the newest revision is the declared schema, and upgrades keep rows."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from config import get_settings
from starter import cli
from store import Store
from store.migrations import (
    BASELINE,
    MIGRATIONS_DIR,
    current,
    head,
    include_object_for,
)
from store.tables import Base
from tests.store.migration_rows import fill, missing, read

_REVISIONS = list(reversed(list(ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions())))
_STEPS = [(rev.down_revision, rev.revision) for rev in _REVISIONS if rev.down_revision]
_REWRITTEN = {"0006_audit_personal": {"audit_log": {"body", "prev_hash", "hash"}}}
"""Columns a revision rewrites on purpose (0006 re-chains the audit log: test_migration_0006)."""
_EVER_REWRITTEN = {table: cols for step in _REWRITTEN.values() for table, cols in step.items()}


@asynccontextmanager
async def _store(database_url: str) -> AsyncIterator[Store]:
    store = Store.from_url(database_url)
    try:
        yield store
    finally:
        await store.dispose()


async def _revision(store: Store) -> str | None:
    async with store.engine.connect() as conn:
        return await current(conn)


def _schema_differences(conn: Connection) -> list[Any]:
    # Compared: tables, columns, types, nullability, server defaults, indexes, unique
    # constraints. Left out: what ``.ddl_if`` keeps off this dialect (the SQLite-only funnel
    # index on PostgreSQL). Not comparable by alembic, so checked by ``_unseen_by_alembic``:
    # partial indexes' WHERE and autoincrement. Column order and UTCDateTime (a Python-side
    # decorator, compared by its DateTime impl) do not change what the database stores.
    options = {
        "compare_type": True,
        "compare_server_default": True,
        "include_object": include_object_for(conn.dialect.name),
    }
    return list(compare_metadata(MigrationContext.configure(conn, opts=options), Base.metadata))


def _unseen_by_alembic(conn: Connection) -> list[str]:
    sqlite = conn.dialect.name == "sqlite"
    ddl = (
        "SELECT sql FROM sqlite_master WHERE name = :name"
        if sqlite
        else "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    )
    problems = []
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            where = index.dialect_options[conn.dialect.name].get("where")
            made = conn.scalar(sa.text(ddl), {"name": index.name})
            if where is not None and " WHERE " not in str(made).upper():
                problems.append(f"index {index.name} is not partial")
        if table.autoincrement_column is None:
            continue
        if sqlite and table.dialect_options["sqlite"]["autoincrement"]:
            made = conn.scalar(sa.text(ddl), {"name": table.name})
            if "AUTOINCREMENT" not in str(made).upper():
                problems.append(f"{table.name} may reuse ids")
        if not sqlite:
            serial = sa.text("SELECT pg_get_serial_sequence(:table, :column)")
            column = table.autoincrement_column.name
            if conn.scalar(serial, {"table": table.name, "column": column}) is None:
                problems.append(f"{table.name}.{column} has no sequence")
    return problems


async def test_upgrading_an_empty_database_to_head_gives_exactly_the_declared_schema(
    database_url: str,
) -> None:
    """An empty database upgraded to head has exactly the tables, columns and indexes of
    ``Base.metadata``."""
    async with _store(database_url) as store:
        await store.create_schema()
        async with store.engine.connect() as conn:
            differences = await conn.run_sync(_schema_differences)
            unseen = await conn.run_sync(_unseen_by_alembic)

    assert differences == []
    assert unseen == []


@pytest.mark.parametrize(("before", "revision"), _STEPS, ids=[rev for _, rev in _STEPS])
async def test_each_revision_keeps_the_rows_written_before_it(
    database_url: str, before: str, revision: str
) -> None:
    """Upgrading from a revision's predecessor to it keeps every row, value for value."""
    async with _store(database_url) as store:
        await store.create_schema(before)
        async with store.engine.begin() as conn:
            await fill(conn)
            written = await read(conn)
        await store.create_schema(revision)
        async with store.engine.connect() as conn:
            upgraded = await read(conn)
        reached = await _revision(store)

    assert reached == revision
    assert all(written.values())
    assert missing(written, upgraded, rewritten=_REWRITTEN.get(revision)) == []


async def test_create_schema_stamps_and_upgrades_a_database_from_before_migrations(
    database_url: str,
) -> None:
    """A database with the baseline's tables but no ``alembic_version`` is stamped at the
    baseline, then upgraded to head by ``create_schema``, its rows kept."""
    async with _store(database_url) as store:
        await store.create_schema(BASELINE)
        async with store.engine.begin() as conn:
            await fill(conn)
            await conn.execute(sa.text("DROP TABLE alembic_version"))
            written = await read(conn)
        assert await _revision(store) is None

        await store.create_schema()
        async with store.engine.connect() as conn:
            upgraded = await read(conn)
        reached = await _revision(store)

    assert reached == head()
    assert missing(written, upgraded, rewritten=_EVER_REWRITTEN) == []


async def test_two_stores_creating_the_schema_at_once_both_succeed(database_url: str) -> None:
    """Two stores upgrading one fresh database at the same time both succeed, ending at head."""
    async with _store(database_url) as first, _store(database_url) as second:
        await asyncio.gather(first.create_schema(), second.create_schema())
        reached = await _revision(first)

    assert reached == head()


async def _exitflow(argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    args: argparse.Namespace = cli._parser().parse_args(argv)
    assert await args.run(args) == 0
    return json.loads(capsys.readouterr().out)


async def test_db_upgrade_then_db_current_report_head(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``exitflow db upgrade`` brings EXITFLOW_DATABASE_URL to head; ``db current`` says so."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        upgraded = await _exitflow(["db", "upgrade"], capsys)
        reported = await _exitflow(["db", "current"], capsys)
    finally:
        get_settings.cache_clear()

    expected = {"current": head(), "head": head(), "up_to_date": True}
    assert upgraded == expected
    assert reported == expected
