"""Rate limits per API key: 429 with Retry-After in the API's error shape, bounded tables."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from starter.api.rate_limits import TokenBuckets
from store import Store
from tests.starter.api.helpers import HR, KEYS, PLATFORM, started


@pytest.fixture
def api_settings(api_settings: Settings) -> Settings:
    """The API settings with 5 requests per key at once, then one every 100 s."""
    return api_settings.model_copy(
        update={"rate_limit_key_per_second": 0.01, "rate_limit_key_burst": 5}
    )


async def test_a_key_over_its_rate_gets_429_and_other_keys_do_not(
    api: httpx.AsyncClient,
) -> None:
    """finding 10: past its burst a key is refused with 429 + Retry-After; hr's key still works."""
    sid = (await started(api))["session_id"]
    path = f"/v1/sessions/{sid}"

    answers = [(await api.get(path, headers=PLATFORM)).status_code for _ in range(4)]
    refused = await api.get(path, headers=PLATFORM)
    posted = await api.post(f"{path}/complete", headers=PLATFORM)
    other_key = await api.get(path, headers=HR)

    assert answers == [200] * 4
    for response in (refused, posted):
        assert response.status_code == 429, response.text
        assert 1 <= int(response.headers["Retry-After"]) <= 100
        error = response.json()["error"]
        assert error["code"] == "rate_limited" and "Retry-After" in error["message"]
    assert other_key.status_code == 200, other_key.text
    assert (await api.get(path, headers=HR)).json()["status"] == "active"


async def test_the_dashboards_basic_password_counts_against_its_key(
    api: httpx.AsyncClient,
) -> None:
    """The hr key sent as HTTP Basic's password draws on the same bucket as Bearer."""
    basic = base64.b64encode(f"hr:{KEYS['hr']}".encode()).decode()

    for _ in range(5):
        await api.get("/v1/exits", headers=HR)
    dashboard = await api.get("/v1/reports/dashboard", headers={"Authorization": f"Basic {basic}"})

    assert dashboard.status_code == 429, dashboard.text


async def test_unknown_keys_get_401_and_no_bucket(
    dev_env: WorkflowEnvironment, api_settings: Settings, store: Store
) -> None:
    """A caller rotating made-up keys is refused by authentication and grows no table."""
    app = create_app(api_settings, client=dev_env.client, store=store)
    transport = httpx.ASGITransport(app=app)

    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        for _ in range(200):
            bearer = {"Authorization": f"Bearer {uuid.uuid4().hex}"}
            assert (await client.get("/v1/exits", headers=bearer)).status_code == 401

    assert len(app.state.rate_limits.credentials) == 0


async def test_the_document_names_429_with_retry_after_on_every_keyed_route(
    api: httpx.AsyncClient,
) -> None:
    """Every route that takes a key documents 429 and its Retry-After; /healthz does not."""
    paths = (await api.get("/openapi.json")).json()["paths"]

    keyed = [
        operation
        for item in paths.values()
        for operation in item.values()
        if "x-roles" in operation
    ]
    assert len(keyed) > 10
    for operation in keyed:
        assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert "429" not in paths["/healthz"]["get"]["responses"]


def test_a_bucket_refills_at_its_rate() -> None:
    """Burst tokens at once, then one per 1/rate seconds; the wait says how long."""
    now = [0.0]
    buckets = TokenBuckets(per_second=2, burst=3, max_keys=10, clock=lambda: now[0])

    taken = [buckets.take("k") for _ in range(4)]
    now[0] = 0.25
    halfway = buckets.take("k")
    now[0] = 0.5
    refilled = buckets.take("k")

    assert taken[:3] == [0, 0, 0] and taken[3] == pytest.approx(0.5)
    assert halfway == pytest.approx(0.25) and refilled == 0


def test_the_table_of_buckets_stays_bounded() -> None:
    """finding 10: a hundred thousand distinct keys leave at most max_keys buckets."""
    buckets = TokenBuckets(per_second=1, burst=1, max_keys=1000)

    for n in range(100_000):
        buckets.take(("session", n))

    assert len(buckets) == 1000
    assert buckets.take(("session", 99_999)) > 0
