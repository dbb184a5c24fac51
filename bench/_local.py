"""The in-process stack both latency scripts run on: dev server, HR inbox, SMTP, settings."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporalio.testing import WorkflowEnvironment

from activities.hris.signing import key_from_secret, new_secret
from config import Settings
from devstack.hris_inbox import HrisInbox, InboxServer
from devstack.mailbox import Mailbox
from runtime.converter import data_converter
from tests.fixtures.temporal import binary
from workflows import search


@dataclass(frozen=True)
class LocalPipeline:
    """A running dev server and the real receivers of every exit's messages."""

    env: WorkflowEnvironment
    inbox: HrisInbox
    mailbox: Mailbox
    settings: Settings


@contextlib.asynccontextmanager
async def local_pipeline(**overrides: Any) -> AsyncIterator[LocalPipeline]:
    """Start the stack in a temporary directory; ``overrides`` extend the worker's settings."""
    secret = new_secret()
    with tempfile.TemporaryDirectory() as tmp:
        inbox = HrisInbox(key_from_secret(secret))
        async with (
            await WorkflowEnvironment.start_local(
                dev_server_existing_path=binary("temporal"),
                data_converter=data_converter,
                search_attributes=list(search.ALL_KEYS),
                dev_server_log_level="error",
            ) as env,
            InboxServer(inbox),
        ):
            with Mailbox(Path(tmp) / "mail") as mailbox:
                settings = Settings(
                    database_url=f"sqlite+aiosqlite:///{tmp}/exitflow.db",
                    smtp_host=mailbox.hostname,
                    smtp_port=mailbox.port,
                    hris_webhook_url=inbox.url,
                    hris_webhook_secret=secret,
                    **overrides,
                )
                yield LocalPipeline(env, inbox, mailbox, settings)
