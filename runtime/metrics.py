"""Prometheus metrics: the worker's SDK runtime endpoint, and the API's ``/metrics``.

The worker's counters (exits, webhook deliveries, email sends) come from its activities
through the SDK's metric meter (``activities/metrics.py``), so they appear on the same
endpoint as the SDK's own metrics. The API counts its requests with ``prometheus_client``
in a registry of its own, labelled by route template so that session ids never become
label values.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

router = APIRouter(tags=["health"])


def prometheus_runtime(bind_address: str | None) -> Runtime | None:
    """An SDK runtime serving Prometheus metrics on ``host:port``; None when unset."""
    if not bind_address:
        return None
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=bind_address)))


class ApiMetrics:
    """The API's request counters, in a registry of the app's own."""

    def __init__(self) -> None:
        """Create the registry and its metrics."""
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "exitflow_api_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "exitflow_api_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """ASGI middleware: counts and times every HTTP request into the app's ``ApiMetrics``."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        """Wrap ``app``."""
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, then count it under its route template."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(time.perf_counter() - started)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """The API's metrics in the Prometheus text format (no key: keep it on an internal port)."""
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
