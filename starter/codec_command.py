"""``exitflow codec-server [--host H] [--port P]``: decrypt payloads for the Web UI and CLI.

Next to ``exitflow up`` it needs nothing exported: the payload keys and the API keys come
from ``var/dev-secrets.json`` when the environment names none, so the ops key ``up``
prints works (``--codec-auth "Bearer <ops key>"``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import AsyncIterator, Sequence

import uvicorn
from pydantic import SecretStr

from config import VAR_DIR, Settings
from starter.local_stack import cli_settings

DEFAULT_PORT = 8081


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``codec-server`` to the ``exitflow`` parser."""
    server = commands.add_parser(
        "codec-server",
        help="serve /encode and /decode (ops role only) for the Temporal Web UI and CLI",
    )
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=DEFAULT_PORT)
    server.add_argument(
        "--tls-cert",
        help="serve HTTPS with this PEM certificate (the Web UI passes a "
        "person's access token to https:// endpoints only)",
    )
    server.add_argument("--tls-key", help="the PEM private key of --tls-cert")
    server.set_defaults(run=_codec_server)


async def _codec_server(args: argparse.Namespace) -> int:
    if (args.tls_cert is None) != (args.tls_key is None):
        raise SystemExit("exitflow codec-server: give --tls-cert and --tls-key together")
    await serve_codec(
        codec_settings(), host=args.host, port=args.port, tls=(args.tls_cert, args.tls_key)
    )
    return 0


def codec_settings() -> Settings:
    """The environment's settings; without API keys there, the dev stack's (as other
    commands read its payload keys from ``var/dev-secrets.json``)."""
    settings = cli_settings()
    path = VAR_DIR / "dev-secrets.json"
    if settings.api_keys is not None or not path.exists():
        return settings
    from devstack.stack import dev_api_keys

    kept = json.loads(path.read_text())
    keys = ",".join(f"{role}:{key}" for role, key in dev_api_keys(kept).items())
    return settings.model_copy(update={"api_keys": SecretStr(keys)})


async def serve_codec(
    settings: Settings, *, host: str, port: int, tls: tuple[str | None, str | None] = (None, None)
) -> None:
    """Serve the codec server until SIGINT or SIGTERM; over HTTPS with ``tls`` (cert, key).

    Raises:
        SystemExit: When ``EXITFLOW_PAYLOAD_KEYS`` is unset or a setting is refused.
    """
    from starter.codec_server import create_codec_app
    from store import Store

    store = Store.from_url(settings.database_url)
    try:
        await store.create_schema()
        try:
            app = create_codec_app(settings, store=store)
        except ValueError as err:
            raise SystemExit(str(err)) from err
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            ssl_certfile=tls[0],
            ssl_keyfile=tls[1],
        )
        await uvicorn.Server(config).serve()
    finally:
        await store.dispose()


@contextlib.asynccontextmanager
async def running_codec(
    settings: Settings, *, host: str, port: int, dev_ui_origins: Sequence[str] = ()
) -> AsyncIterator[str]:
    """Serve the codec server in this event loop while the block runs; yields its URL.

    For ``exitflow up`` and tests: the caller owns the signals. ``dev_ui_origins`` (the
    dev stack's settings only) are refused unless ``host`` is a loopback address.

    Raises:
        SystemExit: The server could not start (e.g. the port is taken).
        ValueError: ``dev_ui_origins`` on a host that is not loopback, or what
            :func:`~starter.codec_server.create_codec_app` refuses.
    """
    from starter.api_command import serving_app
    from starter.codec_server import create_codec_app, is_loopback
    from store import Store

    if dev_ui_origins and not is_loopback(host):
        raise ValueError(f"the Web UI is admitted without a credential on loopback only: {host}")
    store = Store.from_url(settings.database_url)
    await store.create_schema()
    try:
        app = create_codec_app(settings, store=store, dev_ui_origins=dev_ui_origins)
        async with serving_app(app, host=host, port=port, name="the codec server") as url:
            yield url
    finally:
        await store.dispose()
