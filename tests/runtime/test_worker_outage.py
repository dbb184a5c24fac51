"""A worker process rides out a Temporal outage by itself, and still stops on a signal.

Each test runs ``python worker.py`` against a real dev server kept on a SQLite file, so
the server can go away and come back on the same port with the same sessions.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from devstack.hris_inbox import HrisInbox
from sessions.client import SessionClient
from tests.fixtures.worker_process import Server, Spawn, served_session


async def test_worker_carries_on_after_temporal_restarts(
    server: Server, spawn_worker: Spawn, task_queue: str, hris_inbox: HrisInbox
) -> None:
    """Temporal down for 20 s and back on the same port: the same process serves new sessions."""
    env = await server.start()
    worker = await spawn_worker()
    before = await served_session(env, task_queue, within_seconds=30)

    await server.stop()
    await asyncio.sleep(20)
    assert worker.returncode is None, "the worker exited while Temporal was down"
    env = await server.start()

    after = await served_session(env, task_queue, within_seconds=30)
    assert after.status == "active"
    started = await hris_inbox.wait_for(
        lambda d: d.type == "interview.started" and d.data["session_id"] == after.session_id,
        timeout=20,
    )
    assert started.verified
    survivor = await SessionClient(env.client, task_queue).status(before.session_id)
    assert survivor.status == "active"
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(worker.wait(), 15) == 0


async def test_worker_started_while_temporal_is_down_comes_up_with_it(
    server: Server, spawn_worker: Spawn, task_queue: str, tmp_path: Path
) -> None:
    """A worker started before Temporal waits for it instead of exiting, then serves sessions."""
    worker = await spawn_worker()
    log = await _logged(tmp_path, '"event": "temporal unreachable; retrying"')
    assert '"attempt": 1' in log
    await asyncio.sleep(4)
    assert worker.returncode is None, "the worker gave up on an unreachable Temporal"

    env = await server.start()

    view = await served_session(env, task_queue, within_seconds=30)
    assert view.status == "active"


async def test_sigterm_stops_a_worker_waiting_for_temporal(
    spawn_worker: Spawn, tmp_path: Path
) -> None:
    """SIGTERM during the wait for an unreachable Temporal ends the process at once, cleanly."""
    worker = await spawn_worker()
    await _logged(tmp_path, "temporal unreachable; retrying")
    assert worker.returncode is None

    worker.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(worker.wait(), 3) == 0


async def test_missing_namespace_fails_fast(
    server: Server, spawn_worker: Spawn, tmp_path: Path
) -> None:
    """A namespace the server does not have is a configuration error: no retrying."""
    await server.start()

    worker = await spawn_worker(EXITFLOW_TEMPORAL_NAMESPACE="no-such-namespace")

    assert await asyncio.wait_for(worker.wait(), 20) != 0
    log = (tmp_path / "worker.log").read_text()
    assert "Namespace no-such-namespace is not found" in log
    assert "retrying" not in log


async def test_unparseable_address_fails_fast(spawn_worker: Spawn, tmp_path: Path) -> None:
    """An address that is not ``host:port`` is a configuration error: no retrying."""
    worker = await spawn_worker(EXITFLOW_TEMPORAL_ADDRESS="not an address")

    assert await asyncio.wait_for(worker.wait(), 20) != 0
    log = (tmp_path / "worker.log").read_text()
    assert "ValueError: invalid target URL" in log
    assert "retrying" not in log


async def _logged(directory: Path, text: str, *, within_seconds: float = 60) -> str:
    """The worker's log once it holds ``text``: a loaded machine may take long to import."""
    log = directory / "worker.log"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_seconds
    while loop.time() < deadline:
        content = log.read_text() if log.exists() else ""
        if text in content:
            return content
        await asyncio.sleep(0.2)
    raise AssertionError(f"{text!r} not logged within {within_seconds} s")
