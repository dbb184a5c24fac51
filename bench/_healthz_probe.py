"""Does ``/healthz`` still answer while the heaviest reports run? (``reports_benchmark --healthz``)

The API is served by uvicorn on this process's event loop, over the benchmark's filled
store, exactly as ``exitflow api`` serves it. A separate process asks for ``/healthz`` every
10 ms, so that its own work never competes with the API for the GIL; this process asks for
each report in turn over HTTP. Each row gives the report's time and the latency of the
``/healthz`` calls made while it ran; ``idle`` is the same with no report running.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import secrets
import socket
import statistics
import time
from collections.abc import AsyncIterator
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import NamedTuple

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import delete, insert
from temporalio.client import Client

from bench._stack import percentile
from config import Settings
from runtime.logs import configure_logging
from starter.api import create_app
from store import Store
from store.rows import STAGE_LIST_SEPARATOR
from store.tables import SessionRow

PROBED = ("idle", "funnel", "dashboard")
"""What runs while ``/healthz`` is polled: nothing, the heaviest single report, and the
dashboard (every report the page shows, one after the other)."""
_HUGE = "bench-huge-stages"
_POLL_EVERY_SECONDS = 0.01
_IDLE_SECONDS = 2.0


class Probe(NamedTuple):
    """One report run and the ``/healthz`` latencies (ms) seen during it."""

    database: str
    report: str
    huge_stages: int
    report_ms: float
    polls: int
    p50_ms: float
    p99_ms: float
    max_ms: float


def poll(url: str, stop: Event, ready: Event, out: Connection) -> None:
    """Ask for ``url`` until ``stop``; send back (asked at, ms) pairs, ms inf on failure."""
    samples: list[tuple[float, float]] = []
    with httpx.Client(timeout=30.0) as client:
        while not stop.is_set():
            asked = time.monotonic()  # CLOCK_MONOTONIC: the same clock in both processes
            try:
                ok = client.get(url).status_code == 200
            except httpx.HTTPError:
                ok = False
            samples.append((asked, (time.monotonic() - asked) * 1000 if ok else math.inf))
            ready.set()
            stop.wait(_POLL_EVERY_SECONDS)
    out.send(samples)


async def probe(
    store: Store, label: str, *, since: datetime, until: datetime, huge_stages: int, repeat: int
) -> list[Probe]:
    """Poll ``/healthz`` while each of ``PROBED`` runs ``repeat`` times over the window."""
    configure_logging("WARNING")  # as in production: no line per /healthz call
    if huge_stages:
        await _plant_huge(store, huge_stages, since)
    try:
        keys = {role: secrets.token_urlsafe(32) for role in ("platform", "hr", "ops")}
        app = await _app(store, keys)
        windows: list[tuple[str, float, float]] = []
        async with _serving(app) as base, _polling(f"{base}/healthz") as samples:
            headers = {"Authorization": f"Bearer {keys['hr']}"}
            params = {"since": since.isoformat(), "until": until.isoformat()}
            async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as api:
                for name in PROBED[1:]:  # warm up, as a running server is: pools, caches
                    (await api.get(f"/v1/reports/{name}", params=params)).raise_for_status()
                for name in PROBED * repeat:
                    started = time.monotonic()
                    if name == "idle":
                        await asyncio.sleep(_IDLE_SECONDS)
                    else:
                        (await api.get(f"/v1/reports/{name}", params=params)).raise_for_status()
                    windows.append((name, started, time.monotonic()))
    finally:
        if huge_stages:
            await _remove_huge(store)
    return [
        _summary(label, name, huge_stages, windows, samples)
        for name in dict.fromkeys(name for name, _, _ in windows)
    ]


def _summary(
    label: str,
    name: str,
    huge_stages: int,
    windows: list[tuple[str, float, float]],
    samples: list[tuple[float, float]],
) -> Probe:
    runs = [(start, end) for run, start, end in windows if run == name]
    during = [ms for at, ms in samples if any(start <= at <= end for start, end in runs)]
    return Probe(
        database=label,
        report=name,
        huge_stages=huge_stages,
        report_ms=statistics.median((end - start) * 1000 for start, end in runs),
        polls=len(during),
        p50_ms=percentile(during, 0.5) if during else math.nan,
        p99_ms=percentile(during, 0.99) if during else math.nan,
        max_ms=max(during, default=math.nan),
    )


async def _app(store: Store, keys: dict[str, str]) -> FastAPI:
    api_keys = ",".join(f"{role}:{key}" for role, key in keys.items())
    settings = Settings(api_keys=SecretStr(api_keys))
    # No report route talks to Temporal: a lazy client that never connects is enough.
    client = await Client.connect("127.0.0.1:1", lazy=True)
    return create_app(settings, client=client, store=store)


@contextlib.asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[str]:
    """``app`` served as ``exitflow api`` serves it, on this event loop; yields its URL.

    (``tests/fixtures/api.py`` has the same few lines; a bench cannot import tests.)
    """
    # IPPROTO_TCP named, or asyncio leaves Nagle on: +40 ms a response (delayed ACKs).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextlib.asynccontextmanager
async def _polling(url: str) -> AsyncIterator[list[tuple[float, float]]]:
    context = multiprocessing.get_context("spawn")
    stop, ready = context.Event(), context.Event()
    receive, send = context.Pipe(duplex=False)
    poller = context.Process(target=poll, args=(url, stop, ready, send), daemon=True)
    poller.start()
    samples: list[tuple[float, float]] = []
    try:
        await asyncio.to_thread(ready.wait)
        yield samples
    finally:
        stop.set()
        samples.extend(await asyncio.to_thread(receive.recv))
        await asyncio.to_thread(poller.join)


async def _plant_huge(store: Store, stages: int, started_at: datetime) -> None:
    """One withdrawn session naming ``stages`` stages, as finding 2 planted it."""
    names = [f"stage-{i:06d}" for i in range(stages)]
    row = {
        "session_id": _HUGE,
        "workflow_id": _HUGE,
        "candidate_id": _HUGE,
        "locale": "en",
        "job_id": "job-0",
        "job_title": "Job",
        "interviewer_id": "iv-0",
        "stages": names,
        "stage_list": STAGE_LIST_SEPARATOR.join(names),
        "policy": {},
        "status": "withdrawn",
        "current_stage": names[-1],
        "started_at": started_at,
        "updated_at": started_at,
        "last_event_seq": 1,
    }
    await _remove_huge(store)
    async with store.engine.begin() as conn:
        await conn.execute(insert(SessionRow), [row])


async def _remove_huge(store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(delete(SessionRow).where(SessionRow.session_id == _HUGE))


def print_probes(probes: list[Probe]) -> None:
    """The probes as one aligned table."""
    print(
        f"\n{'database':<10} {'report':<10} {'stages':>7} {'report ms':>9} {'polls':>6}"
        f" {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  (/healthz while the report ran)"
    )
    for p in probes:
        print(
            f"{p.database:<10} {p.report:<10} {p.huge_stages or 3:>7} {p.report_ms:>9.0f}"
            f" {p.polls:>6} {p.p50_ms:>7.1f} {p.p99_ms:>7.1f} {p.max_ms:>7.1f}"
        )
