"""Refusals: the contract's status and error body, naming the field or state, changing nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.starter.api.helpers import HR, PLATFORM, start_body, started

_REASONS = {"reason_code": "lost_interest"}


async def _view(api: httpx.AsyncClient, sid: str) -> dict[str, Any]:
    response = await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)
    assert response.status_code == 200
    return dict(response.json())


def _fields(response: httpx.Response) -> list[str]:
    return [item["field"] for item in response.json()["error"]["details"]["fields"]]


async def test_unknown_reason_is_422_naming_reason_code(api: httpx.AsyncClient) -> None:
    """An unknown reason code is refused with 422 naming the field, and nothing is recorded."""
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/withdraw", json={"reason_code": "bored"}, headers=PLATFORM
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_field"
    assert _fields(response) == ["reason_code"]
    view = await _view(api, sid)
    assert (view["status"], view["exits"]) == ("active", [])


async def test_oversize_comment_is_422_naming_comment(api: httpx.AsyncClient) -> None:
    """A comment over 2000 characters is refused naming ``comment``."""
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/withdraw",
        json={"reason_code": "other", "comment": "x" * 2001},
        headers=PLATFORM,
    )

    assert response.status_code == 422
    assert _fields(response) == ["comment"]
    assert (await _view(api, sid))["status"] == "active"


async def test_short_explanation_and_wrong_types_name_each_field(api: httpx.AsyncClient) -> None:
    """Every invalid field of a termination is named, nested ones by their path."""
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/terminate",
        json={"reason_code": "other", "explanation": "too short", "actor": {"id": 5}},
        headers=HR,
    )

    assert response.status_code == 422
    assert set(_fields(response)) == {"explanation", "actor.id", "actor.name"}
    assert (await _view(api, sid))["status"] == "active"


async def test_malformed_json_is_400(api: httpx.AsyncClient) -> None:
    """A body that is not JSON is refused with 400 ``malformed_json``."""
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/withdraw",
        content=b'{"reason_code": ',
        headers={**PLATFORM, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert (await _view(api, sid))["status"] == "active"


async def test_undecodable_bodies_are_400_malformed_json(api: httpx.AsyncClient) -> None:
    """Bytes that are not UTF-8, or JSON nested too deep to parse, are 400 ``malformed_json``."""
    sid = (await started(api))["session_id"]
    headers = {**PLATFORM, "Content-Type": "application/json"}

    responses = [
        await api.post(f"/v1/sessions/{sid}/heartbeat", content=b"\xff", headers=headers),
        await api.post("/v1/sessions", content=b"[" * 100_000 + b"]" * 100_000, headers=headers),
    ]

    assert [r.status_code for r in responses] == [400, 400]
    assert {r.json()["error"]["code"] for r in responses} == {"malformed_json"}
    assert (await _view(api, sid))["status"] == "active"


async def test_unknown_session_is_404(api: httpx.AsyncClient) -> None:
    """Every command and read on a session that does not exist is 404 ``session_not_found``."""
    calls = [
        api.get("/v1/sessions/s-nobody", headers=PLATFORM),
        api.get("/v1/sessions/s-nobody/exit-preview", headers=PLATFORM),
        api.post("/v1/sessions/s-nobody/withdraw", json=_REASONS, headers=PLATFORM),
        api.post("/v1/sessions/s-nobody/heartbeat", headers=PLATFORM),
        api.post("/v1/sessions/s-nobody/complete", headers=PLATFORM),
    ]

    responses = await asyncio.gather(*calls)

    assert [r.status_code for r in responses] == [404] * len(calls)
    assert {r.json()["error"]["code"] for r in responses} == {"session_not_found"}


async def test_an_invalid_session_id_is_422(api: httpx.AsyncClient) -> None:
    """A path id outside the contract's alphabet is refused naming ``session_id``."""
    response = await api.get("/v1/sessions/bad id!", headers=PLATFORM)

    assert response.status_code == 422
    assert _fields(response) == ["session_id"]


async def test_exit_after_exit_is_409(api: httpx.AsyncClient) -> None:
    """A second exit is refused with 409 ``session_ended``; the first exit stands alone."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/withdraw", json=_REASONS, headers=PLATFORM)

    again = await api.post(f"/v1/sessions/{sid}/withdraw", json=_REASONS, headers=PLATFORM)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "session_ended"
    assert again.json()["error"]["details"]["status"] == "withdrawn"
    view = await _view(api, sid)
    assert (view["status"], len(view["exits"])) == ("withdrawn", 1)


async def test_commands_on_a_suspended_session_are_409(api: httpx.AsyncClient) -> None:
    """A suspended session refuses another fault and a completion with ``session_suspended``."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/fault", json={"cause": "device"}, headers=PLATFORM)

    fault = await api.post(f"/v1/sessions/{sid}/fault", json={"cause": "other"}, headers=PLATFORM)
    complete = await api.post(f"/v1/sessions/{sid}/complete", headers=PLATFORM)

    assert (fault.status_code, complete.status_code) == (409, 409)
    assert fault.json()["error"]["code"] == complete.json()["error"]["code"] == "session_suspended"
    view = await _view(api, sid)
    assert (view["status"], len(view["exits"])) == ("suspended", 1)


async def test_resume_when_not_suspended_is_409(api: httpx.AsyncClient) -> None:
    """Resuming an active session is refused with ``session_not_suspended``."""
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": "anything"}, headers=PLATFORM
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_suspended"


async def test_bad_resume_token_is_403_and_keeps_the_suspension(api: httpx.AsyncClient) -> None:
    """A tampered token is refused with 403 ``invalid_resume_token``; the real one still works."""
    sid = (await started(api))["session_id"]
    ack = (
        await api.post(f"/v1/sessions/{sid}/fault", json={"cause": "network"}, headers=PLATFORM)
    ).json()
    tampered = ack["resume_token"][:-1] + ("A" if ack["resume_token"][-1] != "A" else "B")

    response = await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": tampered}, headers=PLATFORM
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_resume_token"
    assert (await _view(api, sid))["status"] == "suspended"
    ok = await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": ack["resume_token"]}, headers=PLATFORM
    )
    assert ok.status_code == 200


async def test_resume_after_the_window_is_410(api: httpx.AsyncClient) -> None:
    """Once the resume window closed, the right token is refused with 410."""
    sid = (await started(api, resume_window_hours=1 / 3600, reminder_before_deadline_hours=0))[
        "session_id"
    ]
    ack = (
        await api.post(f"/v1/sessions/{sid}/fault", json={"cause": "network"}, headers=PLATFORM)
    ).json()
    for _ in range(100):
        if (await _view(api, sid))["status"] == "expired":
            break
        await asyncio.sleep(0.1)

    response = await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": ack["resume_token"]}, headers=PLATFORM
    )

    assert response.status_code == 410
    assert response.json()["error"]["code"] == "resume_window_closed"
    assert (await _view(api, sid))["status"] == "expired"


async def test_nul_characters_are_422_naming_the_field(api: httpx.AsyncClient) -> None:
    """U+0000 in a query or a JSON string is refused naming the field; nothing is recorded."""
    sid = (await started(api))["session_id"]

    query = await api.get("/v1/exits", params={"job_id": "job\x00"}, headers=HR)
    body = await api.post(
        f"/v1/sessions/{sid}/withdraw",
        json={"reason_code": "other", "comment": "a\x00b"},
        headers=PLATFORM,
    )

    assert (query.status_code, _fields(query)) == (422, ["job_id"])
    assert (body.status_code, _fields(body)) == (422, ["comment"])
    view = await _view(api, sid)
    assert (view["status"], view["exits"]) == ("active", [])


async def test_a_reminder_beyond_any_window_is_422(api: httpx.AsyncClient) -> None:
    """A reminder further ahead than the longest resume window is refused; no session starts."""
    body = start_body()
    body["policy"]["reminder_before_deadline_hours"] = 10**12

    response = await api.post("/v1/sessions", json=body, headers=PLATFORM)

    assert response.status_code == 422
    assert _fields(response) == ["policy.reminder_before_deadline_hours"]
    missing = await api.get(f"/v1/sessions/{body['session_id']}", headers=PLATFORM)
    assert missing.status_code == 404
