"""Prometheus metrics, scraped over HTTP: the worker's SDK endpoint and the API's /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.sessions import WithdrawInput
from runtime.metrics import prometheus_runtime
from runtime.worker import connect, running_worker
from sessions.client import SessionClient
from starter.api import create_app
from store import Store
from tests.fixtures.strong_secrets import strong_secret
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id

OPS_KEY = strong_secret("ops")


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


async def _scrape(url: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
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


@contextlib.asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a socket that already listens, so requests can't race it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def test_api_metrics_count_requests_by_route_template(
    dev_env: WorkflowEnvironment, pipeline_settings: Settings, store: Store
) -> None:
    """The API's /metrics counts requests by method, route template and status, so session
    ids never become label values."""
    settings = pipeline_settings.model_copy(update={"api_keys": SecretStr(f"ops:{OPS_KEY}")})
    app = create_app(settings, client=dev_env.client, store=store)

    async with _serving(app) as base, httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/healthz")).status_code == 200
        assert (await http.get("/v1/sessions/s-secret-42")).status_code == 401
        scrape = await _scrape(f"{base}/metrics")

    assert (
        _value(scrape, "exitflow_api_requests_total", method="GET", route="/healthz", status="200")
        == 1
    )
    assert (
        _value(
            scrape,
            "exitflow_api_requests_total",
            method="GET",
            route="/v1/sessions/{session_id}",
            status="401",
        )
        == 1
    )
    assert "s-secret-42" not in scrape
    assert _value(scrape, "exitflow_api_request_duration_seconds_count", route="/healthz") == 1
