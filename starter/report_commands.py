"""``exitflow report <what>``: the exit analytics in a terminal; and ``exitflow demo``."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from config import get_settings
from reports import REPORTS, Report, ReportFilter, ReportOptions, run_report
from starter.local_stack import cli_settings

FORMATS = ("table", "json", "csv")


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report`` and ``demo`` to the ``exitflow`` parser."""
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
    report.add_argument("--limit", type=int, default=500, help="tags, reengagement: max rows")
    report.set_defaults(run=_report)

    demo = commands.add_parser(
        "demo", help="fill a running `exitflow up` stack with realistic sessions, for the reports"
    )
    demo.add_argument("--sessions", type=int, default=120, help="how many sessions (default 120)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same traffic")
    demo.add_argument("--concurrency", type=int, default=16)
    demo.set_defaults(run=_demo)


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

    where = ReportFilter(since=args.since, until=args.until, job_id=args.job)
    options = ReportOptions(
        change_at=args.change_at,
        candidate_id=args.candidate,
        min_sessions=args.min_sessions,
        limit=args.limit,
    )
    store = Store.from_url(get_settings().database_url)
    try:
        report = await run_report(store.engine, args.what, where, options)
    except ValueError as err:
        print(json.dumps({"error": {"code": "invalid_field", "message": str(err)}}))
        return 2
    finally:
        await store.dispose()
    print(render(report, args.format), end="")
    return 0


def render(report: Report, fmt: str) -> str:
    """The report as an aligned table, indented JSON or CSV (table and CSV: its flat rows)."""
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    rows = report.rows()
    if fmt == "csv":
        out = io.StringIO()
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
        return out.getvalue()
    return table(rows)


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a plain aligned text table; numbers right-aligned."""
    if not rows:
        return "(no rows)\n"
    columns = list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row.get(c)) for row in rows) for c in columns]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(columns), rule, *(line(values) for values in cells)]) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# The demo: real sessions through the real workflows, in plausible proportions.

_JOBS = {
    "job-sales-manager": "Sales Manager",
    "job-backend-engineer": "Backend Engineer",
    "job-customer-success": "Customer Success Lead",
    "job-data-analyst": "Data Analyst",
}
_INTERVIEWERS = {"iv-1": 1.0, "iv-2": 1.0, "iv-3": 1.0, "iv-4": 1.0, "iv-7": 3.0}
"""Relative withdrawal propensity: iv-7 loses far more candidates than the rest."""
_CLIENTS = [
    ("Chrome", "124.0", "Windows 11", "desktop", 40),
    ("Chrome", "88.0", "Windows 10", "desktop", 30),
    ("Safari", "17.4", "macOS 14", "laptop", 15),
    ("Safari", "15.6", "iOS 15", "mobile", 10),
    ("Firefox", "125.0", "Ubuntu 22.04", "desktop", 5),
]
_OUTCOMES = {
    "completed": 45,
    "withdrawn": 20,
    "fault_resumed": 10,
    "fault_expired": 7,
    "abandoned_expired": 5,
    "terminated": 5,
    "fault_pending": 4,
}
_WITHDRAW_REASONS = {
    "job-sales-manager": ["salary_expectation", "salary_expectation", "job_requirements"],
    "job-backend-engineer": ["process_too_long", "accepted_other_offer", "job_requirements"],
    "job-customer-success": ["lost_interest", "personal_emergency", "technical_discomfort"],
    "job-data-analyst": ["job_requirements", "process_too_long", "other"],
}
_FAULT_CAUSES = ["network", "network", "browser", "media_permission", "device", "server"]
_SHORT_WINDOW_HOURS = 0.01
_QUICK_HEARTBEAT_SECONDS = 5


@dataclass(frozen=True)
class DemoPlan:
    """One demo session: who, for which job, how far it gets and how it ends."""

    index: int
    job_id: str
    interviewer_id: str
    stage_count: int
    outcome: str
    client: tuple[str, str, str, str]
    latency_ms: float
    reason: str


def demo_plans(count: int, seed: int) -> list[DemoPlan]:
    """``count`` sessions drawn from the proportions above, the same for the same seed."""
    rng = random.Random(seed)
    plans = []
    for index in range(count):
        job_id = rng.choice(list(_JOBS))
        interviewer = rng.choice(list(_INTERVIEWERS))
        weights = dict(_OUTCOMES)
        weights["withdrawn"] = round(weights["withdrawn"] * _INTERVIEWERS[interviewer])
        outcome = rng.choices(list(weights), list(weights.values()))[0]
        client = rng.choices(_CLIENTS, [c[4] for c in _CLIENTS])[0]
        old_browser = client[1] in ("88.0", "15.6")
        if outcome.startswith("fault") and not old_browser and rng.random() < 0.5:
            client = _CLIENTS[1]  # faults cluster on the old Chrome
        reason = (
            rng.choice(_FAULT_CAUSES)
            if outcome.startswith("fault")
            else rng.choice(_WITHDRAW_REASONS[job_id])
        )
        plans.append(
            DemoPlan(
                index=index,
                job_id=job_id,
                interviewer_id=interviewer,
                stage_count=rng.choices([1, 2, 3], [3, 4, 3])[0],
                outcome=outcome,
                client=client[:4],
                latency_ms=round(rng.lognormvariate(5.3, 0.9), 1),
                reason=reason,
            )
        )
    return plans


async def _demo(args: argparse.Namespace) -> int:
    from runtime.worker import connect
    from sessions.client import SessionClient

    settings = cli_settings()
    sessions = SessionClient(await connect(settings), settings.task_queue)
    run_id = uuid.uuid4().hex[:6]
    gate = asyncio.Semaphore(args.concurrency)
    started = time.monotonic()

    async def one(plan: DemoPlan) -> str:
        async with gate:
            return await _drive(sessions, plan, run_id)

    plans = demo_plans(args.sessions, args.seed)
    print(f"demo {run_id}: {len(plans)} sessions on {settings.temporal_address} ...", flush=True)
    ended = await asyncio.gather(*(one(plan) for plan in plans))
    counts = {status: ended.count(status) for status in sorted(set(ended))}
    print(f"done in {time.monotonic() - started:.0f}s: {json.dumps(counts)}")
    print("now try: exitflow report funnel  (or open /v1/reports/dashboard)")
    return 0


async def _drive(sessions: Any, plan: DemoPlan, run_id: str) -> str:
    from contract.sessions import (
        ClientInfo,
        FaultInput,
        ResumeInput,
        SegmentInput,
        StartSession,
        TerminateInput,
        WithdrawInput,
    )

    sid = f"demo-{run_id}-{plan.index:04d}"
    short = plan.outcome.endswith("expired")
    abandons = plan.outcome == "abandoned_expired"
    body = StartSession.model_validate(
        {
            "session_id": sid,
            "candidate": {
                "id": f"c-{run_id}-{plan.index}",
                "name": f"Candidate {plan.index}",
                "email": f"candidate{plan.index}@example.com",
                "phone": f"+1415555{plan.index % 10000:04d}",
                "locale": "en" if plan.index % 3 else "zh-CN",
            },
            "job": {"id": plan.job_id, "title": _JOBS[plan.job_id]},
            "interviewer_id": plan.interviewer_id,
            "downstream": [
                {
                    "step_id": "wt-1",
                    "kind": "written_test",
                    "scheduled_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                }
            ],
            "policy": {
                "resume_window_hours": _SHORT_WINDOW_HOURS if short else 24,
                "heartbeat_timeout_seconds": _QUICK_HEARTBEAT_SECONDS if abandons else 3600,
                "reminder_before_deadline_hours": 0 if short else 2,
            },
        }
    )
    await sessions.start(body)
    for n, stage in enumerate(body.stages[: plan.stage_count]):
        await sessions.progress(
            sid,
            SegmentInput(stage=stage, segment_id=f"seg-{n}", kind="video", video_seconds=90.0),
        )
    browser, version, os_name, device = plan.client
    client = ClientInfo(
        browser=browser,
        browser_version=version,
        os=os_name,
        device=device,
        network_latency_ms=plan.latency_ms,
    )
    if plan.outcome == "completed":
        await sessions.complete(sid)
    elif plan.outcome == "withdrawn":
        await sessions.withdraw(sid, WithdrawInput.model_validate({"reason_code": plan.reason}))
    elif plan.outcome == "terminated":
        await sessions.terminate(
            sid,
            TerminateInput.model_validate(
                {
                    "reason_code": "position_filled" if plan.index % 2 else "not_qualified",
                    "explanation": "The position was filled before this interview finished.",
                    "actor": {"id": "hr-3", "name": "Wang Fang"},
                }
            ),
        )
    elif plan.outcome.startswith("fault"):
        fault = FaultInput.model_validate({"cause": plan.reason, "client": client})
        ack = await sessions.report_fault(sid, fault)
        if plan.outcome == "fault_resumed":
            await asyncio.sleep(1 + plan.index % 4)
            await sessions.resume(sid, ResumeInput(resume_token=ack.resume_token))
            await sessions.complete(sid)
    return await _settled(sessions, sid, waiting=short)


async def _settled(sessions: Any, sid: str, *, waiting: bool) -> str:
    """The session's status; sessions meant to expire are waited for (about a minute)."""
    deadline = time.monotonic() + 180
    while True:
        status = str((await sessions.status(sid)).status)
        if not waiting or status == "expired" or time.monotonic() > deadline:
            return status
        await asyncio.sleep(2)
