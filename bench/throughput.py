"""Sessions per second: exitflow's whole session life against a bare workflow, in one run.

Each round runs N sessions at a bounded concurrency, alternating bare and exitflow rounds so
that drift on a shared machine hits both alike. An exitflow session is started, saves three
answers and ends (withdraw; fault then withdraw; terminate; complete, in turn) with the full
pipeline: record and audit, signed webhook to a local HR inbox, email to a local SMTP server,
downstream step cancelled. A bare session waits for one signal and runs one no-op activity
(the issue's baseline). A message floor session takes the same messages as an exitflow session
(start, three updates, an exit update running one no-op activity) and does nothing else: the
cost of the contract's messages alone, which no pipeline design can go below. Each kind runs in
a worker process of its own with the same sandboxed runner; CPU is counted per process:

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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench._bare import BareSessionWorkflow, MessageFloorWorkflow
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
VARIANT_QUEUE = "bench-variant"


async def _bare_life(stack: Stack, workflow_id: str) -> None:
    handle = await stack.client.start_workflow(
        BareSessionWorkflow.run, id=workflow_id, task_queue=BARE_QUEUE
    )
    await handle.signal(BareSessionWorkflow.finish)
    await handle.result()


async def _floor_life(stack: Stack, workflow_id: str) -> None:
    handle = await stack.client.start_workflow(
        MessageFloorWorkflow.run, workflow_id, id=workflow_id, task_queue=BARE_QUEUE
    )
    for n in range(3):
        await handle.execute_update(MessageFloorWorkflow.progress, f"seg-{n}")
    await handle.execute_update(MessageFloorWorkflow.end, "lost_interest")
    await handle.result()


@dataclass
class Round:
    """One round of one kind: sessions per second and CPU seconds per session."""

    rate: float
    worker_cpu: float
    server_cpu: float

    @property
    def cpu(self) -> float:
        """Worker and server CPU seconds per session."""
        return self.worker_cpu + self.server_cpu


async def _round(
    count: int,
    concurrency: int,
    one: Callable[[int], Awaitable[None]],
    pids: tuple[int, int] | None,
    pools: list[WorkerPool],
) -> Round:
    """Run ``count`` sessions; ``pids`` are the (worker, server) processes to charge."""
    gate = asyncio.Semaphore(concurrency)

    async def bounded(n: int) -> None:
        async with gate:
            await one(n)

    before = [sample_process(pid).cpu_seconds for pid in pids or ()]
    began = time.perf_counter()
    await watched(asyncio.gather(*(bounded(n) for n in range(count))), pools)
    elapsed = time.perf_counter() - began
    after = [sample_process(pid).cpu_seconds for pid in pids or ()]
    worker, server = [(a - b) / count for a, b in zip(after, before, strict=True)] or [0.0, 0.0]
    return Round(count / elapsed, worker, server)


async def main(
    sessions: int,
    rounds: int,
    concurrency: int,
    *,
    sqlite: bool,
    downstream: bool = True,
    compare: Path | None = None,
) -> None:
    """Alternate bare, floor and exitflow rounds; print sessions/s for each and the ratios."""
    with tempfile.TemporaryDirectory(dir=bench_directory()) as tmp:
        async with running_stack(Path(tmp), persistent=sqlite) as stack:
            pools = {"exitflow": stack.workers(), "bare": stack.bare_workers(BARE_QUEUE)}
            if compare is not None:
                pools["variant"] = stack.variant_workers(compare, VARIANT_QUEUE)
            for pool in pools.values():
                await pool.start()
            try:
                await _run(stack, pools, sessions, rounds, concurrency, downstream)
            finally:
                for pool in pools.values():
                    await pool.stop()


async def _run(
    stack: Stack,
    pools: dict[str, WorkerPool],
    sessions: int,
    rounds: int,
    concurrency: int,
    downstream: bool,
) -> None:
    run_id = uuid.uuid4().hex[:6]
    assert stack.server.pid
    server = stack.server.pid

    def exitflow_on(task_queue: str) -> Callable[[str, int], Awaitable[None]]:
        platform = Platform(stack.client, task_queue)

        async def one(prefix: str, n: int) -> None:
            kind = EXIT_ROTATION[n % len(EXIT_ROTATION)]
            await life(platform, f"{prefix}-{n}", kind, downstream=downstream)

        return one

    async def bare_one(prefix: str, n: int) -> None:
        await _bare_life(stack, f"{prefix}-{n}")

    async def floor_one(prefix: str, n: int) -> None:
        await _floor_life(stack, f"{prefix}-{n}")

    kinds: dict[str, tuple[Callable[[str, int], Awaitable[None]], WorkerPool]] = {
        "bare": (bare_one, pools["bare"]),
        "floor": (floor_one, pools["bare"]),
        "exitflow": (exitflow_on(stack.task_queue), pools["exitflow"]),
    }
    if "variant" in pools:
        kinds["variant"] = (exitflow_on(VARIANT_QUEUE), pools["variant"])
    watch = list(pools.values())
    for name, (one, _) in kinds.items():  # warm-up: workers load code, the server its caches
        await _round(8, 8, partial(one, f"{name}-warm-{run_id}"), None, watch)

    results: dict[str, list[Round]] = {name: [] for name in kinds}
    print(f"{sessions} sessions per round, concurrency {concurrency}, {rounds} rounds each")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (nproc {os.cpu_count()})")
    print(f"{'round':>5}  {'kind':8} {'sessions/s':>10}  {'CPU s/session: worker + server':>32}")
    for r in range(rounds):
        for name, (one, pool) in kinds.items():
            assert pool.pid is not None
            result = await _round(
                sessions,
                concurrency,
                partial(one, f"{name}-{run_id}-{r}"),
                (pool.pid, server),
                watch,
            )
            results[name].append(result)
            print(
                f"{r + 1:>5}  {name:8} {result.rate:10.1f}  "
                f"{result.worker_cpu:14.3f} + {result.server_cpu:.3f} = {result.cpu:.3f}",
                flush=True,
            )
    mean = {name: sum(x.rate for x in rs) / len(rs) for name, rs in results.items()}
    cpu = {name: sum(x.cpu for x in rs) / len(rs) for name, rs in results.items()}
    for name in kinds:
        print(f"{name:9} {mean[name]:6.1f} sessions/s  {cpu[name]:.3f} CPU s/session")
    print(f"ratio     {mean['exitflow'] / mean['bare']:6.2f}x of bare  (target >= 0.70x)")
    print(f"          {mean['floor'] / mean['bare']:6.2f}x: the message floor's own ratio to bare")
    print(f"          {mean['exitflow'] / mean['floor']:6.2f}x of the message floor")
    if "variant" in mean:
        print(
            f"variant   {mean['variant'] / mean['exitflow']:6.2f}x of exitflow (sessions/s), ",
            end="",
        )
        print(f"{cpu['variant'] / cpu['exitflow']:.2f}x its CPU per session")
    print("history of one session per kind (events / workflow tasks / activities):")
    for n, kind in enumerate(EXIT_ROTATION):
        counts = await history_counts(stack.client, session_workflow_id(f"exitflow-{run_id}-0-{n}"))
        print(f"  {kind:15} {counts}")
    for name in ("bare", "floor"):
        counts = await history_counts(stack.client, f"{name}-{run_id}-0-0")
        print(f"  {name:15} {counts}")


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
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also run the worker of another checkout (e.g. a git worktree) in alternating "
        "rounds, to measure a change against the current code in one run",
    )
    args = parser.parse_args()
    run_main(
        main(
            args.sessions,
            args.rounds,
            args.concurrency,
            sqlite=args.sqlite,
            downstream=not args.no_downstream,
            compare=args.compare,
        )
    )
