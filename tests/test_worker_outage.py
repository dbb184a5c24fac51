"""A worker process rides out a Temporal outage by itself, and still stops on a signal.

Each test runs ``python worker.py`` against a real dev server kept on a SQLite file, so
the server can go away and come back on the same port with the same sessions.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from starter.hris_inbox import HrisInbox
from starter.sessions import SessionClient
from tests.fixtures.temporal import binary, session_body
from workflows import search
from workflows.converter import data_converter
from workflows.models import SessionView

ROOT = Path(__file__).resolve().parents[1]

Spawn = Callable[..., Awaitable[asyncio.subprocess.Process]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A dev server on one port and one SQLite file, to stop and start again."""

    def __init__(self, directory: Path) -> None:
        """Choose the port and the database file; nothing runs until ``start()``."""
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.database = directory / "temporal.db"
        self.env: WorkflowEnvironment | None = None

    async def start(self) -> WorkflowEnvironment:
        """Start the server (again) and return its environment."""
        self.env = await WorkflowEnvironment.start_local(
            port=self.port,
            dev_server_existing_path=binary("temporal"),
            dev_server_database_filename=str(self.database),
            data_converter=data_converter,
            search_attributes=list(search.ALL_KEYS),
            dev_server_log_level="error",
        )
        return self.env

    async def stop(self) -> None:
        """Stop the server: every call to it is refused until ``start()``."""
        if self.env is not None:
            await self.env.shutdown()
            self.env = None


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    """A dev server of the test's own, not yet started; stopped after the test."""
    server = Server(tmp_path)
    yield server
    await server.stop()


@pytest.fixture
async def spawn_worker(
    server: Server, worker_process_env: dict[str, str], tmp_path: Path
) -> AsyncIterator[Spawn]:
    """Start ``python worker.py`` on ``server``'s address; any still alive are killed after."""
    env = {**worker_process_env, "EXITFLOW_TEMPORAL_ADDRESS": server.address}
    started: list[asyncio.subprocess.Process] = []

    async def spawn(**overrides: str) -> asyncio.subprocess.Process:
        with (tmp_path / "worker.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "worker.py",
                cwd=ROOT,
                env={**env, **overrides},
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        started.append(process)
        return process

    yield spawn
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _served_session(
    env: WorkflowEnvironment, task_queue: str, *, within_seconds: float
) -> SessionView:
    """Start a session and wait until a worker has answered its ``get_status`` query."""
    sessions = SessionClient(env.client, task_queue)
    body = session_body()
    async with asyncio.timeout(within_seconds):
        while True:
            try:
                # Starting is idempotent; the query fails while no worker polls the queue.
                return await sessions.start(body)
            except RPCError:
                await asyncio.sleep(0.5)


async def test_worker_carries_on_after_temporal_restarts(
    server: Server, spawn_worker: Spawn, task_queue: str, hris_inbox: HrisInbox
) -> None:
    """Temporal down for 20 s and back on the same port: the same process serves new sessions."""
    env = await server.start()
    worker = await spawn_worker()
    before = await _served_session(env, task_queue, within_seconds=30)

    await server.stop()
    await asyncio.sleep(20)
    assert worker.returncode is None, "the worker exited while Temporal was down"
    env = await server.start()

    after = await _served_session(env, task_queue, within_seconds=30)
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
    await asyncio.sleep(8)
    assert worker.returncode is None, "the worker gave up on an unreachable Temporal"

    env = await server.start()

    view = await _served_session(env, task_queue, within_seconds=30)
    assert view.status == "active"
    log = (tmp_path / "worker.log").read_text()
    assert '"attempt": 1' in log and '"event": "temporal unreachable; retrying"' in log


async def test_sigterm_stops_a_worker_waiting_for_temporal(spawn_worker: Spawn) -> None:
    """SIGTERM during the wait for an unreachable Temporal ends the process at once, cleanly."""
    worker = await spawn_worker()
    await asyncio.sleep(6)
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
