"""Exit latency at a steady rate below saturation, next to the bare update round trip.

Sessions arrive at a fixed rate (open loop: a slow answer does not slow the arrivals); each
is started, saves three answers, then withdraws. Timed from the withdraw request: the
receipt (the record is saved), the signed webhook's arrival at the local HR inbox, the
email's arrival at the local SMTP server. Interleaved at the same rate, a bare workflow
answers an update that runs one no-op activity:

    .venv/bin/python -m bench.latency --rate 1 --sessions 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from bench._bare import BareSessionWorkflow
from bench._drive import Platform, start_body
from bench._stack import Stack, bench_directory, percentile, run_main, running_stack, watched

BARE_QUEUE = "bench-bare"


async def _withdrawal(stack: Stack, platform: Platform, sid: str) -> tuple[float, float, float]:
    await platform.start(start_body(sid))
    for n in range(3):
        await platform.progress(sid, n)
    began = time.time()
    await platform.withdraw(sid)
    receipt = time.time() - began
    key = (sid, "interview.withdrawn")
    for _ in range(12_000):
        if key in stack.inbox.received_at and sid in stack.mail.received_at:
            break
        await asyncio.sleep(0.01)
    webhook = stack.inbox.received_at[key] - began
    email = stack.mail.received_at[sid] - began
    return receipt, webhook, email


async def _bare_update(stack: Stack, workflow_id: str) -> float:
    handle = await stack.client.start_workflow(
        BareSessionWorkflow.run, id=workflow_id, task_queue=BARE_QUEUE
    )
    began = time.time()
    await handle.execute_update(BareSessionWorkflow.finish_now)
    return time.time() - began


def _row(name: str, samples: list[float]) -> str:
    p50, p99 = (percentile(samples, share) * 1000 for share in (0.5, 0.99))
    return f"  {name:36} p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   (n={len(samples)})"


async def main(rate: float, sessions: int, *, sqlite: bool) -> None:
    """Run ``sessions`` withdrawals and bare updates at ``rate`` per second each."""
    with tempfile.TemporaryDirectory(dir=bench_directory()) as tmp:
        async with running_stack(Path(tmp), persistent=sqlite) as stack:
            exitflow, bare = stack.workers(), stack.bare_workers(BARE_QUEUE)
            await exitflow.start()
            await bare.start()
            try:
                platform = Platform(stack.client, stack.task_queue)
                run = uuid.uuid4().hex[:6]
                await _withdrawal(stack, platform, f"warm-{run}")
                await _bare_update(stack, f"bare-warm-{run}")
                exits: list[asyncio.Task[tuple[float, float, float]]] = []
                bares: list[asyncio.Task[float]] = []
                load = os.getloadavg()[0]
                for n in range(sessions):
                    exits.append(asyncio.create_task(_withdrawal(stack, platform, f"l-{run}-{n}")))
                    await asyncio.sleep(0.5 / rate)
                    bares.append(asyncio.create_task(_bare_update(stack, f"bare-{run}-{n}")))
                    await asyncio.sleep(0.5 / rate)
                results = await watched(asyncio.gather(*exits), [exitflow, bare])
                bare_times = await asyncio.gather(*bares)
            finally:
                await exitflow.stop()
                await bare.stop()
    print(f"{sessions} withdrawals and {sessions} bare updates at {rate:g}/s each, interleaved")
    print(
        f"load average at start {load:.1f} (nproc {os.cpu_count()}), Temporal "
        f"{'on SQLite' if sqlite else 'in memory'}"
    )
    print(_row("withdraw -> receipt (record saved)", [r[0] for r in results]))
    print(_row("withdraw -> signed webhook arrived", [r[1] for r in results]))
    print(_row("withdraw -> email arrived", [r[2] for r in results]))
    print(_row("bare update round trip (1 activity)", list(bare_times)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=1.0, help="withdrawals per second")
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true", help="Temporal on a SQLite file")
    args = parser.parse_args()
    run_main(main(args.rate, args.sessions, sqlite=args.sqlite))
