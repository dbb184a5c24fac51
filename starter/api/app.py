"""The FastAPI application: routes per resource over one Temporal client and one store."""

from __future__ import annotations

from fastapi import FastAPI
from temporalio.client import Client

from activities.database import Store
from config import Settings
from starter.api import audit, exits, health, sessions
from starter.api.access import AccessLog
from starter.api.auth import parse_api_keys
from starter.api.deps import ApiState
from starter.api.errors import install_error_handlers
from starter.sessions import SessionClient

_DESCRIPTION = """\
exitflow's HTTP API: start AI interview sessions and end them cleanly.

Every call carries `Authorization: Bearer <key>`; the key's role (`platform`, `hr`, `ops`)
decides which routes it may call (listed per route as `x-roles`; empty means any role).
Errors are `{"error": {"code", "message", "details"}}`; a rejected call changes nothing.
"""


def create_app(
    settings: Settings, *, client: Client, store: Store, task_queue: str | None = None
) -> FastAPI:
    """Build the API over a connected Temporal client and a ready store.

    Args:
        settings: Where the API keys come from.
        client: A client made with exitflow's data converter (``worker.connect``).
        store: The store the worker records into (exit listings, audit, readiness).
        task_queue: Overrides ``settings.task_queue`` (tests use one queue per test).

    Raises:
        ValueError: When ``EXITFLOW_API_KEYS`` is not ``role:key,role:key``.
    """
    app = FastAPI(title="exitflow", version="1.0.0", description=_DESCRIPTION)
    queue = task_queue or settings.task_queue
    keys = settings.api_keys.get_secret_value() if settings.api_keys else None
    app.state.api_keys = parse_api_keys(keys)
    app.state.api = ApiState(
        client=client,
        task_queue=queue,
        store=store,
        sessions=SessionClient(client, queue),
    )
    install_error_handlers(app)
    for module in (sessions, exits, audit, health):
        app.include_router(module.router)
    app.add_middleware(AccessLog)
    return app
