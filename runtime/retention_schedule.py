"""Starting retention: the daily Temporal schedule, and a run on demand.

The schedule starts ``RetentionWorkflow`` every day at 03:00 UTC with the configured
period (``EXITFLOW_RETENTION_DAYS``). Ensuring it is idempotent: it is created the first
time and brought up to date afterwards, keeping whether an operator paused it.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from config import Settings
from contract.data_rights import RetentionInput, RetentionResult
from workflows.retention import RetentionWorkflow

RETENTION_SCHEDULE_ID = "exitflow-retention"
RETENTION_HOUR_UTC = 3
"""Early morning in most of the places exitflow runs: the quietest hour for the database."""

log = structlog.get_logger()


def retention_schedule(settings: Settings, task_queue: str | None = None) -> Schedule:
    """The daily retention schedule for ``settings`` (period and task queue)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RetentionWorkflow.run,
            RetentionInput(older_than_days=settings.retention_days),
            id="retention-scheduled",
            task_queue=task_queue or settings.task_queue,
            execution_timeout=timedelta(hours=12),
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(RETENTION_HOUR_UTC)])]
        ),
        # A run still going tomorrow is not doubled; a server down at 03:00 catches up once.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )


async def ensure_retention_schedule(
    client: Client,
    settings: Settings,
    *,
    task_queue: str | None = None,
    schedule_id: str = RETENTION_SCHEDULE_ID,
) -> str:
    """Create the daily retention schedule, or bring the existing one up to date.

    Args:
        client: A client with exitflow's data converter.
        settings: The retention period and the task queue.
        task_queue: Overrides ``settings.task_queue`` (tests use one queue per test).
        schedule_id: Overrides the schedule's id (tests use one per test).

    Returns:
        ``created`` or ``updated``.
    """
    schedule = retention_schedule(settings, task_queue)
    try:
        await client.create_schedule(schedule_id, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        pass

    def keep_state(current: ScheduleUpdateInput) -> ScheduleUpdate:
        # A schedule paused by an operator stays paused, with the note they left.
        return ScheduleUpdate(
            schedule=dataclasses.replace(schedule, state=current.description.schedule.state)
        )

    await client.get_schedule_handle(schedule_id).update(keep_state)
    return "updated"


async def ensure_retention_schedule_logged(client: Client, settings: Settings) -> None:
    """``ensure_retention_schedule`` at a process's start: a failure is logged, not raised."""
    try:
        outcome = await ensure_retention_schedule(client, settings)
    except RPCError as err:
        log.warning("retention schedule not ensured", error=err.message)
        return
    log.info(
        "retention schedule " + outcome,
        schedule_id=RETENTION_SCHEDULE_ID,
        retention_days=settings.retention_days,
    )


async def run_retention(
    client: Client, task_queue: str, request: RetentionInput
) -> RetentionResult:
    """Run retention now and wait for what it did (a worker must serve ``task_queue``)."""
    return await client.execute_workflow(
        RetentionWorkflow.run,
        request,
        id=f"retention-{uuid.uuid4()}",
        task_queue=task_queue,
    )
