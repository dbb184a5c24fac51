"""``exitflow contest ...``: HR's review queue and decisions, and contesting by hand."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from contract.codes import ContestStatus, ErrorCode
from contract.contests import ContestDecisionInput, ContestInput
from sessions.client import SessionClient
from sessions.link_tokens import LinkTokens
from sessions.refusals import SessionRefused
from starter.local_stack import cli_settings
from starter.output import print_json


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``contest`` and its subcommands to the ``exitflow`` parser."""
    contest = commands.add_parser("contest", help="contests of terminations: review and decide")
    sub = contest.add_subparsers(title="contest commands")

    listing = sub.add_parser("list", help="review tasks, oldest first, with the full record")
    listing.add_argument(
        "--status", choices=[*ContestStatus, "all"], default="open", help="default: open"
    )
    listing.add_argument("--limit", type=_page_size, default=50, help="1 to 200 (default 50)")
    listing.set_defaults(run=_list)

    show = sub.add_parser("show", help="one contest with the full record")
    show.add_argument("contest_id")
    show.set_defaults(run=_show)

    decide = sub.add_parser("decide", help="uphold or overturn a contest")
    decide.add_argument("contest_id")
    decide.add_argument("--outcome", choices=["upheld", "overturned"], required=True)
    decide.add_argument("--explanation", required=True, help="sent to the candidate")
    decide.add_argument("--actor-id", required=True)
    decide.add_argument("--actor-name", required=True)
    decide.set_defaults(run=_decide)

    file = sub.add_parser("file", help="contest a termination as the candidate would")
    file.add_argument("session_id")
    file.add_argument("--token", required=True, help="from the termination email's link")
    file.add_argument("--statement", required=True)
    file.set_defaults(run=_file)


def _page_size(text: str) -> int:
    """A page size of 1 to 200, as the API allows; anything else is a usage error."""
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= 200:
        raise argparse.ArgumentTypeError("must be a whole number from 1 to 200")
    return size


async def _with_store(call: Any) -> int:
    from store import Store

    store = Store.from_url(cli_settings().database_url)
    try:
        return int(await call(store))
    finally:
        await store.dispose()


async def _sessions() -> SessionClient:
    from runtime.worker import connect

    settings = cli_settings()
    return SessionClient(await connect(settings), settings.task_queue)


async def _list(args: argparse.Namespace) -> int:
    status = None if args.status == "all" else ContestStatus(args.status)

    async def run(store: Any) -> int:
        print_json(await store.contests.list_tasks(status=status, limit=args.limit))
        return 0

    return await _with_store(run)


async def _show(args: argparse.Namespace) -> int:
    async def run(store: Any) -> int:
        stored = await store.contests.find(args.contest_id)
        if stored is None:
            raise SessionRefused(ErrorCode.CONTEST_NOT_FOUND, "No contest has this id.")
        print_json(await store.contests.review_task(stored))
        return 0

    return await _with_store(run)


async def _decide(args: argparse.Namespace) -> int:
    decision = ContestDecisionInput.model_validate(
        {
            "contest_id": args.contest_id,
            "outcome": args.outcome,
            "explanation": args.explanation,
            "actor": {"id": args.actor_id, "name": args.actor_name},
        }
    )

    async def run(store: Any) -> int:
        stored = await store.contests.find(args.contest_id)
        if stored is None:
            raise SessionRefused(ErrorCode.CONTEST_NOT_FOUND, "No contest has this id.")
        sessions = await _sessions()
        print_json(await sessions.decide_contest(stored.session_id, decision))
        return 0

    return await _with_store(run)


async def _file(args: argparse.Namespace) -> int:
    request = ContestInput(contest_token=args.token, statement=args.statement)
    link_tokens = LinkTokens.for_settings(await _sessions(), cli_settings())
    print_json(await link_tokens.contest(args.session_id, request, now=datetime.now(UTC)))
    return 0
