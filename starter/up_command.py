"""``exitflow up``: the embedded stack run as one process, and the banner that says where."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from activities.hris.signing import key_from_secret
from config import VAR_DIR, Settings
from devstack.hris_inbox import HrisInbox, InboxServer
from devstack.mailbox import Mailbox
from devstack.stack import (
    EmbeddedPorts,
    dev_api_keys,
    dev_secrets,
    embedded_settings,
    temporal_dev_server,
)
from runtime.retention_schedule import ensure_retention_schedule_logged
from runtime.worker import running_worker
from starter.api_command import running_api


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
        temporal_dev_server(ports, var_dir, payload_keys=kept["payload_keys"]) as client,
    ):
        settings = embedded_settings(ports, f"{inbox_server.url}/webhooks", kept)
        async with (
            running_worker(client, settings),
            running_api(
                settings, host="127.0.0.1", port=ports.api, client=client, candidate_pages=True
            ) as api_url,
        ):
            await ensure_retention_schedule_logged(client, settings)
            _print_banner(ports, settings, var_dir, mailbox.port, api_url, dev_api_keys(kept))
            await stop.wait()
            print("\nstopping: API, worker, Temporal, SMTP, HR inbox ...", flush=True)


def _print_banner(
    ports: EmbeddedPorts,
    settings: Settings,
    var_dir: Path,
    smtp_port: int,
    api_url: str,
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
