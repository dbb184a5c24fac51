"""The FastAPI application: routes per resource over one Temporal client and one store."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from temporalio.client import Client

from config import Settings
from links.resume import resume_token_key
from runtime import metrics
from runtime.request_ids import with_request_ids
from sessions.client import SessionClient
from starter.api import (
    audit,
    candidates,
    contests,
    dashboard,
    exits,
    health,
    metrics_route,
    policies,
    reports,
    sessions,
    stuck_steps,
)
from starter.api.access import AccessLog
from starter.api.auth import VerifyPeople, parse_api_keys
from starter.api.body_limit import BodyLimit, document_body_refusals
from starter.api.deps import ApiState
from starter.api.errors import install_error_handlers
from starter.api.rate_limits import CredentialRateLimit, RateLimits, document_rate_limits
from starter.api.session_busy import SessionUpdateGate
from starter.api.signin import install_sign_in
from starter.api.strict_json import refuse_non_i_json
from starter.api.webhook_docs import document_webhooks
from store import Store

_DESCRIPTION = """\
exitflow's HTTP API: start AI interview sessions and end them cleanly.

Every call carries `Authorization: Bearer <key>`; the key's role (`platform`, `hr`, `ops`)
decides which routes it may call (listed per route as `x-roles`; empty means any role).
Errors are `{"error": {"code", "message", "details"}}`; a rejected call changes nothing.
A key over its rate (`rate_limited`), or a command for a session busy with others
(`session_busy`), gets 429 with `Retry-After`.
"""


def create_app(
    settings: Settings,
    *,
    client: Client,
    store: Store,
    task_queue: str | None = None,
    candidate_pages: bool = False,
) -> FastAPI:
    """Build the API over a connected Temporal client and a ready store.

    Args:
        settings: Where the API keys and the resume token secret come from.
        client: A client made with exitflow's data converter (``worker.connect``).
        store: The store the worker records into (exit listings, audit, readiness).
        task_queue: Overrides ``settings.task_queue`` (tests use one queue per test).
        candidate_pages: Also serve the stand-in resume and contest pages the emails link
            to (``exitflow up`` only: in production the interview platform serves them).

    Raises:
        ValueError: When ``EXITFLOW_API_KEYS`` is not ``role:key,role:key``, candidate
            pages are asked for without ``EXITFLOW_RESUME_TOKEN_SECRET``, or an OIDC issuer
            is set without an audience.
    """
    if candidate_pages and settings.resume_token_secret is None:
        # The signed token is the pages' only credential: without the secret none can be
        # checked before a page shows the session's work.
        raise ValueError("the candidate pages need EXITFLOW_RESUME_TOKEN_SECRET")
    people = VerifyPeople(settings)
    app = FastAPI(
        title="exitflow",
        version="1.0.0",
        description=_DESCRIPTION,
        dependencies=[Depends(refuse_non_i_json)],
        lifespan=people,
    )
    app.state.verifier = people.verifier
    queue = task_queue or settings.task_queue
    client = with_request_ids(client)
    keys = settings.api_keys.get_secret_value() if settings.api_keys else None
    app.state.api_keys = parse_api_keys(keys)
    app.state.stored_keys = store.keys
    app.state.api = ApiState(
        client=client,
        task_queue=queue,
        store=store,
        sessions=SessionClient(client, queue),
        resume_token_key=resume_token_key(settings.resume_token_secret),
        report_timeout_seconds=settings.report_timeout_seconds,
    )
    app.state.metrics = metrics.ApiMetrics()
    app.state.rate_limits = RateLimits.for_settings(settings)
    app.state.progress_gate = SessionUpdateGate(
        in_flight=settings.progress_in_flight_per_session,
        waiting=settings.progress_waiting_per_session,
    )
    install_error_handlers(app)
    for module in (
        sessions,
        contests,
        exits,
        reports,
        dashboard,
        audit,
        candidates,
        policies,
        health,
        metrics_route,
        stuck_steps,
    ):
        app.include_router(module.router)
    install_sign_in(app, settings)
    if candidate_pages:
        from starter.candidate_pages import router as candidate_pages_router

        app.include_router(candidate_pages_router)
    document_webhooks(app)
    document_rate_limits(app)
    document_body_refusals(app, settings.max_request_body_bytes)
    # Inside the rate limit (which reads no body), before every route and its key check.
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(CredentialRateLimit, limits=app.state.rate_limits, keys=app.state.api_keys)
    app.add_middleware(AccessLog)
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.metrics)
    return app
