"""``exitflow retention ...``: run retention now, or ensure its daily schedule."""

from __future__ import annotations

import argparse

from starter.local_stack import cli_settings
from starter.output import print_json

_HELP = """Ended sessions quiet for the retention period (EXITFLOW_RETENTION_DAYS, default 365)
lose their personal data: names, emails, phones, free text, IP addresses, recording links.
Ids, kinds, reasons, stages and times stay, so every report's totals stay the same.
Candidates under a litigation hold are skipped. A worker must be running."""


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``retention run`` and ``retention schedule`` to the ``exitflow`` parser."""
    retention = commands.add_parser(
        "retention", help="anonymise old interview data", description=_HELP
    )
    sub = retention.add_subparsers(title="retention commands")

    run = sub.add_parser("run", help="run retention now and print what it did")
    run.add_argument(
        "--older-than-days", type=int, help="the period (default EXITFLOW_RETENTION_DAYS)"
    )
    run.add_argument("--dry-run", action="store_true", help="only count what is due")
    run.add_argument("--batch-size", type=int, default=500, help="sessions per transaction")
    run.set_defaults(run=_run)

    schedule = sub.add_parser("schedule", help="create or update the daily schedule (03:00 UTC)")
    schedule.set_defaults(run=_schedule)


async def _run(args: argparse.Namespace) -> int:
    from contract.data_rights import RetentionInput
    from runtime.retention_schedule import run_retention
    from runtime.worker import connect

    settings = cli_settings()
    days = args.older_than_days
    request = RetentionInput(
        older_than_days=settings.retention_days if days is None else days,
        dry_run=args.dry_run,
        batch_size=args.batch_size,
    )
    result = await run_retention(await connect(settings), settings.task_queue, request)
    print_json(result)
    return 0


async def _schedule(args: argparse.Namespace) -> int:
    from runtime.retention_schedule import RETENTION_SCHEDULE_ID, ensure_retention_schedule
    from runtime.worker import connect

    settings = cli_settings()
    outcome = await ensure_retention_schedule(await connect(settings), settings)
    print_json(
        {
            "schedule_id": RETENTION_SCHEDULE_ID,
            "outcome": outcome,
            "retention_days": settings.retention_days,
            "task_queue": settings.task_queue,
        }
    )
    return 0
