"""A dev server whose Web UI decodes through exitflow's codec server, as ``exitflow up`` runs
them, with a worker encrypting payloads on the test's own task queue."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from config.payload_keys import new_payload_key
from devstack.stack import EmbeddedPorts
from runtime.codec import data_converter_for
from runtime.worker import running_worker
from sessions.client import SessionClient
from starter.codec_command import running_codec
from store import Store
from tests.fixtures.temporal import binary
from workflows import search


@dataclass(frozen=True)
class DecodingStack:
    """The pieces a test of the decoded Web UI talks to."""

    address: str
    ui_url: str
    codec_url: str
    ops_key: str
    sessions: SessionClient
    store: Store


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def decoding_stack(
    pipeline_settings: Settings, store: Store, task_queue: str
) -> AsyncIterator[DecodingStack]:
    """Codec server first (the dev server's UI is pointed at it), then a dev server with its
    Web UI, then a worker; the dev stack's settings, so the UI is admitted without a key."""
    ports = EmbeddedPorts(ui=_free_port(), codec=_free_port())
    ops_key = f"ops-{uuid.uuid4().hex}"
    payload_keys = SecretStr(new_payload_key("test-1"))
    codec_settings = Settings.for_dev_stack(
        payload_keys=payload_keys,
        api_keys=SecretStr(f"ops:{ops_key}"),
        database_url=pipeline_settings.database_url,
    )
    worker_settings = pipeline_settings.model_copy(update={"payload_keys": payload_keys})
    async with running_codec(
        codec_settings, host="127.0.0.1", port=ports.codec, dev_ui_origins=ports.web_ui_origins
    ) as codec_url:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
            data_converter=data_converter_for(worker_settings),
            search_attributes=list(search.ALL_KEYS),
            dev_server_log_level="error",
            ui=True,
            ui_port=ports.ui,
            dev_server_extra_args=[f"--ui-codec-endpoint={codec_url}"],
        )
        async with env, running_worker(env.client, worker_settings, task_queue=task_queue):
            yield DecodingStack(
                address=env.client.service_client.config.target_host,
                ui_url=f"http://127.0.0.1:{ports.ui}",
                codec_url=codec_url,
                ops_key=ops_key,
                sessions=SessionClient(env.client, task_queue),
                store=store,
            )
