"""Many open sessions waiting for the candidate: what they cost at rest and while heartbeating.

Starts N sessions (no downstream step), lets their ``interview.started`` pipelines drain,
and measures the worker, the server and the history events heartbeats add, with beats at
the rate the API lets through (one per session per quarter of a 120 s heartbeat timeout,
i.e. N/30 per second, open loop), in either design:

``--beats last-seen`` (the design since ``heartbeat-last-seen``): each beat is noted on the
session's row, what the API does (``Store.see_heartbeat``, or a signal while the session
has no row yet), from the start; the workflow reads the row once per timeout
(``--timeout-seconds``, 120 by default). The run counts sessions wrongly abandoned (none
should be). On one 2-core machine, opening 10,000 sessions as fast as they go leaves too
little CPU for the beats themselves; give such a run ``--timeout-seconds 3600`` (as the
signals run has): with a timeout of an hour or more the beats start once every session is
open, and the timer's cost per timeout is measured on fewer sessions with a short one.

``--beats signals`` (the design before): each beat is a ``heartbeat`` signal; the sessions
get ``heartbeat_timeout_seconds=3600`` so that none is abandoned while the others are still
being started, or when signals lag behind:

    .venv/bin/python -m bench.open_sessions --sessions 10000 --beats last-seen
    .venv/bin/python -m bench.open_sessions --sessions 10000 --beats signals
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
from contract.codes import SessionStatus
from store import Beat, Store
from workflows.session import session_workflow_id

BEAT_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class NoteOptions:
    """How a last-seen run notes its beats."""

    batched: bool = True
    """As the API notes them (``Store.see_heartbeat``: the beats that arrive together share a
    transaction), or one transaction per beat, as before group commit."""
    rate: float | None = None
    """Beats per second; None for the platform's rate for ``count`` sessions."""


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


def _fmt(measured: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in measured.items())


async def _history_lengths(stack: Stack, ids: list[str]) -> list[int]:
    lengths = []
    for sid in ids:
        described = await stack.client.get_workflow_handle(session_workflow_id(sid)).describe()
        lengths.append(described.history_length)
    return lengths


class Beats:
    """Beats round-robin over the sessions started so far, at ``count / (timeout / 4)`` per
    second, open loop, each sent by ``send`` (a signal, or a note on the session's row)."""

    def __init__(
        self,
        send: Callable[[str], Awaitable[object]],
        count: int,
        limit: int,
        rate: float | None = None,
    ) -> None:
        """Prepare; ``count`` sets the rate unless ``rate`` (beats/s) does, ``limit`` the beats
        in flight."""
        self.send = send
        self.ids: list[str] = []
        """The sessions that beat: the bench appends each as it is started."""
        self.sent = 0
        self.failed = 0
        self.rate = rate or count / (BEAT_TIMEOUT_SECONDS / 4)
        self._gate = asyncio.Semaphore(limit)

    async def _one(self, sid: str) -> None:
        async with self._gate:
            try:
                await self.send(sid)
            except Exception:  # counted and shown: a beat that did not land is a finding
                self.failed += 1
            else:
                self.sent += 1

    async def run(self, seconds: float = float("inf")) -> None:
        """Beat for ``seconds`` (or until cancelled)."""
        pending: set[asyncio.Task[None]] = set()
        began, n = time.monotonic(), 0
        try:
            while (elapsed := time.monotonic() - began) < seconds:
                while self.ids and n < int(elapsed * self.rate):
                    task = asyncio.create_task(self._one(self.ids[n % len(self.ids)]))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    n += 1
                # Fine ticks: beats reach the API spread out, not in bursts that would
                # flatter the batching of their writes.
                await asyncio.sleep(0.01)
        finally:
            for task in list(pending):
                task.cancel()
            # Wait for them: a beat cut off inside a store call must be done with its
            # connection before the store is disposed, or that call never returns.
            await asyncio.gather(*pending, return_exceptions=True)


async def main(
    count: int,
    idle_seconds: float,
    beat_seconds: float,
    concurrency: int,
    design: str,
    heartbeat_timeout: int = BEAT_TIMEOUT_SECONDS,
    notes: NoteOptions | None = None,
) -> None:
    """Open ``count`` sessions; measure them at rest, then heartbeating."""
    with tempfile.TemporaryDirectory(dir=bench_directory()) as tmp:
        async with running_stack(Path(tmp), persistent=False) as stack:
            store = Store.from_url(stack.database_url)
            await store.create_schema()  # before the worker, so that beats find the table
            worker = stack.workers()
            await worker.start()
            try:
                if design == "signals":
                    await _run(stack, worker, count, idle_seconds, beat_seconds, concurrency)
                else:
                    await _run_last_seen(
                        stack,
                        worker,
                        store,
                        count,
                        beat_seconds,
                        concurrency,
                        heartbeat_timeout,
                        notes or NoteOptions(),
                    )
            finally:
                await store.dispose()
                await worker.stop()


async def _run_last_seen(
    stack: Stack,
    worker: WorkerPool,
    store: Store,
    count: int,
    seconds: float,
    concurrency: int,
    heartbeat_timeout: int,
    options: NoteOptions,
) -> None:
    """Sessions kept alive by beats noted on their rows (from the start, unless the timeout
    outlasts the opening)."""
    platform = Platform(stack.client, stack.task_queue)
    signalled = 0
    print(f"beats noted {'in batches' if options.batched else 'one transaction each'}")

    async def see(sid: str) -> SessionStatus | None:
        if options.batched:
            return await store.see_heartbeat(sid, at=datetime.now(UTC))
        return (await store.see_heartbeats([Beat(sid, datetime.now(UTC))]))[sid]

    async def note(sid: str) -> None:
        # What the API does with a beat that its gate lets through (starter/api/sessions.py).
        nonlocal signalled
        if await see(sid) is None:
            signalled += 1
            await platform.heartbeat(sid)

    beats = Beats(note, count, limit=200, rate=options.rate)
    policy = {"heartbeat_timeout_seconds": heartbeat_timeout}
    beat_while_opening = heartbeat_timeout < 3600
    beating = asyncio.create_task(beats.run()) if beat_while_opening else None
    try:
        ids = await _open(stack, worker, platform, count, concurrency, policy, beats.ids.append)
        print(f"beats sent as signals while a session had no row yet: {signalled}")
        if beating is None:
            beating = asyncio.create_task(beats.run())
            await asyncio.sleep(BEAT_TIMEOUT_SECONDS / 4)  # one round of beats before measuring
        sample = ids[:: max(1, count // 50)]
        before, sent_before, signalled_before = (
            await _history_lengths(stack, sample),
            beats.sent,
            signalled,
        )
        bench = sample_process(os.getpid())
        measured = await _measure(stack, worker, seconds)
        api_cpu = 100 * (sample_process(os.getpid()).cpu_seconds - bench.cpu_seconds) / seconds
        added = sum(await _history_lengths(stack, sample)) - sum(before)
    finally:
        if beating is not None:
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)
    noted = (beats.sent - sent_before) / seconds
    fallbacks = signalled - signalled_before
    per_hour = added / len(sample) * 3600 / seconds
    abandoned = sum(1 for d in stack.inbox.accepted if d.type == "interview.suspended")
    print(
        f"heartbeating for {seconds:.0f} s at target {beats.rate:.0f} beats/s: noted "
        f"{noted:.0f}/s on the rows ({fallbacks} as signals); "
        + _fmt(measured)
        + f", bench (the API's writes) CPU % "
        f"{api_cpu:.1f}"
    )
    print(
        f"history events per session per hour {per_hour:.0f} "
        f"({per_hour * count / 3600:.0f} events/s for {count} sessions); "
        f"sessions wrongly abandoned: {abandoned}; beats that failed: {beats.failed}"
    )


async def _open(
    stack: Stack,
    worker: WorkerPool,
    platform: Platform,
    count: int,
    concurrency: int,
    policy: dict[str, Any] | None = None,
    started: Callable[[str], None] | None = None,
) -> list[str]:
    """Start ``count`` sessions (no downstream step) and wait until their ``interview.started``
    webhooks arrived; print how long that took. ``started`` hears each id once started."""
    run = uuid.uuid4().hex[:6]
    ids = [f"o-{run}-{n}" for n in range(count)]
    gate = asyncio.Semaphore(concurrency)
    print(f"{count} sessions, load average {os.getloadavg()[0]:.1f} (nproc {os.cpu_count()})")

    async def start(sid: str) -> None:
        async with gate:
            await platform.start(start_body(sid, downstream=False, policy=policy))
            if started is not None:
                started(sid)

    began = time.monotonic()
    await watched(asyncio.gather(*(start(sid) for sid in ids)), [worker])
    await _drained(stack, count)
    opened = time.monotonic() - began
    print(f"opened (started + recorded + webhook) in {opened:.0f} s: {count / opened:.1f}/s")
    return ids


async def _drained(stack: Stack, count: int) -> None:
    """Wait (up to an hour) until every session's ``interview.started`` webhook arrived."""
    for _ in range(7200):
        if sum(1 for d in stack.inbox.accepted if d.type == "interview.started") >= count:
            return
        await asyncio.sleep(0.5)


async def _run(
    stack: Stack,
    worker: WorkerPool,
    count: int,
    idle_seconds: float,
    beat_seconds: float,
    concurrency: int,
) -> None:
    platform = Platform(stack.client, stack.task_queue)
    ids = await _open(stack, worker, platform, count, concurrency)

    rest = await _measure(stack, worker, idle_seconds)
    print(f"at rest for {idle_seconds:.0f} s: " + _fmt(rest))

    sample = ids[:: max(1, count // 50)]
    before = await _history_lengths(stack, sample)
    measuring = asyncio.create_task(_measure(stack, worker, beat_seconds))
    beats = Beats(platform.heartbeat, count, limit=200)
    beats.ids = ids
    await beats.run(beat_seconds)
    sent = beats.sent
    busy = await measuring
    after = await _history_lengths(stack, sample)
    added = sum(after) - sum(before)
    # Beats go round-robin, so each sampled session got sent / count of them.
    per_beat = added / max(1e-9, len(sample) * sent / count)
    print(
        f"heartbeating for {beat_seconds:.0f} s at target {beats.rate:.0f} signals/s: delivered "
        f"{sent / beat_seconds:.0f}/s; " + _fmt(busy)
    )
    per_hour = per_beat * 3600 / (BEAT_TIMEOUT_SECONDS / 4)
    print(
        f"history events per beat {per_beat:.1f} -> {per_hour:.0f} events per session per hour "
        f"at one beat per {BEAT_TIMEOUT_SECONDS // 4} s "
        f"({per_hour * count / 3600:.0f} events/s for {count} sessions)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--beat-seconds", type=float, default=90)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--beats", choices=("last-seen", "signals"), default="last-seen")
    parser.add_argument(
        "--timeout-seconds",
        type=int,
        default=BEAT_TIMEOUT_SECONDS,
        help="the sessions' heartbeat_timeout_seconds (last-seen runs); beats still come at "
        "the rate of a 120 s timeout",
    )
    parser.add_argument(
        "--one-transaction-per-beat",
        action="store_true",
        help="last-seen runs: note each beat in its own transaction, as the API did before "
        "it batched them",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="beats per second (last-seen runs); by default one per session per 30 s",
    )
    args = parser.parse_args()
    run_main(
        main(
            args.sessions,
            args.idle_seconds,
            args.beat_seconds,
            args.concurrency,
            args.beats,
            args.timeout_seconds,
            NoteOptions(batched=not args.one_transaction_per_beat, rate=args.rate),
        )
    )
