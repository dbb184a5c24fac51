"""``exitflow api [--host H] [--port P]``: the HTTP API, configured from the environment."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Generator

import uvicorn
from fastapi import FastAPI
from temporalio.client import Client

from config import Settings, get_settings


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``api`` to the ``exitflow`` parser."""
    api = commands.add_parser("api", help="serve the HTTP API, configured from the environment")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.set_defaults(run=_api)


async def _api(args: argparse.Namespace) -> int:
    await serve_api(get_settings(), host=args.host, port=args.port)
    return 0


async def serve_api(settings: Settings, *, host: str, port: int) -> None:
    """Connect to Temporal and the database, then serve until SIGINT or SIGTERM.

    uvicorn runs in the current event loop and handles the signals itself.
    """
    from runtime.worker import connect
    from starter.api import create_app
    from store import Store

    settings.require_resume_token_secret()
    client = await connect(settings)
    store = Store.from_url(settings.database_url)
    await store.create_schema()
    try:
        app = create_app(settings, client=client, store=store)
        await uvicorn.Server(_uvicorn_config(app, host, port)).serve()
    finally:
        await store.dispose()


@contextlib.asynccontextmanager
async def running_api(
    settings: Settings, *, host: str, port: int, client: Client, candidate_pages: bool = False
) -> AsyncIterator[str]:
    """Serve the API in this event loop while the block runs; yields its base URL.

    The caller owns the signals (``exitflow up``, benchmarks); leaving the block stops the
    server gracefully. ``port=0`` picks a free port, which the URL names. ``candidate_pages``
    adds the stand-in resume and contest pages (see ``create_app``).

    Raises:
        SystemExit: The server could not start (e.g. the port is taken).
    """
    from starter.api import create_app
    from store import Store

    store = Store.from_url(settings.database_url)
    await store.create_schema()
    try:
        app = create_app(settings, client=client, store=store, candidate_pages=candidate_pages)
        async with serving_app(app, host=host, port=port, name="the API") as url:
            yield url
    finally:
        await store.dispose()


@contextlib.asynccontextmanager
async def serving_app(app: FastAPI, *, host: str, port: int, name: str) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn in this event loop while the block runs; yields its URL.

    Leaving the block stops the server gracefully; ``port=0`` picks a free port.

    Raises:
        SystemExit: The server could not start (e.g. the port is taken), naming ``name``.
    """
    server = _OwnedServer(_uvicorn_config(app, host, port))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                with contextlib.suppress(SystemExit):
                    await serving
                raise SystemExit(f"{name} did not start on {host}:{port}")
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        with contextlib.suppress(SystemExit):
            await serving


def _uvicorn_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    # log_config=None keeps exitflow's structlog setup; the app logs its own access lines.
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)


class _OwnedServer(uvicorn.Server):
    """A uvicorn server that leaves SIGINT and SIGTERM to the process that runs it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield
