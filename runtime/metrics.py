"""Prometheus metrics: the worker's SDK runtime endpoint, and the API's ``/metrics``.

The worker's counters (exits, webhook deliveries, email sends) come from its activities
through the SDK's metric meter (``activities/metrics.py``), so they appear on the same
endpoint as the SDK's own metrics. The API counts its requests with ``prometheus_client``
in a registry of its own. Every label value comes from a closed set, so no caller can grow
the series without bound: the method from :data:`METHODS` (else ``other``), the route
template (never the raw path, so session ids never become label values; ``unmatched`` when
no route matched) and the status class (``2xx`` ... ``5xx``, ``none`` when the client left
before an answer). ``/metrics`` shows the API's
traffic, so the API serves it to ``ops`` keys only (``starter/api/metrics_route.py``).
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""The methods counted under their own name; any other is counted as ``other``."""


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
            "HTTP requests answered, by method, route template and status class.",
            ["method", "route", "status_class"],
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
        status: int | None = None
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        except BaseException:
            status = status or 500  # Starlette's outermost middleware answers 500.
            raise
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"] if scope["method"] in METHODS else "other"
            # No status: the client went away before an answer (e.g. mid-body).
            status_class = f"{status // 100}xx" if status else "none"
            self.metrics.requests.labels(method, route, status_class).inc()
            self.metrics.duration.labels(method, route).observe(time.perf_counter() - started)


def exposition(metrics: ApiMetrics) -> tuple[bytes, str]:
    """The API's metrics in the Prometheus text format, and that format's content type."""
    return generate_latest(metrics.registry), CONTENT_TYPE_LATEST
