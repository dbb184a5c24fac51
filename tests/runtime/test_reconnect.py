"""Which errors a worker waits out, measured on the errors the SDK really raises."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from config import Settings
from runtime.reconnect import Backoff, Stopped, check_namespace, is_transient, unless_stopped
from runtime.worker import running_worker
from tests.fixtures.temporal import binary


def _closed_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


async def _raised(work: Awaitable[object]) -> BaseException:
    with pytest.raises(Exception) as caught:
        await work
    return caught.value


async def test_refused_connect_is_transient() -> None:
    """Nothing listening where Temporal should be: the server is down, wait for it."""
    err = await _raised(Client.connect(_closed_address()))

    assert isinstance(err, RuntimeError)
    assert is_transient(err)


async def test_worker_of_a_server_gone_down_fails_transiently(tmp_path: Path) -> None:
    """A worker started after its server went away fails, and that failure is waited out."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), dev_server_log_level="error"
    )
    await env.shutdown()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'exitflow.db'}")

    with pytest.raises(RuntimeError) as caught:
        async with running_worker(env.client, settings, task_queue="gone"):
            await asyncio.sleep(60)

    assert is_transient(caught.value)
    assert is_transient(await _raised(check_namespace(env.client)))


async def test_configuration_errors_are_not_transient(dev_env: WorkflowEnvironment) -> None:
    """A bad address, TLS against a plain server, or a missing namespace fail at once."""
    address = dev_env.client.service_client.config.target_host
    wrong_namespace = await Client.connect(address, namespace="no-such-namespace")

    missing = await _raised(check_namespace(wrong_namespace))

    assert isinstance(missing, RPCError) and "not found" in missing.message
    assert not is_transient(missing)
    assert not is_transient(await _raised(Client.connect("not an address")))
    assert not is_transient(await _raised(Client.connect(address, tls=True)))


async def test_namespace_check_passes_on_a_running_server(dev_env: WorkflowEnvironment) -> None:
    """The check the worker makes before starting answers for an existing namespace."""
    await check_namespace(dev_env.client)


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_success() -> None:
    """0.5 s, 1 s, 2 s ... never more than 10 s; a success resets it."""
    backoff = Backoff()

    delays = [backoff.next_delay() for _ in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert backoff.attempt == 7

    backoff.reset()
    assert backoff.next_delay() == 0.5


async def test_unless_stopped_returns_the_result_or_gives_up_on_stop() -> None:
    """Work finishing first gives its result; a stop first cancels the work and raises."""
    stop = asyncio.Event()
    assert await unless_stopped(stop, asyncio.sleep(0, result="done")) == "done"

    never = asyncio.ensure_future(asyncio.Event().wait())
    asyncio.get_running_loop().call_later(0.05, stop.set)
    with pytest.raises(Stopped):
        await unless_stopped(stop, never)
    await asyncio.sleep(0)
    assert never.cancelled()
