"""``exitflow keys ...``: API keys made at run time, beside those of ``EXITFLOW_API_KEYS``."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from contract.codes import ROLES
from sessions.refusals import field_refused
from starter.local_stack import with_store
from starter.output import print_json

if TYPE_CHECKING:
    from store import Store

_MAX_EXPIRES_DAYS = 3650
_HELP = """Keys for machines (the interview platform, scripts), one role each. A key's secret is
printed once, when it is made; exitflow keeps only its SHA-256. Revoking stops the key at once
and keeps its name taken. Making and revoking are recorded in the audit chain."""


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``keys create``, ``keys list`` and ``keys revoke`` to the ``exitflow`` parser."""
    keys = commands.add_parser("keys", help="API keys made at run time", description=_HELP)
    sub = keys.add_subparsers(title="keys commands")

    create = sub.add_parser("create", help="make a key and print its secret, once")
    create.add_argument("--name", required=True, help="1-64 of a-z 0-9 . _ -, never reused")
    create.add_argument("--role", required=True, help=f"one of {', '.join(ROLES)}")
    create.add_argument(
        "--expires-days", type=_expires_days, help=f"1 to {_MAX_EXPIRES_DAYS} (default: never)"
    )
    create.add_argument("--actor-id", default="", help="who makes it, for the audit trail")
    create.set_defaults(run=_create)

    listing = sub.add_parser("list", help="every key: name, role, times; never a secret")
    listing.set_defaults(run=_list)

    revoke = sub.add_parser("revoke", help="stop a key at once; its name stays taken")
    revoke.add_argument("name")
    revoke.add_argument("--actor-id", default="", help="who revokes it, for the audit trail")
    revoke.set_defaults(run=_revoke)


def _expires_days(text: str) -> int:
    """A whole number of days from 1 to ``_MAX_EXPIRES_DAYS``; anything else a usage error."""
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= _MAX_EXPIRES_DAYS:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {_MAX_EXPIRES_DAYS}")
    return days


def _actor_id(text: str) -> str:
    from contract.sessions import ContractInput, Identifier

    class _Actor(ContractInput):
        actor_id: Identifier | None = None

    return _Actor(actor_id=text or None).actor_id or ""


async def _create(args: argparse.Namespace) -> int:
    from store import KeyNameTaken

    actor_id = _actor_id(args.actor_id)

    async def run(store: Store) -> int:
        expires_at = None
        if args.expires_days is not None:
            expires_at = datetime.now(UTC) + timedelta(days=args.expires_days)
        try:
            key, secret = await store.keys.create(
                args.name, args.role, expires_at, actor_id=actor_id
            )
        except KeyNameTaken as err:
            raise field_refused(err.field, str(err)) from None
        print_json(
            {
                **key.model_dump(mode="json"),
                "secret": secret,
                "note": "The secret is shown only now; exitflow keeps only its hash.",
            }
        )
        return 0

    return await with_store(run)


async def _list(args: argparse.Namespace) -> int:
    async def run(store: Store) -> int:
        print_json([key.model_dump(mode="json") for key in await store.keys.list()])
        return 0

    return await with_store(run)


async def _revoke(args: argparse.Namespace) -> int:
    actor_id = _actor_id(args.actor_id)

    async def run(store: Store) -> int:
        revoked = await store.keys.revoke(args.name, actor_id=actor_id)
        key = next((key for key in await store.keys.list() if key.name == args.name), None)
        if key is None:
            raise field_refused("name", "No API key has this name.")
        print_json({**key.model_dump(mode="json"), "revoked_now": revoked})
        return 0

    return await with_store(run)
