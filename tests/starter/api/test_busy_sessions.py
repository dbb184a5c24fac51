"""A burst of commands for one session on the real dev server: 429 + Retry-After, never 5xx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RetryConfig
from temporalio.testing import WorkflowEnvironment

from config import Settings
from runtime.converter import data_converter
from starter.api import create_app
from starter.api.auth import ApiError
from starter.api.session_busy import SessionUpdateGate
from store import Store
from tests.fixtures.api import serving
from tests.starter.api.helpers import HR, PLATFORM, started


def _segment(n: int) -> dict[str, Any]:
    stage = ("self_intro", "skill_test", "scenario_simulation")[n % 3]
    return {"stage": stage, "segment_id": f"seg-{n}", "kind": "video", "video_seconds": 30}


Answer = tuple[str | None, httpx.Response]
"""The segment id a call sent (None for a heartbeat), and what it got."""


async def _burst(api: httpx.AsyncClient, sid: str, updates: int, beats: int) -> list[Answer]:
    """``updates`` progress calls and ``beats`` heartbeats for ``sid``, all at once."""

    async def progress(n: int) -> Answer:
        segment = _segment(n)
        path = f"/v1/sessions/{sid}/progress"
        return segment["segment_id"], await api.post(path, json=segment, headers=PLATFORM)

    async def heartbeat() -> Answer:
        path = f"/v1/sessions/{sid}/heartbeat"
        return None, await api.post(path, json={}, headers=PLATFORM)

    calls = [progress(n) for n in range(updates)] + [heartbeat() for _ in range(beats)]
    return list(await asyncio.gather(*calls))


async def _saved_if_answered(api: httpx.AsyncClient, sid: str, answers: list[Answer]) -> set[str]:
    """Every answer is 200/204 or 429 with Retry-After; every segment answered 200 is saved.

    Returns:
        The segment ids answered 200.
    """
    statuses = {response.status_code for _, response in answers}
    assert statuses <= {200, 204, 429}, [(r.status_code, r.text) for _, r in answers]
    for _, response in answers:
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert response.json()["error"]["code"] == "session_busy"
    view = await api.get(f"/v1/sessions/{sid}", headers=HR)
    assert view.status_code == 200, view.text
    assert view.json()["status"] == "active"
    saved = {segment["segment_id"] for segment in view.json()["completed_segments"]}
    answered = {sent for sent, response in answers if sent and response.status_code == 200}
    assert answered <= saved
    return answered


@pytest.fixture
async def unguarded_api(
    dev_env: WorkflowEnvironment, api_settings: Settings, task_queue: str, store: Store
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with its progress gate wide open, so that bursts reach Temporal's own limit.

    Its Temporal client retries little, as a second API process's would once its retries
    ran out: the burst then meets Temporal's refusal rather than a longer wait.
    """
    target = dev_env.client.service_client.config.target_host
    client = await Client.connect(
        target,
        data_converter=data_converter,
        retry_config=RetryConfig(max_retries=1, max_elapsed_time_millis=1000),
    )
    settings = api_settings.model_copy(update={"progress_in_flight_per_session": 1000})
    app = create_app(settings, client=client, store=store, task_queue=task_queue)
    async with serving(dev_env.client, app, settings, task_queue) as http:
        yield http


async def test_temporal_refusing_a_burst_of_updates_is_429_not_503(
    unguarded_api: httpx.AsyncClient,
) -> None:
    """finding 9: Temporal's in-flight update limit reaches the caller as 429 + Retry-After.

    A burst of progress and heartbeats for one session gets 200/204s and 429s, never a 5xx;
    every segment answered 200 is saved, and the session takes commands afterwards.
    """
    sid = (await started(unguarded_api))["session_id"]

    answers = await _burst(unguarded_api, sid, updates=80, beats=10)

    answered = await _saved_if_answered(unguarded_api, sid, answers)
    statuses = [response.status_code for _, response in answers]
    assert answered and 429 in statuses, statuses
    assert await _saved_once_calm(unguarded_api, sid, _segment(999))


async def _saved_once_calm(api: httpx.AsyncClient, sid: str, segment: dict[str, Any]) -> bool:
    """Send ``segment`` as a platform would after a burst: again after each Retry-After."""
    for _ in range(10):
        path = f"/v1/sessions/{sid}/progress"
        response = await api.post(path, json=segment, headers=PLATFORM)
        if response.status_code != 429:
            assert response.status_code == 200, response.text
            return True
        await asyncio.sleep(int(response.headers["Retry-After"]))
    return False


async def test_the_progress_gate_answers_a_burst_at_once_and_keeps_every_saved_segment(
    api: httpx.AsyncClient,
) -> None:
    """finding 9: past the few updates per session in flight and in line, 429 comes at once."""
    sid = (await started(api))["session_id"]

    answers = await _burst(api, sid, updates=60, beats=10)

    statuses = [response.status_code for _, response in answers]
    # 4 in flight and 16 in line by default: the 40 others are told to come back.
    assert statuses[:60].count(429) >= 40, statuses
    answered = await _saved_if_answered(api, sid, answers)
    assert len(answered) >= 4
    withdraw = await api.post(
        f"/v1/sessions/{sid}/withdraw", json={"reason_code": "other"}, headers=PLATFORM
    )
    assert withdraw.status_code == 200, withdraw.text


async def test_the_gate_lets_a_few_through_lines_up_a_few_and_forgets_idle_sessions() -> None:
    """One in flight and one in line per session: a third is 429 at once, a waiter past its
    wait is 429, another session is not held up, and an idle session leaves no entry."""
    gate = SessionUpdateGate(in_flight=1, waiting=1, wait_seconds=0.2)
    release = asyncio.Event()

    async def hold(session_id: str) -> str:
        async with gate.turn(session_id):
            await release.wait()
        return "done"

    async def other_session() -> str:
        async with gate.turn("s-2"):
            return "done"

    holder = asyncio.create_task(hold("s-1"))
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold("s-1"))
    await asyncio.sleep(0)
    with pytest.raises(ApiError) as third:
        async with gate.turn("s-1"):
            pass
    assert await other_session() == "done"
    with pytest.raises(ApiError) as waited:
        await waiter
    release.set()

    assert await holder == "done"
    for refused in (third.value, waited.value):
        assert (refused.status, refused.code) == (429, "session_busy")
        assert refused.headers == {"Retry-After": "1"}
    assert len(gate) == 0
