"""Through a real worker: data failures stop at once, long-retrying failures are reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from structlog.testing import capture_logs
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.failures import ALERT_AFTER_ATTEMPTS, FailureInterceptor

FAST = RetryPolicy(initial_interval=timedelta(milliseconds=10), backoff_coefficient=1.0)


@activity.defn
async def down_until(attempt: int) -> int:
    """Fails as a connection would until ``attempt``; then answers with the attempt."""
    if activity.info().attempt < attempt:
        raise ConnectionRefusedError("database down")
    return activity.info().attempt


@activity.defn
async def overflow(hours: int) -> None:
    """Fails as finding 1's write did: a year-1 time with a UTC offset overflows."""
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=hours))).astimezone(UTC)


@workflow.defn(sandboxed=False)
class RunsOne:
    """Runs one activity with fast, unlimited retries; its result or the failure's type."""

    @workflow.run
    async def run(self, args: tuple[str, int]) -> str:
        """``args``: the activity's name and its argument."""
        name, argument = args
        try:
            result = await workflow.execute_activity(
                name, argument, start_to_close_timeout=timedelta(seconds=10), retry_policy=FAST
            )
        except ActivityError as err:
            cause = err.cause
            return f"failed: {cause.type if isinstance(cause, ApplicationError) else cause}"
        return f"ok: {result}"


async def _run(env: WorkflowEnvironment, task_queue: str, name: str, argument: int) -> str:
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[RunsOne],
        activities=[down_until, overflow],
        interceptors=[FailureInterceptor()],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        return await env.client.execute_workflow(
            RunsOne.run, (name, argument), id=f"{task_queue}-{name}", task_queue=task_queue
        )


async def test_a_data_failure_is_final_on_its_first_attempt(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    """finding 1: an overflow from the data fails the activity for good, typed, at once."""
    with capture_logs() as logs:
        outcome = await _run(dev_env, task_queue, "overflow", 14)

    assert outcome == "failed: invalid_data"
    failed = [entry for entry in logs if entry["event"] == "activity_failed_for_good"]
    assert [(e["attempt"], e["failure_type"]) for e in failed] == [(1, "invalid_data")]


async def test_a_transient_failure_keeps_retrying_and_is_reported_when_long(
    dev_env: WorkflowEnvironment, task_queue: str
) -> None:
    """A connection error is retried as long as it lasts; its tenth attempt is reported."""
    with capture_logs() as logs:
        outcome = await _run(dev_env, task_queue, "down_until", ALERT_AFTER_ATTEMPTS + 1)

    assert outcome == f"ok: {ALERT_AFTER_ATTEMPTS + 1}"
    alerts = [entry for entry in logs if entry["event"] == "activity_still_failing"]
    assert [(e["attempt"], e["failure_type"]) for e in alerts] == [
        (ALERT_AFTER_ATTEMPTS, "ConnectionRefusedError")
    ]
