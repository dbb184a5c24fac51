"""The role matrix: every route against no key, an unknown key, and each role."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.starter.api.helpers import KEYS, auth, start_body

_SID = "s-nobody"
_TERMINATE = {
    "reason_code": "other",
    "explanation": "The interview was stopped for a stated reason.",
    "actor": {"id": "hr-3", "name": "Dana"},
}

ROUTES: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/v1/sessions", None, {"platform"}),
    (
        "POST",
        f"/v1/sessions/{_SID}/progress",
        {"stage": "self_intro", "segment_id": "seg-1", "kind": "video"},
        {"platform"},
    ),
    ("POST", f"/v1/sessions/{_SID}/heartbeat", {}, {"platform"}),
    ("GET", f"/v1/sessions/{_SID}/exit-preview", None, {"platform"}),
    ("POST", f"/v1/sessions/{_SID}/withdraw", {"reason_code": "other"}, {"platform"}),
    ("POST", f"/v1/sessions/{_SID}/fault", {"cause": "network"}, {"platform"}),
    ("POST", f"/v1/sessions/{_SID}/resume", {"resume_token": "t"}, {"platform"}),
    ("POST", f"/v1/sessions/{_SID}/complete", {}, {"platform"}),
    ("POST", f"/v1/sessions/{_SID}/terminate", _TERMINATE, {"hr"}),
    ("GET", f"/v1/sessions/{_SID}", None, {"platform", "hr", "ops"}),
    ("GET", "/v1/exits", None, {"hr", "ops"}),
    (
        "POST",
        f"/v1/sessions/{_SID}/contest",
        {"contest_token": "t", "statement": "The decision was wrong."},
        {"platform"},
    ),
    ("GET", "/v1/contests?status=open", None, {"hr"}),
    ("GET", "/v1/contests/c-nobody", None, {"hr"}),
    (
        "POST",
        "/v1/contests/c-nobody/decision",
        {
            "outcome": "upheld",
            "explanation": _TERMINATE["explanation"],
            "actor": _TERMINATE["actor"],
        },
        {"hr"},
    ),
    ("GET", "/v1/audit/verify", None, {"ops"}),
]


@pytest.mark.parametrize(("method", "path", "body", "roles"), ROUTES, ids=[r[1] for r in ROUTES])
async def test_each_role_may_call_only_its_routes(
    api: httpx.AsyncClient, method: str, path: str, body: Any, roles: set[str]
) -> None:
    """No key or an unknown key is 401, a role not allowed 403, an allowed role gets through."""

    def send(headers: dict[str, str]) -> Any:
        payload = start_body() if path == "/v1/sessions" else body
        return api.request(method, path, json=payload, headers=headers)

    missing = await send({})
    unknown = await send({"Authorization": "Bearer not-a-key"})
    wrong_scheme = await send({"Authorization": f"Basic {KEYS['platform']}"})

    for response in (missing, unknown, wrong_scheme):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    for role in KEYS:
        response = await send(auth(role))
        if role in roles:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"]["details"]["role"] == role


async def test_the_key_is_checked_before_the_body(api: httpx.AsyncClient) -> None:
    """Malformed JSON without a key is 401, with the wrong role 403, not 400."""
    request = {"content": b"{", "headers": {"Content-Type": "application/json"}}

    anonymous = await api.post(f"/v1/sessions/{_SID}/withdraw", **request)  # type: ignore[arg-type]
    wrong_role = await api.post(
        f"/v1/sessions/{_SID}/terminate",
        content=b"{",
        headers={"Content-Type": "application/json", **auth("platform")},
    )

    assert anonymous.status_code == 401
    assert wrong_role.status_code == 403


async def test_health_routes_need_no_key(api: httpx.AsyncClient) -> None:
    """Liveness and readiness answer without any key."""
    assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/readyz")).status_code == 200
