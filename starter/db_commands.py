"""``exitflow db upgrade`` and ``exitflow db current``: the database schema's migrations."""

from __future__ import annotations

import argparse

from alembic.util import CommandError

from config import get_settings
from starter.output import print_json
from store import Store


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``db`` (``upgrade``, ``current``) to the ``exitflow`` parser."""
    db = commands.add_parser(
        "db", help="the database schema (EXITFLOW_DATABASE_URL): upgrade it, show its revision"
    )
    db_commands = db.add_subparsers(title="db commands")
    upgrade = db_commands.add_parser(
        "upgrade", help="apply the migrations the database lacks (safe while others run it)"
    )
    upgrade.add_argument(
        "--revision", default="head", help="the revision to reach (default: the newest)"
    )
    upgrade.set_defaults(run=_upgrade)
    current = db_commands.add_parser("current", help="print the database's revision and head")
    current.set_defaults(run=_current)


async def _upgrade(args: argparse.Namespace) -> int:
    store = Store.from_url(get_settings().database_url)
    try:
        await store.create_schema(args.revision)
        print_json(await store.schema_revision())
    except CommandError as err:  # an unknown revision, or one behind the database's
        print_json({"error": {"code": "invalid_revision", "message": str(err)}})
        return 1
    finally:
        await store.dispose()
    return 0


async def _current(args: argparse.Namespace) -> int:
    store = Store.from_url(get_settings().database_url)
    try:
        print_json(await store.schema_revision())
    finally:
        await store.dispose()
    return 0
