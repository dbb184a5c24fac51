"""Heartbeats are cheap: at most one per session per quarter timeout goes on, as a row update."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from starter.api.heartbeats import HeartbeatGate
from store import Store
from tests.fixtures.database import recorded
from tests.starter.api.helpers import PLATFORM, started


async def _heartbeat_signals(dev_env: WorkflowEnvironment, session_id: str) -> int:
    handle = dev_env.client.get_workflow_handle(f"interview-session-{session_id}")
    history = await handle.fetch_history()
    return sum(
        1
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and event.workflow_execution_signaled_event_attributes.signal_name == "heartbeat"
    )


def _beat(version: int) -> dict[str, object]:
    return {"client": {"browser": "Chrome", "browser_version": str(version), "os": "macOS"}}


async def test_many_heartbeats_become_one_note_on_the_row_and_no_signal(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment, store: Store
) -> None:
    """Thirty beats inside a quarter timeout: the first is noted on the session's row, with
    its client, and none costs the workflow a signal."""
    sid = (await started(api, heartbeat_timeout_seconds=3600))["session_id"]
    await recorded(store, sid)

    for n in range(30):
        response = await api.post(f"/v1/sessions/{sid}/heartbeat", json=_beat(n), headers=PLATFORM)
        assert response.status_code == 204

    heard = await store.last_seen(sid, as_of=datetime.now(UTC))
    assert heard.seconds_ago is not None and heard.seconds_ago < 30
    assert heard.client is not None and heard.client.browser_version == "0"
    assert await _heartbeat_signals(dev_env, sid) == 0


async def test_an_api_that_did_not_see_the_start_learns_the_timeout(
    api: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    api_settings: Settings,
    store: Store,
    task_queue: str,
) -> None:
    """A second API process reads the timeout from the workflow's start and coalesces too."""
    sid = (await started(api, heartbeat_timeout_seconds=3600))["session_id"]
    await recorded(store, sid)
    other = create_app(api_settings, client=dev_env.client, store=store, task_queue=task_queue)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=other), base_url="http://api"
    ) as second:
        for n in range(10):
            beat = await second.post(
                f"/v1/sessions/{sid}/heartbeat", json=_beat(n), headers=PLATFORM
            )
            assert beat.is_success

    heard = await store.last_seen(sid, as_of=datetime.now(UTC))
    assert heard.client is not None and heard.client.browser_version == "0"


async def test_a_session_not_recorded_yet_hears_the_beat_as_a_signal(
    api: httpx.AsyncClient,
    dev_env: WorkflowEnvironment,
    api_settings: Settings,
    task_queue: str,
    tmp_path: Path,
) -> None:
    """With no row to note it on (here: an API whose store never saw the session), the beat
    goes to the workflow as a signal, still coalesced."""
    sid = (await started(api, heartbeat_timeout_seconds=3600))["session_id"]
    empty = Store.from_url(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    await empty.create_schema()
    other = create_app(api_settings, client=dev_env.client, store=empty, task_queue=task_queue)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=other), base_url="http://api"
        ) as second:
            for _ in range(5):
                assert (
                    await second.post(f"/v1/sessions/{sid}/heartbeat", headers=PLATFORM)
                ).is_success
    finally:
        await empty.dispose()

    assert await _heartbeat_signals(dev_env, sid) == 1


async def test_a_heartbeat_to_a_closed_session_is_409(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Once the session's workflow closed, a heartbeat is refused as ``session_ended``."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/complete", headers=PLATFORM)
    handle = dev_env.client.get_workflow_handle(f"interview-session-{sid}")
    await asyncio.wait_for(handle.result(), timeout=30)

    response = await api.post(f"/v1/sessions/{sid}/heartbeat", headers=PLATFORM)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_ended"
    assert response.json()["error"]["details"]["status"] == "completed"


async def test_the_gate_forwards_again_after_a_quarter_timeout() -> None:
    """With a 20 s timeout, beats 4 s apart are forwarded every 5 s of the clock."""
    now = [0.0]
    forwarded: list[float] = []
    gate = HeartbeatGate(clock=lambda: now[0])
    gate.learn_timeout("s-1", 20)

    async def forward() -> None:
        forwarded.append(now[0])

    for tick in range(6):
        now[0] = tick * 4.0
        await gate.beat("s-1", forward)

    assert forwarded == [0.0, 8.0, 16.0]


async def test_the_gate_forgets_the_least_recent_sessions() -> None:
    """Past its bound the gate drops the oldest session, whose next beat is forwarded."""
    gate = HeartbeatGate(max_sessions=2)
    for sid in ("a", "b", "c"):
        gate.learn_timeout(sid, 120)

    assert [gate.knows(sid) for sid in ("a", "b", "c")] == [False, True, True]
