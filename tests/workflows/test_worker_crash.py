"""A worker killed in the middle of an exit pipeline: the next one finishes it, nothing twice."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from contract.sessions import SessionView, WithdrawInput
from devstack.hris_inbox import HrisInbox, ScriptedResponse
from devstack.mailbox import Mailbox
from sessions.client import SessionClient
from store import Store
from store.tables import ExitRow, SessionEventRow
from tests.fixtures.temporal import session_body
from workflows.session import session_workflow_id

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spawn_worker(
    dev_env: WorkflowEnvironment, worker_process_env: dict[str, str]
) -> Callable[[], asyncio.Future[asyncio.subprocess.Process]]:
    """Start ``python worker.py`` as its own process, configured only by environment."""
    address = dev_env.client.service_client.config.target_host
    env = {**worker_process_env, "EXITFLOW_TEMPORAL_ADDRESS": address}

    def spawn() -> asyncio.Future[asyncio.subprocess.Process]:
        return asyncio.ensure_future(
            asyncio.create_subprocess_exec(sys.executable, "worker.py", cwd=ROOT, env=env)
        )

    return spawn


@pytest.fixture
async def workers() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """Worker processes a test started; any still alive are stopped afterwards."""
    started: list[asyncio.subprocess.Process] = []
    yield started
    for process in started:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _count(store: Store, statement: object) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def test_killed_worker_leaves_one_record_one_email_one_webhook_id(
    dev_env: WorkflowEnvironment,
    task_queue: str,
    spawn_worker: Callable[[], asyncio.Future[asyncio.subprocess.Process]],
    workers: list[asyncio.subprocess.Process],
    mailbox: Mailbox,
    hris_inbox: HrisInbox,
    store: Store,
) -> None:
    """SIGKILL while the withdrawal webhook is in flight; a fresh worker completes the pipeline.

    The HR system holds the first withdrawal webhook open, so the worker dies after the
    record and the email but before the webhook is acknowledged. The replacement worker
    retries the webhook with the same ``webhook-id`` (what a receiver deduplicates on) and
    finds the record and the email already done.
    """
    hris_inbox.script(204, ScriptedResponse(delay_seconds=6))
    workers.append(await spawn_worker())
    sessions = SessionClient(dev_env.client, task_queue)
    body = session_body()
    await sessions.start(body)
    await hris_inbox.wait_for(lambda d: d.type == "interview.started", timeout=30)

    receipt = await sessions.withdraw(body.session_id, WithdrawInput(reason_code="lost_interest"))
    held = await hris_inbox.wait_for(lambda d: d.type == "interview.withdrawn")
    assert held.webhook_id is not None
    event_id = held.webhook_id.removeprefix("msg_")
    for _ in range(200):
        if await store.delivery_outcome(event_id, channel="email") == "sent":
            break
        await asyncio.sleep(0.05)
    workers[0].kill()
    await workers[0].wait()

    workers.append(await spawn_worker())
    handle = dev_env.client.get_workflow_handle(
        session_workflow_id(body.session_id), result_type=SessionView
    )
    final = await asyncio.wait_for(handle.result(), timeout=90)

    assert final.status == "withdrawn"
    withdrawn = hris_inbox.by_type("interview.withdrawn")
    assert len(withdrawn) == 2, "the cut-off delivery and its retry"
    assert {d.webhook_id for d in withdrawn} == {held.webhook_id}
    assert {d.raw_body for d in withdrawn} == {held.raw_body}
    assert all(d.verified for d in withdrawn)
    emails = mailbox.matching(lambda m: m["X-Exitflow-Event"] == "interview.withdrawn")
    assert len(emails) == 1
    exits = select(func.count()).select_from(ExitRow).where(ExitRow.session_id == body.session_id)
    assert await _count(store, exits) == 1
    events = (
        select(func.count())
        .select_from(SessionEventRow)
        .where(SessionEventRow.session_id == body.session_id)
    )
    assert await _count(store, events) == 3, "started, withdrawn, downstream.cancelled"
    assert (await store.list_exits(session_id=body.session_id)).items[0].exit_id == receipt.exit_id
    cancelled = hris_inbox.by_type("downstream.cancelled")
    assert len({d.webhook_id for d in cancelled}) == 1, "retried, if at all, under one id"
    assert (await store.verify_audit_chain()).ok
