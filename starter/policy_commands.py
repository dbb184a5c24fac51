"""``exitflow policies ...``: exit policies for scripts, straight on the database.

What ``PUT /v1/policies/{id}`` does, without the API: the author is whoever the flags (or
the file's ``actor``) name, recorded ``verified: false``, as for an API key.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sessions.refusals import SessionRefused, field_refused
from starter.local_stack import with_store
from starter.output import print_json

if TYPE_CHECKING:
    from store import Store

MAX_FILE_BYTES = 64 * 1024
"""A policy is a few hundred bytes; its job list at most some tens of kilobytes."""
CLI_AUTHOR = {"id": "cli", "name": "exitflow CLI"}
"""The author of a ``set`` that names nobody."""
_HELP = """Exit policies: per job, and a default for every job without its own. Each `set` that
changes something saves a new version, audited; fields missing from the file keep their value."""


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``policies list``, ``policies show`` and ``policies set`` to the ``exitflow`` parser."""
    policies = commands.add_parser("policies", help="exit policies, versioned", description=_HELP)
    sub = policies.add_subparsers(title="policies commands")

    listing = sub.add_parser("list", help="every policy's current version")
    listing.set_defaults(run=_list)

    show = sub.add_parser("show", help="a policy's current version and history, newest first")
    show.add_argument("policy_id")
    show.add_argument("--limit", type=int, default=50, help="versions to list, 1 to 200")
    show.set_defaults(run=_show)

    put = sub.add_parser("set", help="save a new version from a JSON file of fields")
    put.add_argument("policy_id")
    put.add_argument("--file", required=True, type=Path, help="JSON object of policy fields")
    put.add_argument("--actor-id", help="who changes it (recorded verified: false)")
    put.add_argument("--actor-name", help="their name")
    put.set_defaults(run=_set)


def _read_fields(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise field_refused("file", f"cannot read the file: {err.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise field_refused("file", f"must be at most {MAX_FILE_BYTES} bytes")
    try:
        values = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise field_refused("file", "must be a JSON object of policy fields") from None
    if not isinstance(values, dict):
        raise field_refused("file", "must be a JSON object of policy fields")
    return values


async def _list(args: argparse.Namespace) -> int:
    async def run(store: Store) -> int:
        print_json([policy.model_dump(mode="json") for policy in await store.policies.list()])
        return 0

    return await with_store(run)


async def _show(args: argparse.Namespace) -> int:
    from contract.policies import MAX_HISTORY, POLICY_NOT_FOUND

    if not 1 <= args.limit <= MAX_HISTORY:
        raise field_refused("limit", f"must be from 1 to {MAX_HISTORY}")

    async def run(store: Store) -> int:
        history = await store.policies.history(args.policy_id, limit=args.limit)
        if history is None:
            raise SessionRefused(POLICY_NOT_FOUND, "No policy has this id.", {})
        print_json(history)
        return 0

    return await with_store(run)


async def _set(args: argparse.Namespace) -> int:
    from contract.policies import ExitPolicyFields, PutPolicy
    from contract.sessions import Actor
    from store import PolicyConflict

    request = PutPolicy.model_validate(_read_fields(args.file))
    named = {"id": args.actor_id, "name": args.actor_name}
    if request.actor is not None and args.actor_id is None and args.actor_name is None:
        named = request.actor.model_dump(include={"id", "name"})
    author = Actor.model_validate(
        {key: value or CLI_AUTHOR[key] for key, value in named.items()} | {"verified": False}
    )
    fields = ExitPolicyFields.model_validate(request.model_dump(exclude={"actor"}))

    async def run(store: Store) -> int:
        try:
            saved, made = await store.policies.save(args.policy_id, fields, author=author)
        except PolicyConflict as err:
            raise SessionRefused(err.code, err.message, err.details) from None
        print_json({**saved.model_dump(mode="json"), "new_version": made})
        return 0

    return await with_store(run)
