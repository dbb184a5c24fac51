"""Sessions per second: exitflow's whole session life against a bare workflow, in one run.

Each round runs N sessions at a bounded concurrency, alternating bare and exitflow rounds so
that drift on a shared machine hits both alike. An exitflow session is started, saves three
answers and ends (withdraw; fault then withdraw; terminate; complete, in turn) with the full
pipeline: record and audit, signed webhook to a local HR inbox, email to a local SMTP server,
downstream step cancelled. A bare session waits for one signal and runs one no-op activity.
Both run in a worker process of their own with the same sandboxed runner:

    .venv/bin/python -m bench.throughput --sessions 200 --rounds 3 --concurrency 40
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from bench._bare import BareSessionWorkflow
from bench._drive import EXIT_ROTATION, Platform, history_counts, life
from bench._stack import (
    Stack,
    WorkerPool,
    bench_directory,
    run_main,
    running_stack,
    sample_process,
    watched,
)
from workflows.session import session_workflow_id

BARE_QUEUE = "bench-bare"


async def _bare_life(stack: Stack, workflow_id: str) -> None:
    handle = await stack.client.start_workflow(
        BareSessionWorkflow.run, id=workflow_id, task_queue=BARE_QUEUE
    )
    await handle.signal(BareSessionWorkflow.finish)
    await handle.result()


async def _bare_life_numbered(stack: Stack, prefix: str, n: int) -> None:
    await _bare_life(stack, f"{prefix}-{n}")


async def _round(
    count: int,
    concurrency: int,
    one: Callable[[int], Awaitable[None]],
    pids: list[int],
    pools: list[WorkerPool],
) -> tuple[float, float]:
    """Sessions per second, and CPU seconds (worker + server) per session."""
    gate = asyncio.Semaphore(concurrency)

    async def bounded(n: int) -> None:
        async with gate:
            await one(n)

    cpu_before = sum(sample_process(pid).cpu_seconds for pid in pids)
    began = time.perf_counter()
    await watched(asyncio.gather(*(bounded(n) for n in range(count))), pools)
    elapsed = time.perf_counter() - began
    cpu = sum(sample_process(pid).cpu_seconds for pid in pids) - cpu_before
    return count / elapsed, cpu / count


async def main(
    sessions: int, rounds: int, concurrency: int, *, sqlite: bool, downstream: bool = True
) -> None:
    """Alternate bare and exitflow rounds; print sessions/s for each and the ratio."""
    with tempfile.TemporaryDirectory(dir=bench_directory()) as tmp:
        async with running_stack(Path(tmp), persistent=sqlite) as stack:
            exitflow = stack.workers()
            bare = stack.bare_workers(BARE_QUEUE)
            await exitflow.start()
            await bare.start()
            try:
                await _run(stack, exitflow, bare, sessions, rounds, concurrency, downstream)
            finally:
                await exitflow.stop()
                await bare.stop()


async def _run(
    stack: Stack,
    exitflow: WorkerPool,
    bare: WorkerPool,
    sessions: int,
    rounds: int,
    concurrency: int,
    downstream: bool,
) -> None:
    platform = Platform(stack.client, stack.task_queue)
    run_id = uuid.uuid4().hex[:6]
    assert exitflow.pid and bare.pid and stack.server.pid
    server = stack.server.pid

    async def exitflow_one(n: int, prefix: str) -> None:
        kind = EXIT_ROTATION[n % len(EXIT_ROTATION)]
        await life(platform, f"{prefix}-{n}", kind, downstream=downstream)

    # Warm-up: both workers load their workflows and the server its caches.
    pools = [exitflow, bare]
    await _round(8, 8, lambda n: exitflow_one(n, f"warm-{run_id}"), [], pools)
    await _round(8, 8, lambda n: _bare_life(stack, f"bare-warm-{run_id}-{n}"), [], pools)

    bare_rates: list[float] = []
    flow_rates: list[float] = []
    print(f"{sessions} sessions per round, concurrency {concurrency}, {rounds} rounds each")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (nproc {os.cpu_count()})")
    print(f"{'round':>5}  {'kind':8} {'sessions/s':>10}  {'CPU s/session (worker+server)':>30}")
    for r in range(rounds):
        bare_prefix, flow_prefix = f"bare-{run_id}-{r}", f"s-{run_id}-{r}"
        rate, cpu = await _round(
            sessions,
            concurrency,
            partial(_bare_life_numbered, stack, bare_prefix),
            [bare.pid, server],
            pools,
        )
        bare_rates.append(rate)
        print(f"{r + 1:>5}  {'bare':8} {rate:10.1f}  {cpu:30.3f}", flush=True)
        rate, cpu = await _round(
            sessions,
            concurrency,
            partial(exitflow_one, prefix=flow_prefix),
            [exitflow.pid, server],
            pools,
        )
        flow_rates.append(rate)
        print(f"{r + 1:>5}  {'exitflow':8} {rate:10.1f}  {cpu:30.3f}", flush=True)
    bare_mean = sum(bare_rates) / len(bare_rates)
    flow_mean = sum(flow_rates) / len(flow_rates)
    print(f"bare      {bare_mean:6.1f} sessions/s")
    print(f"exitflow  {flow_mean:6.1f} sessions/s")
    print(f"ratio     {flow_mean / bare_mean:6.2f}x  (target >= 0.70x)")
    print("history of one session per exit kind (events / workflow tasks / activities):")
    for n, kind in enumerate(EXIT_ROTATION):
        counts = await history_counts(stack.client, session_workflow_id(f"s-{run_id}-0-{n}"))
        print(f"  {kind:15} {counts}")
    counts = await history_counts(stack.client, f"bare-{run_id}-0-0")
    print(f"  {'bare':15} {counts}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument(
        "--sqlite", action="store_true", help="Temporal on a SQLite file instead of in memory"
    )
    parser.add_argument(
        "--no-downstream",
        action="store_true",
        help="sessions without a downstream step, to measure what the child workflow costs",
    )
    args = parser.parse_args()
    run_main(
        main(
            args.sessions,
            args.rounds,
            args.concurrency,
            sqlite=args.sqlite,
            downstream=not args.no_downstream,
        )
    )
