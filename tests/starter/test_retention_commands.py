"""``exitflow retention run`` and ``retention schedule`` against a real stack."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from temporalio.testing import WorkflowEnvironment

from config import Settings, get_settings
from runtime.retention_schedule import RETENTION_SCHEDULE_ID
from runtime.worker import running_worker
from starter import retention_commands
from store import Store
from tests.store.data_rights import candidate_event, days_ago
from tests.store.helpers import fetch


@pytest.fixture
async def configured(
    dev_env: WorkflowEnvironment,
    database_url: str,
    task_queue: str,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[None]:
    """The environment a terminal would have, and a worker serving it."""
    # No var/dev-secrets.json in the working directory: payloads stay unencrypted.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "EXITFLOW_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host
    )
    monkeypatch.setenv("EXITFLOW_TASK_QUEUE", task_queue)
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("EXITFLOW_RETENTION_DAYS", "300")
    get_settings.cache_clear()
    settings = Settings(database_url=database_url)
    async with running_worker(dev_env.client, settings, task_queue=task_queue):
        yield
    get_settings.cache_clear()


async def _run(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    parser = argparse.ArgumentParser(prog="exitflow")
    retention_commands.add_to(parser.add_subparsers())
    args = parser.parse_args(argv)
    with capture_logs():  # the in-process worker's log lines would share stdout
        code = await args.run(args)
    return code, json.loads(capsys.readouterr().out)


async def test_retention_run_prints_counts_and_dry_run_changes_nothing(
    configured: None, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """The dry run counts; the run anonymises; both print JSON with the counts."""
    await store.record_event(candidate_event("c-old", at=days_ago(320)))
    await store.record_event(candidate_event("c-new", at=days_ago(100)))

    dry_code, dry = await _run(["retention", "run", "--dry-run"], capsys)
    untouched = await fetch(store, "SELECT anonymised_at FROM sessions")
    code, ran = await _run(["retention", "run"], capsys)
    _, longer = await _run(["retention", "run", "--older-than-days", "50"], capsys)

    assert (dry_code, code) == (0, 0)
    assert (dry["dry_run"], dry["sessions"]) == (True, 1)
    assert {row["anonymised_at"] for row in untouched} == {None}
    assert ran["sessions"] == 1 and ran["anonymised"]["sessions"] == 1  # type: ignore[index]
    assert longer["anonymised"]["sessions"] == 1  # type: ignore[index]


async def test_retention_schedule_creates_then_updates(
    configured: None, dev_env: WorkflowEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command is idempotent: created first, updated after, with the configured period."""
    try:
        _, first = await _run(["retention", "schedule"], capsys)
        _, second = await _run(["retention", "schedule"], capsys)
    finally:
        await dev_env.client.get_schedule_handle(RETENTION_SCHEDULE_ID).delete()

    assert (first["outcome"], second["outcome"]) == ("created", "updated")
    assert second["retention_days"] == 300 and second["schedule_id"] == RETENTION_SCHEDULE_ID
