"""Rotating machines' keys without downtime: several keys per role, and keys made at run time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from store import Store

_ROUTE = "/v1/sessions/s-nobody"
"""A route the platform role may call; an unknown session is 404, not 401."""


def _key(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex}"


@asynccontextmanager
async def _api(
    dev_env: WorkflowEnvironment, settings: Settings, store: Store, api_keys: str
) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(update={"api_keys": SecretStr(api_keys)})
    app = create_app(configured, client=dev_env.client, store=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http


async def _status(http: httpx.AsyncClient, key: str) -> int:
    response = await http.get(_ROUTE, headers={"Authorization": f"Bearer {key}"})
    return response.status_code


async def test_two_platform_keys_both_work_and_dropping_one_keeps_the_other(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """Rotation without downtime: with ``platform:old,platform:new`` both keys get through;
    once ``old`` is removed from ``EXITFLOW_API_KEYS`` it is 401 and ``new`` still works."""
    old, new, hr = _key("platform-old"), _key("platform-new"), _key("hr")

    async with _api(
        dev_env, pipeline_settings, store, f"platform:{old},platform:{new},hr:{hr}"
    ) as http:
        during = (await _status(http, old), await _status(http, new))
    async with _api(dev_env, pipeline_settings, store, f"platform:{new},hr:{hr}") as http:
        after = (await _status(http, old), await _status(http, new))

    assert during == (404, 404)
    assert after == (401, 404)


async def test_a_key_made_at_run_time_works_until_revoked(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """A key from ``store.keys.create`` gets through beside the configured ones, is 401 once
    revoked, and its use is noted."""
    _, secret = await store.keys.create("platform-runtime", "platform")

    async with _api(dev_env, pipeline_settings, store, f"hr:{_key('hr')}") as http:
        before = await _status(http, secret)
        await store.keys.revoke("platform-runtime")
        after = await _status(http, secret)

    [listed] = await store.keys.list()
    assert (before, after) == (404, 401)
    assert listed.last_used_at is not None
