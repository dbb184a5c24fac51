"""Request latency of ``withdraw`` and ``fault`` through the real HTTP API under concurrency.

Runs everything for real on this machine: the Temporal dev server, one worker, SQLite, a
local SMTP server and HR inbox, and the API served by uvicorn on a free port, as its own
``exitflow api`` process like in production (``--in-process`` serves it in the bench's
event loop instead, beside the worker). Each round starts 2×N sessions, then sends N
withdraws and N faults at once over HTTP (httpx) and times each request from send to full
response:

    .venv/bin/python -m bench.api_latency --concurrency 1 5 20 --rounds 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from pydantic import SecretStr

from bench._local import local_pipeline
from bench._stack import percentile
from config import Settings
from runtime.logs import configure_logging
from runtime.worker import running_worker
from starter.api_command import running_api
from tests.fixtures.temporal import session_body

PLATFORM_KEY = secrets.token_urlsafe(24)
_AUTH = {"Authorization": f"Bearer {PLATFORM_KEY}"}


async def _timed(http: httpx.AsyncClient, path: str, body: dict[str, str], status: int) -> float:
    started = time.perf_counter()
    response = await http.post(path, json=body, headers=_AUTH)
    elapsed = time.perf_counter() - started
    if response.status_code != status:
        raise RuntimeError(f"{path}: {response.status_code} {response.text}")
    return elapsed


async def _round(http: httpx.AsyncClient, n: int) -> tuple[list[float], list[float]]:
    bodies = [session_body(downstream_in=None).model_dump(mode="json") for _ in range(2 * n)]
    for body in bodies:
        response = await http.post("/v1/sessions", json=body, headers=_AUTH)
        response.raise_for_status()
    ids = [body["session_id"] for body in bodies]
    withdraws = [
        _timed(http, f"/v1/sessions/{sid}/withdraw", {"reason_code": "other"}, 200)
        for sid in ids[:n]
    ]
    faults = [
        _timed(http, f"/v1/sessions/{sid}/fault", {"cause": "network"}, 202) for sid in ids[n:]
    ]
    timings = await asyncio.gather(*withdraws, *faults)
    return list(timings[:n]), list(timings[n:])


def _line(kind: str, n: int, samples: list[float]) -> str:
    quantiles = "   ".join(
        f"{name} {percentile(samples, q) * 1000:7.1f} ms"
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    )
    return f"  N={n:<3} {kind:<9} {len(samples):4d} requests   {quantiles}"


@contextlib.asynccontextmanager
async def api_process(settings: Settings, address: str) -> AsyncIterator[str]:
    """``exitflow api`` on a free port, configured through its environment; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "EXITFLOW_TEMPORAL_ADDRESS": address,
        "EXITFLOW_TASK_QUEUE": settings.task_queue,
        "EXITFLOW_DATABASE_URL": settings.database_url,
        "EXITFLOW_API_KEYS": f"platform:{PLATFORM_KEY}",
        "EXITFLOW_RESUME_TOKEN_SECRET": _secret(settings.resume_token_secret),
        "EXITFLOW_LOG_LEVEL": "WARNING",
    }
    exitflow = Path(sys.executable).parent / "exitflow"
    process = await asyncio.create_subprocess_exec(
        str(exitflow), "api", "--port", str(port), env=env, stdout=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            for _ in range(200):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/readyz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        await process.wait()


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


async def main(concurrency: list[int], rounds: int, *, in_process: bool) -> None:
    """For each N, ``rounds`` rounds of N concurrent withdraws and N concurrent faults."""
    configure_logging("WARNING")
    async with local_pipeline(
        api_keys=SecretStr(f"platform:{PLATFORM_KEY}"),
        resume_token_secret=SecretStr(secrets.token_urlsafe(32)),
        task_queue=f"bench-{uuid.uuid4()}",
    ) as stack:
        env, settings = stack.env, stack.settings
        api = (
            running_api(settings, host="127.0.0.1", port=0, client=env.client)
            if in_process
            else api_process(settings, env.client.service_client.config.target_host)
        )
        async with (
            running_worker(env.client, settings),
            api as url,
            httpx.AsyncClient(base_url=url, timeout=60) as http,
        ):
            await _round(http, 1)  # warm-up
            where = "in the worker's process" if in_process else "its own process"
            print(f"API {url} ({where}), one worker, SQLite, dev server; {rounds} rounds")
            for n in concurrency:
                withdraws: list[float] = []
                faults: list[float] = []
                for _ in range(rounds):
                    w, f = await _round(http, n)
                    withdraws += w
                    faults += f
                print(_line("withdraw", n, withdraws))
                print(_line("fault", n, faults), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.concurrency, args.rounds, in_process=args.in_process))
