"""``exitflow demo``: fill a running ``exitflow up`` stack with realistic sessions."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from reports.demo import DemoPlan, demo_plans, drive
from starter.local_stack import cli_settings


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``demo`` to the ``exitflow`` parser."""
    demo = commands.add_parser(
        "demo", help="fill a running `exitflow up` stack with realistic sessions, for the reports"
    )
    demo.add_argument("--sessions", type=int, default=120, help="how many sessions (default 120)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same traffic")
    demo.add_argument("--concurrency", type=int, default=16)
    demo.set_defaults(run=_demo)


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
            return await drive(sessions, plan, run_id)

    plans = demo_plans(args.sessions, args.seed)
    print(f"demo {run_id}: {len(plans)} sessions on {settings.temporal_address} ...", flush=True)
    ended = await asyncio.gather(*(one(plan) for plan in plans))
    counts = {status: ended.count(status) for status in sorted(set(ended))}
    print(f"done in {time.monotonic() - started:.0f}s: {json.dumps(counts)}")
    print("now try: exitflow report funnel  (or open /v1/reports/dashboard)")
    return 0
