"""The embedded stack's Temporal dev server: started fresh, and never left behind.

The server runs in a session of its own, so a Ctrl-C in the terminal reaches ``exitflow up``
alone, which stops the services in order. On Linux it also dies with ``exitflow up`` when
that is killed outright (``PR_SET_PDEATHSIG``). Its pid and command line are kept in
``var/temporal.pid``: the next ``exitflow up`` stops a server an earlier one left behind,
and refuses to start, rather than attach, when another process holds the port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog
from temporalio.client import Client

from config import Settings
from devstack.stack import EmbeddedPorts, temporal_binary
from runtime.worker import connect
from workflows import search

log = structlog.get_logger()

PID_FILE = "temporal.pid"
STOP_SECONDS = 10.0
"""How long the server may take to stop on SIGTERM before it is killed."""
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class RecordedServer:
    """A dev server an ``exitflow up`` started: its pid, its port and its command line."""

    pid: int
    port: int
    argv: list[str]


def dev_server_argv(ports: EmbeddedPorts, var_dir: Path) -> list[str]:
    """The command that runs the dev server on SQLite under ``var_dir``, its Web UI
    decoding payloads through the stack's codec server."""
    return [
        temporal_binary(),
        "server",
        "start-dev",
        f"--db-filename={var_dir.resolve() / 'temporal.db'}",
        "--ip=127.0.0.1",
        f"--port={ports.temporal}",
        f"--ui-port={ports.ui}",
        f"--ui-codec-endpoint={ports.codec_url}",
        "--log-level=warn",
        *(f"--search-attribute={key.name}=Keyword" for key in search.ALL_KEYS),
    ]


def record_server(var_dir: Path, server: RecordedServer) -> None:
    """Keep ``server`` in ``var_dir/temporal.pid`` (replaced whole, never half-written)."""
    path = var_dir / PID_FILE
    partial = path.with_suffix(".pid.partial")
    partial.write_text(json.dumps(asdict(server)))
    partial.replace(path)


def recorded_server(var_dir: Path) -> RecordedServer | None:
    """The server ``var_dir/temporal.pid`` names, or None without a readable record."""
    try:
        return RecordedServer(**json.loads((var_dir / PID_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def is_running(server: RecordedServer) -> bool:
    """Whether ``server``'s pid still runs ``server``'s command line (not a reused pid)."""
    return _command_line(server.pid) == " ".join(server.argv)


def stop_recorded_server(var_dir: Path, *, grace_seconds: float = STOP_SECONDS) -> int | None:
    """Stop the server ``var_dir/temporal.pid`` names, if it still runs; forget the record.

    SIGTERM first, SIGKILL after ``grace_seconds`` (at once for 0). Blocks while it waits.

    Returns:
        The pid of the server stopped, or None when none was running.
    """
    server = recorded_server(var_dir)
    stopped = None
    if server is not None and is_running(server):
        _signal_group(server.pid, signal.SIGTERM if grace_seconds else signal.SIGKILL)
        deadline = time.monotonic() + grace_seconds
        while is_running(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        if is_running(server):
            _signal_group(server.pid, signal.SIGKILL)
        stopped = server.pid
    with contextlib.suppress(FileNotFoundError):
        (var_dir / PID_FILE).unlink()
    return stopped


def refuse_held_ports(ports: EmbeddedPorts) -> None:
    """Refuse to start while another process answers on the server's or the Web UI's port.

    Raises:
        SystemExit: Naming the port and the option that moves it.
    """
    for port, option in ((ports.temporal, "--temporal-port"), (ports.ui, "--ui-port")):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            raise SystemExit(
                f"exitflow up: 127.0.0.1:{port} is in use by a process this stack did not "
                f"start; stop it, or choose another port with {option}"
            )


@contextlib.asynccontextmanager
async def temporal_dev_server(
    ports: EmbeddedPorts, var_dir: Path, *, payload_keys: str | None = None
) -> AsyncIterator[Client]:
    """Run ``temporal server start-dev`` on SQLite under ``var_dir``; yield a client to it.

    A server left behind under ``var_dir`` by an earlier run is stopped first. The client
    encrypts payloads with ``payload_keys`` when given.

    Raises:
        SystemExit: A port is held by another process, or the server did not come up.
    """
    left = await asyncio.to_thread(stop_recorded_server, var_dir)
    if left is not None:
        log.warning("stopped a Temporal dev server an earlier exitflow up left running", pid=left)
    refuse_held_ports(ports)
    argv = dev_server_argv(ports, var_dir)
    log_path = var_dir / "temporal.log"
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    try:
        record_server(var_dir, RecordedServer(process.pid, ports.temporal, argv))
        settings = Settings.for_dev_stack(
            temporal_address=f"127.0.0.1:{ports.temporal}", payload_keys=payload_keys
        )
        yield await _wait_for_temporal(settings, process, log_path)
    finally:
        try:
            await _stop(process)
        finally:
            with contextlib.suppress(FileNotFoundError):
                (var_dir / PID_FILE).unlink()


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after ``STOP_SECONDS``, or at once when this stop is cut short."""
    if process.returncode is not None:
        return
    _signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_SECONDS)
    finally:
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGKILL)


async def _wait_for_temporal(
    settings: Settings, process: asyncio.subprocess.Process, log_path: Path
) -> Client:
    address = settings.temporal_address
    for _ in range(120):
        if process.returncode is not None:
            raise SystemExit(f"the Temporal dev server stopped at start; see {log_path}")
        with contextlib.suppress(Exception):
            client = await connect(settings)
            # A server that failed to bind exits: what answered must have been ours.
            if process.returncode is None:
                return client
        await asyncio.sleep(0.5)
    raise SystemExit(f"the Temporal dev server did not come up on {address}; see {log_path}")


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGTERM the child when this process dies."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in it
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return die_with_parent


def _signal_group(pid: int, signum: int) -> None:
    # The server leads its own process group (start_new_session): signal all of it.
    with contextlib.suppress(ProcessLookupError):
        try:
            os.killpg(pid, signum)
        except PermissionError:
            os.kill(pid, signum)


def _command_line(pid: int) -> str | None:
    """The command line ``pid`` runs, arguments joined by spaces; None when it runs none."""
    if not Path("/proc/self").exists():  # macOS and other systems without /proc
        found = subprocess.run(
            ["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
        )
        return found.stdout.strip() or None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return " ".join(raw.decode(errors="replace").split("\0")[:-1]) or None  # empty: a zombie
