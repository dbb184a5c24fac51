"""``exitflow report <what>``: the exit analytics in a terminal."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from pydantic import ValidationError

from config import get_settings
from reports import REPORTS, ReportFilter, ReportOptions, ReportTimeout, run_report
from reports.rendering import FORMATS, render


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report`` to the ``exitflow`` parser."""
    report = commands.add_parser(
        "report", help="exit analytics: " + ", ".join(REPORTS), description=_HELP
    )
    report.add_argument("what", choices=list(REPORTS))
    report.add_argument("--since", type=when, help="from this date or time (inclusive, UTC)")
    report.add_argument("--until", type=when, help="up to this date or time (exclusive, UTC)")
    report.add_argument("--job", help="one job only")
    report.add_argument("--format", choices=FORMATS, default="table")
    report.add_argument("--change-at", type=when, help="recruiting: where the periods meet")
    report.add_argument("--candidate", help="tags: one candidate only")
    report.add_argument("--min-sessions", type=int, default=20, help="interviewers: flag floor")
    report.add_argument("--limit", type=int, default=500, help="funnel/tags/reengagement: max rows")
    report.set_defaults(run=_report)


_HELP = """Reports over the exits database (EXITFLOW_DATABASE_URL):
  funnel        exit rate per stage by kind, sessions started in the window; worst stage
  reasons       withdrawal reasons per job, counts and shares
  faults        system faults by cause, browser+version, OS, device, latency band
  resume        share of suspensions resumed, median time to resume, share expired
  interviewers  exit rate per interviewer vs the team average, outliers flagged
  recruiting    completion rate and withdrawal share per job, before/after --change-at
  tags          candidate preference tags from exit reasons (--candidate for one)
  reengagement  expired or broken sessions for jobs still open, with contacts"""


def when(raw: str) -> datetime:
    """A date or ISO 8601 time from the command line; without an offset it is UTC."""
    value = datetime.fromisoformat(raw)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _report(args: argparse.Namespace) -> int:
    from store import Store

    try:
        where = ReportFilter(since=args.since, until=args.until, job_id=args.job)
        options = ReportOptions(
            change_at=args.change_at,
            candidate_id=args.candidate,
            min_sessions=args.min_sessions,
            limit=args.limit,
        )
    except ValidationError as err:
        first = err.errors()[0]
        field = _OPTION_OF.get(str(first["loc"][0]), str(first["loc"][0]))
        return _refused("invalid_field", f"{field} {first['msg'].removeprefix('Value error, ')}")
    settings = get_settings()
    store = Store.from_url(settings.database_url)
    try:
        report = await run_report(
            store.engine, args.what, where, options, timeout_seconds=settings.report_timeout_seconds
        )
    except ValueError as err:
        return _refused("invalid_field", str(err))
    except ReportTimeout as err:
        return _refused("report_timeout", f"{err}; narrow the window or pick one job")
    finally:
        await store.dispose()
    print(render(report, args.format), end="")
    return 0


_OPTION_OF = {
    "since": "--since",
    "until": "--until",
    "job_id": "--job",
    "change_at": "--change-at",
    "candidate_id": "--candidate",
    "min_sessions": "--min-sessions",
    "limit": "--limit",
}
"""The command-line option of each filter and option field, for error messages."""


def _refused(code: str, message: str) -> int:
    print(json.dumps({"error": {"code": code, "message": message}}))
    return 2
