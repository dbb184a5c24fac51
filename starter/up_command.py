"""``exitflow up``: the embedded stack run as one process, and the banner that says where."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import structlog

from activities.hris.signing import key_from_secret
from config import VAR_DIR, Settings
from devstack.hris_inbox import HrisInbox, InboxServer
from devstack.mailbox import Mailbox
from devstack.oidc_provider import run_oidc_provider
from devstack.stack import EmbeddedPorts, dev_api_keys, dev_secrets, embedded_settings
from devstack.temporal_server import STOP_SECONDS, stop_recorded_server, temporal_dev_server
from runtime.retention_schedule import ensure_retention_schedule_logged
from runtime.worker import SHUTDOWN_LIMIT, running_worker
from starter.api_command import running_api
from starter.codec_command import running_codec

log = structlog.get_logger()

API_STOP_SECONDS = 5.0
"""How long requests in flight may take to finish once the API is stopping."""
CODEC_STOP_SECONDS = 1.0
"""How long decodes in flight may take to finish once the codec server is stopping."""
STOP_LIMIT_SECONDS = (
    CODEC_STOP_SECONDS + API_STOP_SECONDS + SHUTDOWN_LIMIT.total_seconds() + STOP_SECONDS + 10
)
"""How long a stop may take in all before the process ends at once (so may a second signal)."""


async def run_embedded_stack(ports: EmbeddedPorts, var_dir: Path = VAR_DIR) -> None:
    """Run every embedded service until Ctrl-C or SIGTERM, whatever state it is in.

    The first signal stops what has started, in order and each within its bound: the codec
    server (``CODEC_STOP_SECONDS``), the API (``API_STOP_SECONDS`` for requests in flight),
    the worker (its graceful shutdown, at most ``runtime.worker.SHUTDOWN_LIMIT``), Temporal,
    the SMTP server and the HR inbox.
    A second signal, or a stop still running after ``STOP_LIMIT_SECONDS``, kills the
    Temporal dev server and ends the process at once.
    """
    stack = asyncio.current_task()
    assert stack is not None, "the stack runs inside a task"
    loop = asyncio.get_running_loop()
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        if stopping:
            _exit_now(var_dir, "a second signal")
        stopping = True
        print(
            "\nstopping: codec server, API, worker, Temporal, SMTP, HR inbox, OIDC ...",
            flush=True,
        )
        stack.cancel()
        loop.call_later(STOP_LIMIT_SECONDS, _exit_now, var_dir, "the stop took too long")

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        await _run(ports, var_dir)
    except asyncio.CancelledError:
        if not stopping:
            raise
        stack.uncancel()


async def _run(ports: EmbeddedPorts, var_dir: Path) -> None:
    kept = await asyncio.to_thread(dev_secrets, var_dir)
    inbox = HrisInbox(key_from_secret(kept["hris_webhook_secret"]), directory=var_dir / "hris")
    with run_oidc_provider(host="127.0.0.1", port=ports.oidc):
        await _run_services(ports, var_dir, kept, inbox)


async def _run_services(
    ports: EmbeddedPorts, var_dir: Path, kept: dict[str, str], inbox: HrisInbox
) -> None:
    async with (
        Mailbox(hostname="127.0.0.1", port=ports.smtp, directory=var_dir / "mail") as mailbox,
        InboxServer(inbox, host="127.0.0.1", port=ports.inbox) as inbox_server,
        temporal_dev_server(ports, var_dir, payload_keys=kept["payload_keys"]) as client,
    ):
        settings = embedded_settings(ports, f"{inbox_server.url}/webhooks", kept)
        async with (
            running_worker(client, settings),
            _bounded_exit(
                running_api(
                    settings, host="127.0.0.1", port=ports.api, client=client, candidate_pages=True
                ),
                API_STOP_SECONDS,
            ) as api_url,
            _bounded_exit(
                running_codec(
                    settings,
                    host="127.0.0.1",
                    port=ports.codec,
                    dev_ui_origins=ports.web_ui_origins,
                ),
                CODEC_STOP_SECONDS,
            ) as codec_url,
        ):
            await ensure_retention_schedule_logged(client, settings)
            _print_banner(
                ports, settings, var_dir, mailbox.port, api_url, codec_url, dev_api_keys(kept)
            )
            await asyncio.Event().wait()  # until a signal cancels the stack


@contextlib.asynccontextmanager
async def _bounded_exit(
    service: contextlib.AbstractAsyncContextManager[str], seconds: float
) -> AsyncIterator[str]:
    """``service``, except that leaving it is cut short after ``seconds``."""
    entered = await service.__aenter__()
    try:
        yield entered
    finally:
        leaving = asyncio.ensure_future(service.__aexit__(None, None, None))
        await asyncio.wait([leaving], timeout=seconds)
        if not leaving.done():
            log.warning("stop cut short: requests still in flight", limit_seconds=seconds)
            leaving.cancel()
            await asyncio.wait([leaving], timeout=1)


def _exit_now(var_dir: Path, reason: str) -> None:
    print(f"exitflow up: {reason}; stopping Temporal and exiting now", file=sys.stderr, flush=True)
    stop_recorded_server(var_dir, grace_seconds=0)
    os._exit(1)


def _print_banner(
    ports: EmbeddedPorts,
    settings: Settings,
    var_dir: Path,
    smtp_port: int,
    api_url: str,
    codec_url: str,
    api_keys: dict[str, str],
) -> None:
    keys = "\n".join(f"    {role:<12}Authorization: Bearer {key}" for role, key in api_keys.items())
    print(
        f"""
exitflow is up.
  HTTP API        {api_url}   (interactive docs: {api_url}/docs)
  API keys        development only, kept in {var_dir / "dev-secrets.json"}
{keys}
  Temporal        127.0.0.1:{ports.temporal}   (task queue {settings.task_queue})
  Web UI          http://127.0.0.1:{ports.ui}/namespaces/default/workflows
                  payloads decrypted through the codec server, which lets this UI in
                  without a key (development only: loopback, this UI's origin)
  people (OIDC)   {settings.oidc_issuer}   (development provider; users hr.dev: HR, every
                  job; ops.dev: operations). A person's token for the API and codec server:
                    exitflow sign-in --user hr.dev
  codec server    {codec_url}   (ops role; every decode audited: exitflow audit export)
                  temporal workflow show --detailed -w interview-session-demo-1 \\
                    --codec-endpoint {codec_url} --codec-auth "Bearer <ops key>"
  database        {settings.database_url}
  emails          {var_dir / "mail"}/*.eml   (SMTP 127.0.0.1:{smtp_port})
  HR webhooks     {var_dir / "hris"}/*.json  (signed, verified on arrival)
  email links     {api_url}/resume and /contest: stand-in candidate pages (embedded only)
  logs            {var_dir / "temporal.log"}
  payloads        AES-GCM encrypted in Temporal (dev key in {var_dir / "dev-secrets.json"},
                  which exitflow commands in another terminal read by themselves)

Try:  exitflow session start --session-id demo-1 --locale en
      curl -H "Authorization: Bearer {api_keys["ops"]}" {api_url}/v1/exits
Stop: Ctrl-C
""",
        flush=True,
    )
