"""Many open sessions waiting for the candidate: what they cost at rest and while heartbeating.

Starts N sessions (no downstream step) and lets their ``interview.started`` pipelines
drain, then measures the worker's RSS and CPU while they only wait, then drives heartbeats
as the API forwards them (one signal per session per quarter of a 120 s heartbeat timeout,
i.e. N/30 signals per second, open loop) and measures the worker, the server, the signals
per second actually delivered and the history events each beat adds:

    .venv/bin/python -m bench.open_sessions --sessions 10000 --idle-seconds 60 --beat-seconds 90

The sessions get ``heartbeat_timeout_seconds=3600`` so that none is abandoned while the
others are still being started; the beats are sent at the 120 s platform's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from bench._drive import Platform, start_body
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

BEAT_TIMEOUT_SECONDS = 120


async def _measure(stack: Stack, worker: WorkerPool, seconds: float) -> dict[str, float]:
    """Worker and server CPU (in % of one core) and worker RSS over ``seconds``."""
    assert worker.pid and stack.server.pid
    w0, s0 = sample_process(worker.pid), sample_process(stack.server.pid)
    await asyncio.sleep(seconds)
    w1, s1 = sample_process(worker.pid), sample_process(stack.server.pid)
    return {
        "worker CPU %": 100 * (w1.cpu_seconds - w0.cpu_seconds) / seconds,
        "server CPU %": 100 * (s1.cpu_seconds - s0.cpu_seconds) / seconds,
        "worker RSS MiB": w1.rss_mib,
        "server RSS MiB": s1.rss_mib,
    }


def _last_seen_upserts(path: Path, seconds: float = 5.0) -> float:
    """Upserts per second of a last-seen table on SQLite (WAL), one transaction each.

    The cost per beat of the alternative design, where the API records the beat instead of
    signalling the workflow.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS last_seen (session_id TEXT PRIMARY KEY, at REAL)")
    done, began = 0, time.monotonic()
    while time.monotonic() - began < seconds:
        conn.execute(
            "INSERT INTO last_seen VALUES (?, ?) "
            "ON CONFLICT(session_id) DO UPDATE SET at = excluded.at",
            (f"s-{done % 10_000}", time.time()),
        )
        done += 1
    conn.close()
    return done / (time.monotonic() - began)


def _fmt(measured: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in measured.items())


async def _history_lengths(stack: Stack, ids: list[str]) -> list[int]:
    lengths = []
    for sid in ids:
        described = await stack.client.get_workflow_handle(session_workflow_id(sid)).describe()
        lengths.append(described.history_length)
    return lengths


async def _beats(platform: Platform, ids: list[str], seconds: float, limit: int) -> int:
    """Send beats round-robin at ``len(ids) / (timeout / 4)`` per second; return how many went."""
    rate = len(ids) / (BEAT_TIMEOUT_SECONDS / 4)
    gate = asyncio.Semaphore(limit)
    sent = 0
    pending: set[asyncio.Task[None]] = set()

    async def one(sid: str) -> None:
        nonlocal sent
        async with gate:
            await platform.heartbeat(sid)
            sent += 1

    began = time.monotonic()
    n = 0
    while (elapsed := time.monotonic() - began) < seconds:
        due = int(elapsed * rate)
        while n < due:
            task = asyncio.create_task(one(ids[n % len(ids)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.sleep(0.05)
    for task in list(pending):
        task.cancel()
    return sent


async def main(count: int, idle_seconds: float, beat_seconds: float, concurrency: int) -> None:
    """Open ``count`` sessions; measure them at rest, then heartbeating."""
    with tempfile.TemporaryDirectory(dir=bench_directory()) as tmp:
        async with running_stack(Path(tmp), persistent=False) as stack:
            worker = stack.workers()
            await worker.start()
            try:
                await _run(stack, worker, count, idle_seconds, beat_seconds, concurrency)
            finally:
                await worker.stop()


async def _run(
    stack: Stack,
    worker: WorkerPool,
    count: int,
    idle_seconds: float,
    beat_seconds: float,
    concurrency: int,
) -> None:
    platform = Platform(stack.client, stack.task_queue)
    run = uuid.uuid4().hex[:6]
    ids = [f"o-{run}-{n}" for n in range(count)]
    gate = asyncio.Semaphore(concurrency)
    print(f"{count} sessions, load average {os.getloadavg()[0]:.1f} (nproc {os.cpu_count()})")

    async def start(sid: str) -> None:
        async with gate:
            await platform.start(start_body(sid, downstream=False))

    began = time.monotonic()
    await watched(asyncio.gather(*(start(sid) for sid in ids)), [worker])
    for _ in range(7200):  # the started webhooks drain within an hour, or the run says so
        if len(stack.inbox.accepted) >= count:
            break
        await asyncio.sleep(0.5)
    opened = time.monotonic() - began
    print(f"opened (started + recorded + webhook) in {opened:.0f} s: {count / opened:.1f}/s")

    rest = await _measure(stack, worker, idle_seconds)
    print(f"at rest for {idle_seconds:.0f} s: " + _fmt(rest))

    sample = ids[:: max(1, count // 50)]
    before = await _history_lengths(stack, sample)
    target = count / (BEAT_TIMEOUT_SECONDS / 4)
    measuring = asyncio.create_task(_measure(stack, worker, beat_seconds))
    sent = await _beats(platform, ids, beat_seconds, limit=200)
    busy = await measuring
    after = await _history_lengths(stack, sample)
    added = sum(after) - sum(before)
    # Beats go round-robin, so each sampled session got sent / count of them.
    per_beat = added / max(1e-9, len(sample) * sent / count)
    print(
        f"heartbeating for {beat_seconds:.0f} s at target {target:.0f} signals/s: delivered "
        f"{sent / beat_seconds:.0f}/s; " + _fmt(busy)
    )
    per_hour = per_beat * 3600 / (BEAT_TIMEOUT_SECONDS / 4)
    print(
        f"history events per beat {per_beat:.1f} -> {per_hour:.0f} events per session per hour "
        f"at one beat per {BEAT_TIMEOUT_SECONDS // 4} s "
        f"({per_hour * count / 3600:.0f} events/s for {count} sessions)"
    )
    upserts = await asyncio.to_thread(_last_seen_upserts, stack.directory / "last_seen.db")
    print(
        f"alternative, a last-seen row per beat: SQLite takes {upserts:.0f} upserts/s "
        f"on one core; {count} sessions need {target:.0f}/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--beat-seconds", type=float, default=90)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    run_main(main(args.sessions, args.idle_seconds, args.beat_seconds, args.concurrency))
