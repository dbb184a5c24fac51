"""The exitflow worker: every workflow and activity, on the contract's task queue."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import structlog
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.data_rights import DataRightsActivities
from activities.database import DatabaseActivities
from activities.email.activities import EmailActivities
from activities.failures import FailureInterceptor
from activities.hris.activities import HrisActivities
from activities.sms import SmsActivities
from config import Settings, get_settings
from runtime.codec import data_converter_for
from runtime.logs import configure_logging
from runtime.metrics import prometheus_runtime
from runtime.reconnect import Backoff, Stopped, check_namespace, is_transient, unless_stopped
from runtime.request_ids import RequestIdWorkerInterceptor
from runtime.retention_schedule import ensure_retention_schedule_logged
from store import Store
from workflows.downstream import DownstreamStepWorkflow
from workflows.erasure import CandidateErasureWorkflow
from workflows.retention import RetentionWorkflow
from workflows.session import InterviewSessionWorkflow

log = structlog.get_logger()

GRACEFUL_SHUTDOWN = timedelta(seconds=10)
"""How long in-flight activities may finish after a stop before they are cancelled."""
SHUTDOWN_LIMIT = GRACEFUL_SHUTDOWN + timedelta(seconds=4)
"""How long a worker's shutdown may take at most, answered by Temporal or not."""

WORKFLOWS = [
    InterviewSessionWorkflow,
    DownstreamStepWorkflow,
    CandidateErasureWorkflow,
    RetentionWorkflow,
]

# pydantic imports these lazily when it first validates an email; they are deterministic, so
# the sandbox may share the already-loaded modules instead of re-importing them per run.
SANDBOX = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("email_validator", "idna")
)


async def connect(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """A Temporal client with exitflow's data converter (encrypting when keys are set).

    Args:
        settings: Where Temporal is, and the payload keys.
        runtime: The SDK runtime, e.g. one exporting metrics; the default runtime if None.
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter_for(settings),
        runtime=runtime,
    )


@contextlib.asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, *, task_queue: str | None = None
) -> AsyncIterator[Worker]:
    """Run a worker until the block ends; its store and HTTP client close after it.

    Args:
        client: A client made by :func:`connect` (or any with exitflow's data converter).
        settings: Where the activities' outside systems are.
        task_queue: Overrides ``settings.task_queue`` (tests use one queue per test).
    """
    store = Store.from_url(settings.database_url)
    await store.create_schema()
    async with httpx.AsyncClient() as http:
        worker = Worker(
            client,
            task_queue=task_queue or settings.task_queue,
            workflows=WORKFLOWS,
            workflow_runner=SANDBOX,
            activities=activities_for(settings, store, http),
            graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            interceptors=[RequestIdWorkerInterceptor(), FailureInterceptor()],
        )
        try:
            async with _running(worker):
                yield worker
        finally:
            await store.dispose()


@contextlib.asynccontextmanager
async def _running(worker: Worker) -> AsyncIterator[None]:
    """``async with worker``, except that leaving gives up after ``SHUTDOWN_LIMIT``.

    As with ``async with worker``, a worker that fails cancels the block and its error is
    raised from the block, and leaving the block shuts the worker down gracefully. But the
    SDK's shutdown also waits for each of its calls to Temporal (``ShutdownWorker``, the
    in-flight activities' completions), which a server that does not answer holds for 30 s
    apiece; past the limit the shutdown is abandoned, and logged as cut short.
    """
    block = asyncio.current_task()
    assert block is not None, "a worker runs inside a task"
    leaving = False

    def end_block_on_failure(run: asyncio.Task[None]) -> None:
        failed = not run.cancelled() and run.exception() is not None
        if failed and not leaving:
            block.cancel()

    run = asyncio.create_task(worker.run())
    run.add_done_callback(end_block_on_failure)
    try:
        yield
    except asyncio.CancelledError:
        failure = run.exception() if run.done() and not run.cancelled() else None
        if failure is None:
            raise
        block.uncancel()
        raise failure from None
    finally:
        leaving = True
        await _shut_down(worker, run)


async def _shut_down(worker: Worker, run: asyncio.Task[None]) -> None:
    shutdown = asyncio.ensure_future(worker.shutdown())
    await asyncio.wait([run], timeout=SHUTDOWN_LIMIT.total_seconds())
    if not run.done():
        log.warning(
            "worker shutdown cut short",
            reason="Temporal did not answer in time, or an activity ignored its cancellation",
            limit_seconds=SHUTDOWN_LIMIT.total_seconds(),
        )
        run.cancel()
        await asyncio.wait([run], timeout=1)
    shutdown.cancel()
    shutdown.add_done_callback(_log_failed_shutdown)


def _log_failed_shutdown(shutdown: asyncio.Future[None]) -> None:
    # Read the outcome, so a shutdown that failed after the cut is logged, not left to
    # asyncio's "exception was never retrieved" at exit.
    if not shutdown.cancelled() and (err := shutdown.exception()) is not None:
        log.warning("worker shutdown failed", error=str(err))


def activities_for(
    settings: Settings, store: Store, http: httpx.AsyncClient
) -> list[Callable[..., Any]]:
    """Every activity, bound to its outside system."""
    database = DatabaseActivities(store)
    email = EmailActivities(settings, store)
    hris = HrisActivities(settings, http, store)
    sms = SmsActivities(settings, http, store)
    rights = DataRightsActivities(store)
    return [
        database.record_session_event,
        database.record_downstream_change,
        database.record_delivery,
        database.read_last_seen,
        email.send_candidate_email,
        hris.deliver_hris_event,
        hris.deliver_hris_notice,
        sms.send_candidate_sms,
        rights.erase_candidate,
        rights.plan_retention,
        rights.anonymise_retention_batch,
    ]


async def run_worker(settings: Settings | None = None) -> None:
    """Run one worker process until SIGINT or SIGTERM, riding out Temporal outages.

    While Temporal cannot be reached (:func:`runtime.reconnect.is_transient` says which
    errors mean that) it keeps trying, 0.5 s to 10 s apart, to connect, or to start a new
    worker when the running one fails; any other error ends the process at once. A signal
    shuts a running worker down gracefully, in-flight activities getting
    ``GRACEFUL_SHUTDOWN``, but never for longer than ``SHUTDOWN_LIMIT`` whether Temporal
    answers or not; it ends a wait for Temporal right away. Either way the return is normal
    (exit status 0).
    """
    settings = settings or get_settings()
    settings.require_resume_token_secret()
    runtime = prometheus_runtime(settings.metrics_bind)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    backoff = Backoff()
    client: Client | None = None
    with contextlib.suppress(Stopped):
        while not stop.is_set():
            try:
                if client is None:
                    client = await unless_stopped(stop, connect(settings, runtime=runtime))
                await unless_stopped(stop, check_namespace(client))
                backoff.reset()
                await _serve(client, settings, stop)
            except Exception as err:
                if not is_transient(err):
                    raise
                delay = backoff.next_delay()
                log.warning(
                    "temporal unreachable; retrying",
                    attempt=backoff.attempt,
                    error=str(err),
                    retry_in_seconds=delay,
                    temporal=settings.temporal_address,
                )
                await unless_stopped(stop, asyncio.sleep(delay))


async def _serve(client: Client, settings: Settings, stop: asyncio.Event) -> None:
    async with running_worker(client, settings):
        log.info(
            "worker started", task_queue=settings.task_queue, temporal=settings.temporal_address
        )
        await unless_stopped(stop, ensure_retention_schedule_logged(client, settings))
        await stop.wait()
        log.info("worker stopping")


def main() -> None:
    """Entry point of ``python worker.py`` and ``exitflow worker``."""
    configure_logging(get_settings().log_level)
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
