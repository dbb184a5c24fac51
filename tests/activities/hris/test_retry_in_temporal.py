"""``deliver_hris_event`` retried by a real Temporal server through a RetryPolicy."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

# The sandbox re-imports this module for the workflow; everything else is passed through.
with workflow.unsafe.imports_passed_through():
    import httpx
    import pytest
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from activities.hris.activities import HrisActivities
    from config import Settings
    from contract.events import DeliveryOutcome, SessionEvent
    from devstack.hris_inbox import HrisInbox, ScriptedResponse
    from runtime.converter import data_converter
    from runtime.worker import SANDBOX
    from store import Store
    from tests.fixtures.database import make_event


@workflow.defn
class DeliverOnceWorkflow:
    """Test-only: deliver one event the way the session workflow does, faster."""

    @workflow.run
    async def run(self, event: SessionEvent) -> DeliveryOutcome:
        return await workflow.execute_activity_method(
            HrisActivities.deliver_hris_event,
            event,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(seconds=5),
            ),
            schedule_to_close_timeout=timedelta(minutes=1),
        )


@pytest.fixture(scope="module")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A local Temporal dev server, never downloaded."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal") or "/work/main/.venv/bin/temporal",
        data_converter=data_converter,
    )
    async with env:
        yield env


async def test_unavailable_then_accepted_is_retried_to_success(
    temporal_env: WorkflowEnvironment,
    hris_settings: Settings,
    hris_http: httpx.AsyncClient,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """Two 503s then a 204 arrive as three attempts with one webhook-id, noted as sent."""
    hris_inbox.script(ScriptedResponse(503, retry_after=1), 503, 204)
    event = make_event()
    await store.record_event(event)
    task_queue = f"hris-{uuid.uuid4()}"
    async with Worker(
        temporal_env.client,
        task_queue=task_queue,
        workflows=[DeliverOnceWorkflow],
        activities=[HrisActivities(hris_settings, hris_http, store).deliver_hris_event],
        workflow_runner=SANDBOX,
    ):
        outcome = await temporal_env.client.execute_workflow(
            DeliverOnceWorkflow.run, event, id=f"hris-{uuid.uuid4()}", task_queue=task_queue
        )

    assert (outcome.outcome, outcome.attempts, outcome.status_code) == ("sent", 3, 204)
    assert [d.status_code for d in hris_inbox.deliveries] == [503, 503, 204]
    assert {d.webhook_id for d in hris_inbox.deliveries} == {f"msg_{event.event_id}"}
    assert len({d.raw_body for d in hris_inbox.deliveries}) == 1
    assert all(d.verified for d in hris_inbox.deliveries)
    first, second, _ = hris_inbox.deliveries
    # Retry-After: 1 overrides the policy's 200 ms first interval.
    assert second.received_at - first.received_at >= timedelta(seconds=1)
    assert await store.delivery_outcome(event.event_id, channel="hris") == "sent"
