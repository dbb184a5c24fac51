"""``RetentionWorkflow`` and its daily schedule, on the real dev server and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow, ScheduleHandle
from temporalio.testing import WorkflowEnvironment

from config import Settings
from contract.codes import EventType
from contract.data_rights import HoldInput, RetentionInput, RetentionResult
from contract.sessions import Actor
from runtime.retention_schedule import RETENTION_HOUR_UTC, ensure_retention_schedule, run_retention
from runtime.worker import running_worker
from store import Store
from tests.store.data_rights import candidate_event, days_ago
from tests.store.helpers import fetch


@pytest.fixture
async def client(
    dev_env: WorkflowEnvironment, database_url: str, task_queue: str, store: Store
) -> AsyncIterator[Client]:
    """The dev server's client, with a worker on the test's queue and database."""
    settings = Settings(database_url=database_url, hris_webhook_url=None)
    async with running_worker(dev_env.client, settings, task_queue=task_queue):
        yield dev_env.client


async def _record_due_and_kept(store: Store) -> None:
    for candidate in ("c-a", "c-b", "c-c"):
        await store.record_event(candidate_event(candidate, at=days_ago(400)))
    await store.record_event(candidate_event("c-young", at=days_ago(30)))
    await store.record_event(candidate_event("c-held", at=days_ago(400)))
    await store.rights.set_hold(
        "c-held", request=HoldInput(reason="tribunal claim", actor=Actor(id="hr-3", name="Dana"))
    )


async def _anonymised(store: Store) -> set[str]:
    rows = await fetch(store, "SELECT candidate_id FROM sessions WHERE anonymised_at IS NOT NULL")
    return {row["candidate_id"] for row in rows}


async def test_a_run_anonymises_due_sessions_in_batches_and_skips_held(
    client: Client, store: Store, task_queue: str
) -> None:
    """Three due sessions in batches of two: two batches, the held and the young kept."""
    await _record_due_and_kept(store)

    dry = await run_retention(client, task_queue, RetentionInput(dry_run=True))
    assert await _anonymised(store) == set()
    result = await run_retention(client, task_queue, RetentionInput(batch_size=2))

    assert (dry.sessions, dry.held_sessions, dry.anonymised.sessions) == (3, 1, 0)
    assert (result.sessions, result.held_sessions, result.batches) == (3, 1, 2)
    assert result.anonymised.sessions == 3 and result.anonymised.events == 3
    assert await _anonymised(store) == {"c-a", "c-b", "c-c"}
    assert (await store.verify_audit_chain()).ok


async def _wait_for_first_run(handle: ScheduleHandle) -> str:
    for _ in range(100):
        actions = (await handle.describe()).info.recent_actions
        if actions:
            return actions[0].action.workflow_id  # type: ignore[attr-defined,no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError("the schedule never started its workflow")


async def test_the_schedule_is_created_once_updated_in_place_and_runs(
    client: Client, store: Store, task_queue: str
) -> None:
    """Ensuring twice keeps one schedule (pause kept, period updated); a trigger runs it."""
    schedule_id = f"retention-test-{uuid.uuid4().hex[:8]}"
    await _record_due_and_kept(store)
    handle = client.get_schedule_handle(schedule_id)
    try:
        first = await ensure_retention_schedule(
            client, Settings(), task_queue=task_queue, schedule_id=schedule_id
        )
        await handle.pause(note="paused by ops")
        second = await ensure_retention_schedule(
            client, Settings(retention_days=200), task_queue=task_queue, schedule_id=schedule_id
        )

        description = await handle.describe()
        action = description.schedule.action
        assert (first, second) == ("created", "updated")
        assert description.schedule.state.paused and description.schedule.state.note
        assert isinstance(action, ScheduleActionStartWorkflow)
        [args] = await client.data_converter.decode(action.args, [RetentionInput])
        assert args == RetentionInput(older_than_days=200)
        [calendar] = description.schedule.spec.calendars
        assert [r.start for r in calendar.hour] == [RETENTION_HOUR_UTC]
        ids = [s.id async for s in await client.list_schedules() if s.id == schedule_id]
        assert ids == [schedule_id]

        await handle.trigger()
        workflow_id = await _wait_for_first_run(handle)
        result = await client.get_workflow_handle(workflow_id, result_type=RetentionResult).result()
        assert result.anonymised.sessions == 3
        assert await _anonymised(store) == {"c-a", "c-b", "c-c"}
    finally:
        await handle.delete()


async def test_a_session_still_suspended_is_never_due(
    client: Client, store: Store, task_queue: str
) -> None:
    """However old, an open session keeps its data (its resume link may still be used)."""
    await store.record_event(candidate_event("c-open", EventType.SUSPENDED, at=days_ago(900)))

    result = await run_retention(client, task_queue, RetentionInput())

    assert result.sessions == 0 and await _anonymised(store) == set()
