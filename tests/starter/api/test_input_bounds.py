"""Issue 14's input findings through the HTTP API: 422 naming the field, nothing started."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.starter.api.helpers import HR, PLATFORM, start_body, started


def _fields(response: httpx.Response) -> list[str]:
    return [item["field"] for item in response.json()["error"]["details"]["fields"]]


async def _refused_start(api: httpx.AsyncClient, body: dict[str, Any]) -> list[str]:
    """POST the body; assert 422 and that no session exists; return the fields named."""
    compact = json.dumps(body, separators=(",", ":"))
    headers = {**PLATFORM, "Content-Type": "application/json"}
    response = await api.post("/v1/sessions", content=compact, headers=headers)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_field"
    missing = await api.get(f"/v1/sessions/{body['session_id']}", headers=PLATFORM)
    assert missing.status_code == 404
    return _fields(response)


async def test_a_year_one_consent_time_is_422(api: httpx.AsyncClient) -> None:
    """finding 1: a consent time of 0001-01-01T00:00:00+14:00 is refused before any write."""
    body = start_body()
    body["consent"] = {"notice_version": "v1", "accepted_at": "0001-01-01T00:00:00+14:00"}

    assert await _refused_start(api, body) == ["consent.accepted_at"]


async def test_a_hundred_thousand_stages_are_422(api: httpx.AsyncClient) -> None:
    """finding 2: a start with 100,000 stages (under the body size limit) is refused naming
    stages."""
    body = start_body()
    body["stages"] = [f"{i:x}" for i in range(100_000)]

    assert await _refused_start(api, body) == ["stages"]


@pytest.mark.parametrize(
    ("part", "field", "value"),
    [
        ("candidate", "name", "Ann\r\nBcc: everyone@example.com"),
        ("job", "title", "Sales\nManager"),
    ],
)
async def test_line_breaks_in_a_name_or_title_are_422(
    api: httpx.AsyncClient, part: str, field: str, value: str
) -> None:
    """finding 4: CR/LF in the candidate's name or the job title is refused naming it."""
    body = start_body()
    body[part][field] = value

    assert await _refused_start(api, body) == [f"{part}.{field}"]


async def test_a_naive_downstream_time_is_422(api: httpx.AsyncClient) -> None:
    """finding 5: a downstream scheduled_at without a UTC offset is refused naming it."""
    body = start_body()
    body["downstream"] = [
        {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T09:00:00"}
    ]

    assert await _refused_start(api, body) == ["downstream.0.scheduled_at"]


async def test_line_breaks_in_an_actor_name_are_422_and_change_nothing(
    api: httpx.AsyncClient,
) -> None:
    """finding 4: a termination whose actor name holds CR/LF is refused; the session stays."""
    sid = (await started(api))["session_id"]
    body = {
        "reason_code": "other",
        "explanation": "The recording was reviewed in full by two people.",
        "actor": {"id": "hr-1", "name": "Kim\r\nX-Injected: yes"},
    }

    response = await api.post(f"/v1/sessions/{sid}/terminate", json=body, headers=HR)

    assert (response.status_code, _fields(response)) == (422, ["actor.name"])
    view = (await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)).json()
    assert (view["status"], view["exits"]) == ("active", [])
