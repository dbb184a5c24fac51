"""Idempotent start: one workflow per session_id, the same body 200, another body 409."""

from __future__ import annotations

import asyncio

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.starter.api.helpers import PLATFORM, start_body, started


async def test_concurrent_identical_starts_make_one_workflow(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Five identical starts at once give one workflow, one 201 and four 200s."""
    body = start_body()

    responses = await asyncio.gather(
        *(api.post("/v1/sessions", json=body, headers=PLATFORM) for _ in range(5))
    )

    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert {r.json()["workflow_id"] for r in responses} == {
        f"interview-session-{body['session_id']}"
    }
    query = f'WorkflowId = "interview-session-{body["session_id"]}"'
    for _ in range(50):
        runs = [wf.run_id async for wf in dev_env.client.list_workflows(query)]
        if runs:
            break
        await asyncio.sleep(0.2)
    assert len(runs) == 1


async def test_a_different_body_is_a_conflict(api: httpx.AsyncClient) -> None:
    """The same session_id with another body is refused with 409 naming what differs."""
    body = await started(api)
    other = {**body, "interviewer_id": "iv-8"}

    response = await api.post("/v1/sessions", json=other, headers=PLATFORM)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "session_conflict"
    assert [f["field"] for f in error["details"]["fields"]] == ["interviewer_id"]
    view = await api.get(f"/v1/sessions/{body['session_id']}", headers=PLATFORM)
    assert view.json()["interviewer_id"] == "iv-7"


async def test_repeat_after_the_session_closed_returns_it_and_starts_nothing(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Repeating the start of a closed session answers 200 with its final status."""
    body = await started(api)
    sid = body["session_id"]
    await api.post(f"/v1/sessions/{sid}/withdraw", json={"reason_code": "other"}, headers=PLATFORM)
    handle = dev_env.client.get_workflow_handle(f"interview-session-{sid}")
    await asyncio.wait_for(handle.result(), timeout=30)

    again = await api.post("/v1/sessions", json=body, headers=PLATFORM)

    assert again.status_code == 200
    assert again.json()["status"] == "withdrawn"
    query = f'WorkflowId = "interview-session-{sid}"'
    assert len([wf async for wf in dev_env.client.list_workflows(query)]) == 1
