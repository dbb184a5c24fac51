"""The sessions with stuck pipeline steps, found through Temporal's visibility.

A session with a step that failed for good carries the ``StuckStep`` search attribute until
operations retry or give up the step (contract/stuck.py); each one found is asked for its
steps, so the list shows what the workflow holds now, not what visibility last indexed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from temporalio.client import Client, WorkflowExecution
from temporalio.service import RPCError

from contract.stuck import StuckSession
from workflows.session import InterviewSessionWorkflow

QUERY_TIMEOUT = timedelta(seconds=5)
"""How long one session may take to list its steps (no worker polling: it never answers)."""

log = structlog.get_logger(__name__)


def stuck_query(task_queue: str) -> str:
    """The visibility query of the running sessions on ``task_queue`` with a stuck step."""
    return f'StuckStep IS NOT NULL AND ExecutionStatus = "Running" AND TaskQueue = "{task_queue}"'


async def list_stuck_sessions(
    client: Client, task_queue: str, *, limit: int = 100
) -> list[StuckSession]:
    """Up to ``limit`` running sessions on ``task_queue`` with stuck steps, with the steps.

    A session whose steps were answered since visibility indexed it is left out, and so is
    one that does not answer within ``QUERY_TIMEOUT`` (logged: its worker is not polling).
    """
    executions = [e async for e in client.list_workflows(stuck_query(task_queue), limit=limit)]
    answers = await asyncio.gather(*(_steps(client, e) for e in executions))
    return [stuck for stuck in answers if stuck is not None and stuck.steps]


async def _steps(client: Client, execution: WorkflowExecution) -> StuckSession | None:
    handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
    try:
        return await handle.query(
            InterviewSessionWorkflow.get_stuck_steps, rpc_timeout=QUERY_TIMEOUT
        )
    except RPCError as err:
        log.warning("stuck session did not answer", workflow_id=execution.id, error=str(err))
        return None
