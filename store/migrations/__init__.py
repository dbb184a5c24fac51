"""exitflow's schema migrations (Alembic) and how the store runs them.

Every schema change is a revision in ``versions/``; ``upgrade`` brings a database to the
newest (or a named) revision on a connection the caller already holds, so that the caller's
lock (PostgreSQL advisory lock, SQLite ``BEGIN IMMEDIATE``) covers the whole upgrade.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = [
    "BASELINE",
    "MIGRATIONS_DIR",
    "alembic_config",
    "current",
    "head",
    "include_object_for",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).parent
BASELINE = "0001_baseline"
"""The schema as ``create_all`` made it before migrations existed."""

# Alembic's ``op`` and ``context`` are module-wide proxies: two upgrades interleaving in
# one event loop (two stores on two databases) would swap them under each other.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def alembic_config() -> Config:
    """An Alembic ``Config`` on exitflow's migrations, without an ini file.

    ``env.py`` runs on the connection in ``config.attributes["connection"]`` when there is
    one, else on ``EXITFLOW_DATABASE_URL``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head() -> str:
    """The newest revision (exactly one head: revisions form a line)."""
    revision = _scripts().get_current_head()
    if revision is None:
        raise RuntimeError(f"no revisions in {MIGRATIONS_DIR / 'versions'}")
    return revision


def include_object_for(dialect: str) -> Callable[..., bool]:
    """Autogenerate's ``include_object`` filter for ``dialect``.

    It leaves out what ``.ddl_if(dialect=...)`` keeps off this dialect (the SQLite-only
    funnel index), which autogenerate would otherwise report missing on PostgreSQL.
    """

    def include(obj: Any, _name: str | None, _type: str, _reflected: bool, _other: Any) -> bool:
        condition = getattr(obj, "_ddl_if", None)  # where SQLAlchemy keeps .ddl_if(...)
        if condition is None or condition.dialect is None:
            return True
        allowed = condition.dialect
        return dialect == allowed if isinstance(allowed, str) else dialect in allowed

    return include


async def current(conn: AsyncConnection) -> str | None:
    """The revision the database is at; None when it has no ``alembic_version`` row."""
    return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def upgrade(conn: AsyncConnection, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` inside the caller's transaction.

    A database made before migrations existed (exitflow's tables, no ``alembic_version``)
    is stamped at the baseline first, so that only the later revisions run on it.
    """
    lock = _LOCKS.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock:
        await conn.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    tables = set(inspect(connection).get_table_names())
    if "sessions" in tables and "alembic_version" not in tables:
        command.stamp(config, BASELINE)
    script = _scripts()
    # What ``command.upgrade`` does, on the cached script directory.
    with EnvironmentContext(
        config,
        script,
        fn=lambda rev, _context: script._upgrade_revs(revision, rev),
        destination_rev=revision,
    ):
        script.run_env()


@functools.cache
def _scripts() -> ScriptDirectory:
    # Loaded once per process: ``command.upgrade`` reads every revision file again on each
    # call (10 ms of CPU for four revisions, a quarter of a fresh database's upgrade).
    return ScriptDirectory(str(MIGRATIONS_DIR))
