"""Fixtures: the API app over the real dev server, a worker on the test's queue, a real store."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from store import Store
from tests.fixtures.api import serving
from tests.starter.api.helpers import KEYS

RESUME_TOKEN_SECRET = f"resume-{uuid.uuid4().hex}"


@pytest.fixture
def api_settings(pipeline_settings: Settings) -> Settings:
    """The pipeline settings with one API key per role."""
    keys = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    return pipeline_settings.model_copy(update={"api_keys": SecretStr(keys)})


@pytest.fixture
async def api(
    dev_env: WorkflowEnvironment, api_settings: Settings, task_queue: str, store: Store
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the API app, with a worker serving this test's task queue."""
    app = create_app(api_settings, client=dev_env.client, store=store, task_queue=task_queue)
    async with serving(dev_env.client, app, api_settings, task_queue) as http:
        yield http


@pytest.fixture
def signed_settings(api_settings: Settings) -> Settings:
    """The API settings with ``EXITFLOW_RESUME_TOKEN_SECRET`` set (worker and API alike)."""
    secret = SecretStr(RESUME_TOKEN_SECRET)
    return api_settings.model_copy(update={"resume_token_secret": secret})


@pytest.fixture
def signed_app(
    dev_env: WorkflowEnvironment, signed_settings: Settings, task_queue: str, store: Store
) -> FastAPI:
    """The API app that signs resume tokens."""
    return create_app(signed_settings, client=dev_env.client, store=store, task_queue=task_queue)


@pytest.fixture
async def signed_api(
    dev_env: WorkflowEnvironment, signed_app: FastAPI, signed_settings: Settings, task_queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on ``signed_app``, with a worker that signs the tokens it emails."""
    async with serving(dev_env.client, signed_app, signed_settings, task_queue) as http:
        yield http


@pytest.fixture
def signed_terminal(terminal: None, tmp_path: Path) -> None:
    """The CLI's environment, with the API's secret where ``exitflow up`` keeps its own."""
    secrets = {"resume_token_secret": RESUME_TOKEN_SECRET}
    (tmp_path / "dev-secrets.json").write_text(json.dumps(secrets))
