"""Prometheus metrics, scraped over HTTP: the worker's SDK endpoint and the API's /metrics."""

from __future__ import annotations

import asyncio
import re
import socket

import httpx
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.sessions import WithdrawInput
from runtime.metrics import prometheus_runtime
from runtime.worker import connect, running_worker
from sessions.client import SessionClient
from starter.api import create_app
from store import Store
from tests.fixtures.api import over_http
from tests.fixtures.strong_secrets import strong_secret
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id

OPS_KEY = strong_secret("ops")
OPS = {"Authorization": f"Bearer {OPS_KEY}"}
PLATFORM_KEY = strong_secret("platform")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _value(scrape: str, name: str, **labels: str) -> float:
    """The sum of every sample of ``name`` whose labels include ``labels``."""
    total = 0.0
    for match in re.finditer(rf"^{name}\{{(.*?)\}} (\S+)$", scrape, re.MULTILINE):
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.items() <= found.items():
            total += float(match.group(2))
    return total


async def _scrape(url: str, headers: dict[str, str] | None = None) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(url, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_no_bind_address_means_no_metrics_runtime() -> None:
    """``EXITFLOW_METRICS_BIND`` unset: the worker uses the SDK's default runtime."""
    assert prometheus_runtime(None) is None
    assert prometheus_runtime("") is None


async def test_worker_endpoint_has_sdk_metrics_and_exit_email_and_webhook_counters(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, task_queue: str
) -> None:
    """After one withdrawal the worker's endpoint counts the exit by kind, the email and the
    webhook deliveries by outcome, beside the SDK's own worker metrics."""
    bind = f"127.0.0.1:{_free_port()}"
    settings = pipeline_settings.model_copy(
        update={
            "temporal_address": dev_env.client.service_client.config.target_host,
            "metrics_bind": bind,
        }
    )
    client = await connect(settings, runtime=prometheus_runtime(settings.metrics_bind))
    body = session_body()

    async with running_worker(client, settings, task_queue=task_queue):
        sessions = SessionClient(client, task_queue)
        await sessions.start(body)
        await sessions.withdraw(body.session_id, WithdrawInput(reason_code="lost_interest"))
        handle = client.get_workflow_handle(session_workflow_id(body.session_id))
        await asyncio.wait_for(handle.result(), timeout=30)
        scrape = await _scrape(f"http://{bind}/metrics")

    assert _value(scrape, "exitflow_exits", kind="withdrawn", task_queue=task_queue) == 1
    assert _value(scrape, "exitflow_email_sends", outcome="sent", task_queue=task_queue) == 1
    assert _value(scrape, "exitflow_webhook_deliveries", outcome="sent", task_queue=task_queue) >= 2
    assert _value(scrape, "temporal_worker_task_slots_available", task_queue=task_queue) > 0


async def test_api_metrics_count_requests_by_route_template(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """The API's /metrics counts requests by method, route template and status class, so
    session ids never become label values."""
    app = create_app(_ops_settings(pipeline_settings), client=dev_env.client, store=store)

    async with over_http(app) as base, httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/v1/sessions/s-secret-42")).status_code == 401
        scrape = await _scrape(f"{base}/metrics", OPS)

    requests = "exitflow_api_requests_total"
    assert _value(scrape, requests, method="GET", route="/healthz", status_class="2xx") == 1
    session = "/v1/sessions/{session_id}"
    assert _value(scrape, requests, method="GET", route=session, status_class="4xx") == 1
    assert "s-secret-42" not in scrape
    assert _value(scrape, "exitflow_api_request_duration_seconds_count", route="/healthz") == 1


def _ops_settings(settings: Settings) -> Settings:
    """``settings`` with an ops key and a platform key, as the API reads them."""
    keys = f"ops:{OPS_KEY},platform:{PLATFORM_KEY}"
    return settings.model_copy(update={"api_keys": SecretStr(keys)})


async def test_metrics_need_an_ops_key(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """Finding 7: /metrics is not open: no key is 401, another role's key 403, in the
    API's error shape."""
    settings = _ops_settings(pipeline_settings)
    app = create_app(settings, client=dev_env.client, store=store)
    platform = {"Authorization": f"Bearer {PLATFORM_KEY}"}

    async with over_http(app) as base, httpx.AsyncClient(base_url=base) as http:
        anonymous = await http.get("/metrics")
        wrong_role = await http.get("/metrics", headers=platform)
        ops = await http.get("/metrics", headers=OPS)

    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "unauthorized")
    assert (wrong_role.status_code, wrong_role.json()["error"]["code"]) == (403, "forbidden")
    assert ops.status_code == 200 and "exitflow_api_requests_total" in ops.text


async def test_arbitrary_methods_and_paths_add_no_label_values(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """Finding 7: requests with made-up methods and paths are counted under ``other`` and
    ``unmatched``: however many a caller sends, the series stay the same."""
    app = create_app(_ops_settings(pipeline_settings), client=dev_env.client, store=store)

    async with over_http(app) as base, httpx.AsyncClient(base_url=base) as http:
        await http.get("/healthz")
        before = _series(await _scrape(f"{base}/metrics", OPS))
        for n in range(20):
            await http.request(f"X-METHOD-{n}", f"/healthz?n={n}")
            await http.request(f"PURGE{n}", f"/no/such/route-{n}")
            await http.get(f"/v1/made-up-{n}/{'a' * n}")
        await http.get("/healthz")
        after = _series(await _scrape(f"{base}/metrics", OPS))

    new = after - before
    assert {labels for name, labels in new if name == "exitflow_api_requests_total"} <= {
        (("method", "other"), ("route", "/healthz"), ("status_class", "4xx")),
        (("method", "other"), ("route", "unmatched"), ("status_class", "4xx")),
        (("method", "GET"), ("route", "unmatched"), ("status_class", "4xx")),
        (("method", "GET"), ("route", "/metrics"), ("status_class", "2xx")),
    }
    labels = {value for _, series in after for _, value in series}
    assert not any("X-METHOD" in v or "PURGE" in v or "made-up" in v for v in labels)


def _series(scrape: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every sample's metric name and sorted labels (``le`` buckets left out)."""
    found = set()
    for match in re.finditer(r"^(\w+)\{(.*?)\} ", scrape, re.MULTILINE):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        labels.pop("le", None)
        found.add((match.group(1), tuple(sorted(labels.items()))))
    return found
