"""``GET /v1/stuck-steps`` and ``POST /v1/sessions/{id}/stuck-steps/retry``, for operations."""

from __future__ import annotations

from typing import Any

import httpx

from store import Store
from tests.fixtures.poison import cure, poison
from tests.fixtures.waiting import eventually
from tests.starter.api.helpers import HR, OPS, PLATFORM, start_body
from tests.store.helpers import count


async def test_operations_list_and_retry_a_poisoned_sessions_records(
    api: httpx.AsyncClient, store: Store
) -> None:
    """finding 1: over HTTP the withdrawal answers, the view and the ops list show the stuck
    records (HR may not list them), and a retry after the fix saves them; then 409."""
    body = start_body()
    sid = body["session_id"]
    await poison(store, sid)
    assert (await api.post("/v1/sessions", json=body, headers=PLATFORM)).status_code == 201

    withdrawn = await api.post(
        f"/v1/sessions/{sid}/withdraw", json={"reason_code": "other"}, headers=PLATFORM
    )

    assert withdrawn.status_code == 200, withdrawn.text

    async def view() -> dict[str, Any]:
        response = await api.get(f"/v1/sessions/{sid}", headers=OPS)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def listed() -> list[dict[str, Any]]:
        response = await api.get("/v1/stuck-steps", headers=OPS)
        assert response.status_code == 200, response.text
        return [s for s in response.json()["sessions"] if s["session_id"] == sid]

    stuck = (await eventually(view, lambda v: len(v["stuck_steps"]) == 2))["stuck_steps"]
    assert {s["step"] for s in stuck} == {"record"}
    [session] = await eventually(listed, lambda found: bool(found))
    assert {s["step_id"] for s in session["steps"]} == {s["step_id"] for s in stuck}
    assert (await api.get("/v1/stuck-steps", headers=HR)).status_code == 403

    await cure(store)
    retried = await api.post(f"/v1/sessions/{sid}/stuck-steps/retry", json={}, headers=OPS)

    assert retried.status_code == 200, retried.text
    assert len(retried.json()["steps"]) == 2
    await eventually(lambda: count(store, "session_events", sid), lambda n: n == 2)
    again = await api.post(f"/v1/sessions/{sid}/stuck-steps/retry", json={}, headers=OPS)
    assert again.status_code == 409, again.text
    # Nothing stuck any more; or, once its messages are out, the session has closed.
    assert again.json()["error"]["code"] in {"session_conflict", "session_ended"}
