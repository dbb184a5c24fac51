"""Fixtures for the CLI's commands: the environment a terminal next to the stack would have."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from config import get_settings
from starter import local_stack
from store import Store
from tests.fixtures.oidc import oidc_provider, other_oidc_provider  # noqa: F401


@pytest.fixture
async def terminal(
    dev_env: WorkflowEnvironment,
    database_url: str,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[None]:
    """The CLI's environment names this test's server, task queue and database."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv(
        "EXITFLOW_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host
    )
    monkeypatch.setenv("EXITFLOW_TASK_QUEUE", task_queue)
    # No embedded stack's secrets from a developer's var/: this test's worker has none.
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def store_terminal(
    store: Store, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A terminal whose ``EXITFLOW_DATABASE_URL`` is this test's migrated database, for the
    commands that need only the store (``keys``, ``policies``)."""
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    monkeypatch.setattr(local_stack, "VAR_DIR", tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
