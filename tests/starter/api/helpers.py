"""Helpers for API tests: one key per role, and session bodies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.fixtures.temporal import session_body

KEYS = {role: f"{role}-{uuid.uuid4().hex}" for role in ("platform", "hr", "ops")}


def auth(role: str) -> dict[str, str]:
    """The Authorization header of ``role``'s key."""
    return {"Authorization": f"Bearer {KEYS[role]}"}


PLATFORM, HR, OPS = auth("platform"), auth("hr"), auth("ops")


def start_body(**policy: Any) -> dict[str, Any]:
    """A ``POST /v1/sessions`` body as JSON, with no downstream step to clean up."""
    return session_body(downstream_in=None, **policy).model_dump(mode="json")


async def started(api: httpx.AsyncClient, **policy: Any) -> dict[str, Any]:
    """Start a session through the API and return its body."""
    body = start_body(**policy)
    response = await api.post("/v1/sessions", json=body, headers=PLATFORM)
    assert response.status_code == 201, response.text
    return body
