"""``exitflow session stuck`` and ``exitflow session retry``: steps that failed for good."""

from __future__ import annotations

import argparse
from typing import Any

from contract.stuck import RetryStuckSteps
from sessions.client import SessionClient
from sessions.stuck import list_stuck_sessions
from starter.local_stack import cli_settings
from starter.output import print_json, run_and_print


def add_to(sub: Any) -> None:
    """Add ``stuck`` and ``retry`` to the ``exitflow session`` subcommands."""
    stuck = sub.add_parser("stuck", help="list the sessions with pipeline steps stuck for good")
    stuck.add_argument("--limit", type=int, default=100)
    stuck.set_defaults(run=_stuck)

    retry = sub.add_parser("retry", help="retry (or give up) a session's stuck steps")
    retry.add_argument("session_id")
    retry.add_argument("--step", dest="step_id", help="one step id (default: every stuck step)")
    retry.add_argument(
        "--give-up", action="store_true", help="stop waiting instead: the step stays undone"
    )
    retry.set_defaults(run=_retry)


async def _connect() -> Any:
    from runtime.worker import connect

    settings = cli_settings()
    return await connect(settings), settings.task_queue


async def _stuck(args: argparse.Namespace) -> int:
    client, task_queue = await _connect()
    sessions = await list_stuck_sessions(client, task_queue, limit=args.limit)
    print_json({"sessions": [session.model_dump(mode="json") for session in sessions]})
    return 0


async def _retry(args: argparse.Namespace) -> int:
    request = RetryStuckSteps(step_id=args.step_id, give_up=args.give_up)
    client, task_queue = await _connect()
    sessions = SessionClient(client, task_queue)
    return await run_and_print(lambda: sessions.retry_stuck_steps(args.session_id, request))
