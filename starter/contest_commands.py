"""``exitflow contest ...``: HR's review queue and decisions, and contesting by hand."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from contract.codes import ContestStatus, ErrorCode
from contract.contests import ContestDecisionInput, ContestInput
from links.contest import ContestTokenExpired, InvalidContestToken, open_contest_token
from links.resume import resume_token_key
from sessions.client import SessionClient, SessionRefused
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
    listing.add_argument("--limit", type=int, default=50)
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
    from store.contests import list_contests

    status = None if args.status == "all" else ContestStatus(args.status)

    async def run(store: Any) -> int:
        print_json(await list_contests(store, status=status, limit=args.limit))
        return 0

    return await _with_store(run)


async def _show(args: argparse.Namespace) -> int:
    from store.contests import find_contest, review_task

    async def run(store: Any) -> int:
        stored = await find_contest(store, args.contest_id)
        if stored is None:
            raise SessionRefused(ErrorCode.CONTEST_NOT_FOUND, "No contest has this id.")
        print_json(await review_task(store, stored))
        return 0

    return await _with_store(run)


async def _decide(args: argparse.Namespace) -> int:
    from store.contests import find_contest

    decision = ContestDecisionInput.model_validate(
        {
            "contest_id": args.contest_id,
            "outcome": args.outcome,
            "explanation": args.explanation,
            "actor": {"id": args.actor_id, "name": args.actor_name},
        }
    )

    async def run(store: Any) -> int:
        stored = await find_contest(store, args.contest_id)
        if stored is None:
            raise SessionRefused(ErrorCode.CONTEST_NOT_FOUND, "No contest has this id.")
        sessions = await _sessions()
        print_json(await sessions.decide_contest(stored.session_id, decision))
        return 0

    return await _with_store(run)


async def _file(args: argparse.Namespace) -> int:
    request = ContestInput(
        contest_token=_raw_token(args.session_id, args.token), statement=args.statement
    )
    sessions = await _sessions()
    print_json(await sessions.contest(args.session_id, request))
    return 0


def _raw_token(session_id: str, token: str) -> str:
    """The workflow's token: as given, or opened from the signed one of an email's link."""
    secret = resume_token_key(cli_settings().resume_token_secret)
    if secret is None or "." not in token:
        return token
    try:
        opened = open_contest_token(secret, token, session_id=session_id, now=datetime.now(UTC))
    except ContestTokenExpired as err:
        raise SessionRefused(ErrorCode.CONTEST_WINDOW_CLOSED, str(err)) from err
    except InvalidContestToken as err:
        raise SessionRefused(ErrorCode.INVALID_CONTEST_TOKEN, str(err)) from err
    return opened.raw_token
