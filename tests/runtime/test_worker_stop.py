"""A stopped worker process exits in bounded time, whether Temporal answers or not.

A stop gives in-flight activities their grace period while Temporal is up; a server that
does not answer cannot hold the process beyond ``worker.SHUTDOWN_LIMIT``.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from contract.sessions import SessionView
from devstack.hris_inbox import HrisInbox, ScriptedResponse
from tests.fixtures.worker_process import Server, Spawn, served_session
from workflows.session import session_workflow_id

STOP_LIMIT_SECONDS = 20
"""A stop's bound: 10 s of grace for activities, 4 s more for Temporal to answer, the exit."""


async def _in_flight_delivery(
    env: WorkflowEnvironment, task_queue: str, hris_inbox: HrisInbox
) -> SessionView:
    """Start a session and wait until its ``interview.started`` webhook is being delivered."""
    view = await served_session(env, task_queue, within_seconds=30)
    await hris_inbox.wait_for(
        lambda d: d.type == "interview.started" and d.data["session_id"] == view.session_id,
        timeout=20,
    )
    return view


async def test_sigterm_stops_a_worker_in_time_while_temporal_is_stopped(
    server: Server, spawn_worker: Spawn, task_queue: str
) -> None:
    """SIGTERM with the dev server stopped (connections refused): the process exits 0 in time."""
    env = await server.start()
    worker = await spawn_worker()
    await served_session(env, task_queue, within_seconds=30)
    await server.stop()

    worker.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(worker.wait(), STOP_LIMIT_SECONDS) == 0


async def test_sigterm_stops_a_worker_in_time_while_temporal_does_not_answer(
    server: Server, spawn_worker: Spawn, task_queue: str, hris_inbox: HrisInbox, tmp_path: Path
) -> None:
    """SIGTERM mid-activity with the dev server frozen: the shutdown is cut short, exit 0.

    The SDK's own shutdown waits 30 s for each call to a server that does not answer (the
    ``ShutdownWorker`` call, then the activity's completion): about 37 s here.
    """
    env = await server.start()
    hris_inbox.script(ScriptedResponse(delay_seconds=5))
    worker = await spawn_worker()
    await _in_flight_delivery(env, task_queue, hris_inbox)
    server.freeze()

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(worker.wait(), STOP_LIMIT_SECONDS) == 0
    assert time.monotonic() - started > 10, (
        "the shutdown gave up within the activities' grace period"
    )
    log = (tmp_path / "worker.log").read_text()
    assert '"event": "worker shutdown cut short"' in log


async def test_sigterm_lets_an_in_flight_activity_finish_while_temporal_is_up(
    server: Server, spawn_worker: Spawn, task_queue: str, hris_inbox: HrisInbox, tmp_path: Path
) -> None:
    """SIGTERM mid-activity with Temporal up: the activity finishes and Temporal records it."""
    env = await server.start()
    hris_inbox.script(ScriptedResponse(delay_seconds=3))
    worker = await spawn_worker()
    view = await _in_flight_delivery(env, task_queue, hris_inbox)

    worker.send_signal(signal.SIGTERM)

    assert await asyncio.wait_for(worker.wait(), STOP_LIMIT_SECONDS) == 0
    history = await env.client.get_workflow_handle(
        session_workflow_id(view.session_id)
    ).fetch_history()
    delivery = next(
        event.event_id
        for event in history.events
        if event.activity_task_scheduled_event_attributes.activity_type.name == "deliver_hris_event"
    )
    assert any(
        event.activity_task_completed_event_attributes.scheduled_event_id == delivery
        for event in history.events
    )
    assert "cut short" not in (tmp_path / "worker.log").read_text()
