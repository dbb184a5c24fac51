"""``GET /metrics``: the API's Prometheus metrics, for an ``ops`` key.

The request counts show who calls what and how often, so they are not public: Prometheus
sends the ops key as a bearer token (``authorization: {credentials_file: ...}`` in its
scrape config).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from runtime.metrics import ApiMetrics, exposition
from starter.api.auth import allowed

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    include_in_schema=False,
    **allowed("ops"),
)
async def metrics(request: Request) -> Response:
    """The API's request counts and durations in the Prometheus text format."""
    api_metrics: ApiMetrics = request.app.state.metrics
    body, content_type = exposition(api_metrics)
    return Response(body, media_type=content_type)
