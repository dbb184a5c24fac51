"""``exitflow up`` as a real process: it stops on SIGTERM in any state, within a bound, and
its Temporal dev server neither outlives it nor gets attached to by the next ``up``."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.stack import EmbeddedPorts, dev_api_keys
from devstack.temporal_server import (
    PID_FILE,
    RecordedServer,
    dev_server_argv,
    record_server,
    recorded_server,
)
from starter.up_command import STOP_LIMIT_SECONDS

EXITFLOW = Path(sys.executable).parent / "exitflow"
START_SECONDS = 180  # a loaded two-core machine takes half a minute to bring the stack up
STOPPED_WITHIN_SECONDS = STOP_LIMIT_SECONDS - 5  # a clean stop, not the forced one


class Up:
    """One ``exitflow up`` process in a directory of its own (its ``var/`` is there)."""

    def __init__(self, directory: Path, ports: EmbeddedPorts) -> None:
        """Start ``exitflow up`` on ``ports`` in ``directory``, logging beside it."""
        self.var = directory / "var"
        self.out = directory / f"up-{time.monotonic_ns()}.out"
        env = {name: value for name, value in os.environ.items() if "EXITFLOW_" not in name}
        argv = [str(EXITFLOW), "up", *_port_options(ports)]
        with self.out.open("wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait_until_up(self) -> int:
        """Wait for the banner; return the pid of the Temporal dev server it started."""
        deadline = time.monotonic() + START_SECONDS
        while "exitflow is up." not in self.output():
            assert self.process.poll() is None, f"exitflow up exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"exitflow up did not come up:\n{self.output()}"
            time.sleep(0.2)
        server = recorded_server(self.var)
        assert server is not None, f"no {PID_FILE} under {self.var}"
        return server.pid

    def stop(self, signum: int = signal.SIGTERM) -> float:
        """Send ``signum``; return how many seconds the process took to exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        self.process.wait(timeout=STOP_LIMIT_SECONDS + 10)
        return time.monotonic() - started

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.out.read_text(errors="replace")


@pytest.fixture
def ports() -> EmbeddedPorts:
    """Free ports for one stack, one per service."""
    sockets = [socket.socket() for _ in dataclasses.fields(EmbeddedPorts)]
    for probe in sockets:
        probe.bind(("127.0.0.1", 0))
    found = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return EmbeddedPorts(*found)


@pytest.fixture
def start_up(tmp_path: Path, ports: EmbeddedPorts) -> Iterator[Callable[[], Up]]:
    """Start ``exitflow up`` in ``tmp_path`` on ``ports``; each is killed after the test."""
    started: list[Up] = []

    def start() -> Up:
        started.append(Up(tmp_path, ports))
        return started[-1]

    yield start
    for up in started:
        if up.process.poll() is None:
            up.process.kill()
            up.process.wait()
        server = recorded_server(up.var)
        if server is not None and _alive(server.pid):
            os.killpg(server.pid, signal.SIGKILL)


def test_sigterm_stops_a_running_stack_with_a_request_hanging(
    ports: EmbeddedPorts, start_up: Callable[[], Up]
) -> None:
    """A request that never sends its body does not hold the stop: exit 0, no server left."""
    up = start_up()
    server = up.wait_until_up()
    with _half_sent_request(ports.api, up.var):
        took = up.stop()

    _assert_stopped_cleanly(up, took, server)
    assert not (up.var / PID_FILE).exists()


def test_sigterm_while_the_stack_starts_stops_it(start_up: Callable[[], Up]) -> None:
    """SIGTERM while the dev server is still coming up stops everything started so far."""
    up = start_up()
    deadline = time.monotonic() + START_SECONDS
    while (server := recorded_server(up.var)) is None:
        assert time.monotonic() < deadline and up.process.poll() is None, up.output()
        time.sleep(0.05)

    took = up.stop()

    _assert_stopped_cleanly(up, took, server.pid)


def test_after_a_sigkill_the_next_up_runs_its_own_server(start_up: Callable[[], Up]) -> None:
    """SIGKILL leaves no server behind for long, and the next ``up`` never attaches to it."""
    first = start_up()
    killed_server = first.wait_until_up()

    first.stop(signal.SIGKILL)
    second = start_up()
    server = second.wait_until_up()

    assert server != killed_server
    assert not _alive(killed_server)
    _assert_stopped_cleanly(second, second.stop(), server)


def test_a_server_left_by_an_earlier_up_is_stopped_and_replaced(
    tmp_path: Path, ports: EmbeddedPorts, start_up: Callable[[], Up]
) -> None:
    """A recorded server still running (killed ``up`` on a system without PDEATHSIG) is
    stopped, and the new ``up`` starts a server of its own on the same port."""
    var = tmp_path / "var"
    var.mkdir()
    argv = dev_server_argv(ports, var)
    leftover = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        record_server(var, RecordedServer(leftover.pid, ports.temporal, argv))
        _wait_for_port(ports.temporal)

        up = start_up()
        server = up.wait_until_up()

        assert leftover.wait(timeout=5) is not None
    finally:
        leftover.kill()
        leftover.wait()
    assert server != leftover.pid
    assert "stopped a Temporal dev server an earlier exitflow up left running" in up.output()
    _assert_stopped_cleanly(up, up.stop(), server)


def test_a_port_held_by_another_process_is_refused(
    ports: EmbeddedPorts, start_up: Callable[[], Up]
) -> None:
    """Something not started by ``up`` answering on the Temporal port: ``up`` says so and
    stops, instead of attaching to it."""
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", ports.temporal))
        stranger.listen()
        up = start_up()
        assert up.process.wait(timeout=START_SECONDS) == 1

    assert f"127.0.0.1:{ports.temporal} is in use" in up.output()
    assert "--temporal-port" in up.output()
    assert recorded_server(up.var) is None


@contextlib.contextmanager
def _half_sent_request(port: int, var: Path) -> Iterator[None]:
    """A platform's session start whose body never finishes arriving, held open on the API."""
    key = dev_api_keys(json.loads((var / "dev-secrets.json").read_text()))["platform"]
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.sendall(
            b"POST /v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            + b'{"session_id":'
        )
        time.sleep(0.5)
        yield


def _assert_stopped_cleanly(up: Up, took: float, server: int) -> None:
    assert up.process.returncode == 0, up.output()
    assert took < STOPPED_WITHIN_SECONDS, f"stopped in {took:.1f} s"
    assert not _alive(server), "the Temporal dev server outlived exitflow up"


def _port_options(ports: EmbeddedPorts) -> list[str]:
    return [
        f"--temporal-port={ports.temporal}",
        f"--ui-port={ports.ui}",
        f"--smtp-port={ports.smtp}",
        f"--inbox-port={ports.inbox}",
        f"--api-port={ports.api}",
        f"--codec-port={ports.codec}",
        f"--oidc-port={ports.oidc}",
    ]


def _wait_for_port(port: int) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing came up on {port}"
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")
