"""``exitflow api [--host H] [--port P]``: the HTTP API, configured from the environment."""

from __future__ import annotations

import argparse

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

    uvicorn runs in the current event loop, so the embedded stack can serve it beside the
    worker.
    """
    import uvicorn

    from activities.database import Store
    from starter.api import create_app
    from worker import connect

    client = await connect(settings)
    store = Store.from_url(settings.database_url)
    await store.create_schema()
    try:
        app = create_app(settings, client=client, store=store)
        # log_config=None keeps exitflow's structlog setup; the app logs its own access lines.
        config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
        await uvicorn.Server(config).serve()
    finally:
        await store.dispose()
