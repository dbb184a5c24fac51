"""``exitflow codec-server [--host H] [--port P]``: decrypt payloads for the Web UI and CLI."""

from __future__ import annotations

import argparse

from config import Settings, get_settings

DEFAULT_PORT = 8081


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``codec-server`` to the ``exitflow`` parser."""
    server = commands.add_parser(
        "codec-server",
        help="serve /encode and /decode (ops keys only) for the Temporal Web UI and CLI",
    )
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=DEFAULT_PORT)
    server.set_defaults(run=_codec_server)


async def _codec_server(args: argparse.Namespace) -> int:
    await serve_codec(get_settings(), host=args.host, port=args.port)
    return 0


async def serve_codec(settings: Settings, *, host: str, port: int) -> None:
    """Serve the codec server until SIGINT or SIGTERM.

    Raises:
        SystemExit: When ``EXITFLOW_PAYLOAD_KEYS`` is unset.
    """
    import uvicorn

    from starter.codec_server import create_codec_app

    try:
        app = create_codec_app(settings)
    except ValueError as err:
        raise SystemExit(str(err)) from err
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    await uvicorn.Server(config).serve()
