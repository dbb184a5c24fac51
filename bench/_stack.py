"""The stack every benchmark runs on, all on 127.0.0.1 and under one temporary directory.

A Temporal dev server on SQLite (restartable), exitflow worker processes (killable), the
local HR inbox and SMTP server in the benchmark's own process, and the settings that wire
them together. Each piece is real: nothing here mocks what a benchmark measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Coroutine
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from temporalio.client import Client

from activities.hris.signing import key_from_secret, new_secret
from devstack.hris_inbox import HrisInbox, InboxServer, ScriptedResponse
from devstack.mailbox import Mailbox
from devstack.stack import temporal_binary
from runtime.converter import data_converter
from workflows import search

ROOT = Path(__file__).resolve().parents[1]
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


def bench_directory() -> Path:
    """Where runs keep their databases and logs: ``$EXITFLOW_BENCH_DIR`` or ``/var/tmp``.

    Not ``/tmp``: on a shared machine other jobs' clean-ups there have removed a running
    benchmark's Temporal database under it.
    """
    directory = Path(os.environ.get("EXITFLOW_BENCH_DIR", "/var/tmp/exitflow-bench"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ProcessSample:
    """CPU seconds used so far and resident memory of one process."""

    cpu_seconds: float
    rss_mib: float


def sample_process(pid: int) -> ProcessSample:
    """Read a process's CPU time (user + system) and RSS from ``/proc``."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / _CLOCK_TICKS
    rss_kib = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kib = int(line.split()[1])
    return ProcessSample(cpu_seconds=cpu, rss_mib=rss_kib / 1024)


class DevServer:
    """``temporal server start-dev --db-filename ...``: SQLite-backed, so it survives a restart."""

    def __init__(self, directory: Path, *, persistent: bool = True) -> None:
        """Prepare a server keeping its log (and SQLite file if ``persistent``) in ``directory``."""
        self.directory = directory
        self.persistent = persistent
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self._process else None

    async def start(self) -> None:
        """Start the server and wait until it answers."""
        flags = [f"--search-attribute={key.name}=Keyword" for key in search.ALL_KEYS]
        if self.persistent:
            flags.append(f"--db-filename={self.directory / 'temporal.db'}")
        with (self.directory / "temporal.log").open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                temporal_binary(),
                "server",
                "start-dev",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--headless",
                "--log-level=error",
                "--dynamic-config-value=frontend.enableUpdateWorkflowExecution=true",
                "--dynamic-config-value=frontend.enableUpdateWorkflowExecutionAsyncAccepted=true",
                *flags,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        for _ in range(240):
            if self._process.returncode is not None:
                raise RuntimeError(f"temporal dev server exited:\n{self._log_tail()}")
            with contextlib.suppress(Exception):
                client = await self.connect()
                await client.count_workflows()
                return
            await asyncio.sleep(0.25)
        raise RuntimeError(f"temporal dev server not up on {self.address}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        path = self.directory / "temporal.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-15:]) if path.exists() else ""
        )

    async def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it lingers."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=20)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def restart(self) -> float:
        """Stop and start again on the same port and database; returns seconds it was down."""
        began = time.monotonic()
        await self.stop()
        await self.start()
        return time.monotonic() - began

    async def connect(self) -> Client:
        """A client with exitflow's data converter."""
        return await Client.connect(self.address, data_converter=data_converter)


_CODE = (
    "activities",
    "config",
    "contract",
    "devstack",
    "links",
    "reports",
    "runtime",
    "sessions",
    "starter",
    "store",
    "workflows",
    "worker.py",
)


def snapshot_code(directory: Path, source: Path = ROOT, name: str = "code") -> Path:
    """Copy the worker's code from ``source`` into ``directory/name`` and return that folder.

    Workers of a run start from this copy, so a run measures one version of the code even
    when the tree is edited meanwhile (a worker restarted on edited workflow code would
    fail its replays, which is not the fault being measured).
    """
    target = directory / name
    for part in _CODE:
        origin = source / part
        if origin.is_dir():
            shutil.copytree(origin, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target / part)
    return target


@dataclass
class WorkerPool:
    """One ``python worker.py`` (or other module) at a time, killable and restartable."""

    directory: Path
    env: dict[str, str]
    argv: list[str] = field(default_factory=lambda: [sys.executable, "worker.py"])
    cwd: Path = ROOT
    kills: int = 0
    expected_down: bool = False
    """True between a deliberate ``kill()``/``stop()`` and the next ``start()``."""
    _process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        """The running worker's process id."""
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        """Whether a worker process is running."""
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start a worker process (stdout and stderr appended to ``worker.log``)."""
        with (self.directory / "worker.log").open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.expected_down = False

    async def kill(self) -> None:
        """SIGKILL the worker: no graceful shutdown, in-flight activities are cut off."""
        self.expected_down = True
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()
            self.kills += 1

    async def stop(self) -> None:
        """Stop the worker gracefully (SIGTERM)."""
        self.expected_down = True
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            await process.wait()


async def watched(work: Awaitable[T], pools: list[WorkerPool]) -> T:
    """Await ``work``, failing fast if a worker process dies on its own (not by ``kill()``)."""
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait([task], timeout=1.0)
        dead = [pool for pool in pools if not pool.alive and not pool.expected_down]
        if dead and not task.done():
            task.cancel()
            logs = dead[0].directory / "worker.log"
            raise RuntimeError(f"a worker process exited by itself; see {logs}")
    return task.result()


class Mailboxes:
    """A local SMTP server that can be taken down and brought back on the same port."""

    def __init__(self, directory: Path) -> None:
        """Prepare; nothing listens until ``start()``."""
        self.directory = directory
        self.port = 0
        self.received_at: dict[str, float] = {}
        """Arrival time (``time.time()``) of the first email per ``X-Exitflow-Session``."""
        self._current: Mailbox | None = None
        self._earlier: list[Mailbox] = []

    def start(self) -> None:
        """Listen (again) on the same port."""
        owner = self

        class _Timed(Mailbox):
            def _keep(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
                super()._keep(raw, mail_from, rcpt_tos)
                session = self.messages[-1]["X-Exitflow-Session"]
                owner.received_at.setdefault(str(session), time.time())

        self._current = _Timed(self.directory, port=self.port)
        self._current.start()
        self.port = self._current.port

    def stop(self) -> None:
        """Stop listening: senders get "connection refused" until ``start()``."""
        if self._current is not None:
            self._current.stop()
            self._earlier.append(self._current)
            self._current = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received by any incarnation of the server."""
        every = [*self._earlier, *([self._current] if self._current else [])]
        return [message for box in every for message in box.messages]


class FlakyInbox(HrisInbox):
    """An HR inbox that answers a share of deliveries with 5xx or too slowly.

    Every answer is still recorded; a slow answer is a 204 that arrives after the sender's
    timeout, so the sender retries a delivery the inbox already has (same ``webhook-id``).
    """

    def __init__(self, key: bytes, *, seed: int = 7) -> None:
        """Start answering every delivery with 204."""
        super().__init__(key)
        self.error_share = 0.0
        self.error_retry_after: int | None = 1
        """``Retry-After`` seconds sent with each 503 (None sends none)."""
        self.slow_share = 0.0
        self.slow_seconds = 0.0
        self.received_at: dict[tuple[str, str], float] = {}
        """Arrival time of the first delivery per (session id, event type)."""
        self._random = random.Random(seed)

    async def receive(self, headers: dict[str, str], body: bytes) -> ScriptedResponse:
        """Pick this delivery's answer, then record it as the plain inbox does."""
        roll = self._random.random()
        if roll < self.error_share:
            self.script(ScriptedResponse(status_code=503, retry_after=self.error_retry_after))
        elif roll < self.error_share + self.slow_share:
            self.script(ScriptedResponse(delay_seconds=self.slow_seconds))
        answer = await super().receive(headers, body)
        delivery = self.deliveries[-1]
        key = (str(delivery.data.get("session_id")), str(delivery.type))
        self.received_at.setdefault(key, time.time())
        return answer


@dataclass
class Stack:
    """Everything a benchmark talks to, and the worker's environment to reach it."""

    directory: Path
    server: DevServer
    client: Client
    inbox: FlakyInbox
    mail: Mailboxes
    secret: str
    task_queue: str = "bench-sessions"
    resume_token_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def worker_env(self, **extra: str) -> dict[str, str]:
        """The ``EXITFLOW_*`` environment of a worker process on this stack."""
        assert self.inbox.url is not None
        return {
            "EXITFLOW_TEMPORAL_ADDRESS": self.server.address,
            "EXITFLOW_TASK_QUEUE": self.task_queue,
            "EXITFLOW_DATABASE_URL": self.database_url,
            "EXITFLOW_SMTP_HOST": "127.0.0.1",
            "EXITFLOW_SMTP_PORT": str(self.mail.port),
            "EXITFLOW_SMTP_TIMEOUT_SECONDS": "5",
            "EXITFLOW_HRIS_WEBHOOK_URL": self.inbox.url,
            "EXITFLOW_HRIS_WEBHOOK_SECRET": self.secret,
            "EXITFLOW_RESUME_TOKEN_SECRET": self.resume_token_secret,
            "EXITFLOW_LOG_LEVEL": "WARNING",
            **extra,
        }

    @property
    def database_url(self) -> str:
        """exitflow's SQLite database for this run."""
        return f"sqlite+aiosqlite:///{self.directory / 'exitflow.db'}"

    def workers(self, **extra_env: str) -> WorkerPool:
        """A pool running ``python worker.py`` (from the run's code snapshot) on this stack."""
        code = self.directory / "code"
        if not code.exists():
            snapshot_code(self.directory)
        return WorkerPool(self.directory, self.worker_env(**extra_env), cwd=code)

    def variant_workers(self, source: Path, task_queue: str) -> WorkerPool:
        """A pool running another checkout's ``worker.py`` on ``task_queue``, to compare two
        versions of the code in one run (same server, database, inbox and SMTP server)."""
        code = snapshot_code(self.directory, source, "variant-code")
        env = self.worker_env(EXITFLOW_TASK_QUEUE=task_queue)
        return WorkerPool(self.directory, env, cwd=code)

    def bare_workers(self, task_queue: str) -> WorkerPool:
        """A pool running the bare baseline's worker (``bench._bare``) against this stack."""
        argv = [sys.executable, "-m", "bench._bare", f"--address={self.server.address}"]
        return WorkerPool(self.directory, {}, [*argv, f"--task-queue={task_queue}"])


@contextlib.asynccontextmanager
async def running_stack(directory: Path, *, persistent: bool = True) -> AsyncIterator[Stack]:
    """Start the dev server, the HR inbox and the SMTP server under ``directory``.

    ``persistent=False`` keeps Temporal's state in memory (``start-dev`` without
    ``--db-filename``), which the throughput and latency benchmarks may choose.
    """
    secret = new_secret()
    inbox = FlakyInbox(key_from_secret(secret))
    mail = Mailboxes(directory / "mail")
    server = DevServer(directory, persistent=persistent)
    await server.start()
    try:
        async with InboxServer(inbox):
            await asyncio.to_thread(mail.start)
            try:
                client = await server.connect()
                yield Stack(directory, server, client, inbox, mail, secret)
            finally:
                await asyncio.to_thread(mail.stop)
    finally:
        await server.stop()


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``samples``."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def run_main(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` that turns SIGTERM into cancellation, so servers and workers are stopped."""

    async def guarded() -> T:
        task = asyncio.ensure_future(main)
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await task

    return asyncio.run(guarded())
