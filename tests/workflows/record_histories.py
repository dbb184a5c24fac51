"""Record the workflow histories that ``test_replay.py`` replays.

Run it when a deliberate, versioned change to the workflows (``workflow.patched``) is made,
and keep the old files next to the new ones so both generations keep replaying:

    python -m tests.workflows.record_histories tests/workflows/histories

Each scenario runs for real: a Temporal server, a worker, SQLite and a local SMTP server.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.mailbox import Mailbox
from tests.fixtures.temporal import binary, register_search_attributes, session_body
from worker import running_worker
from workflows import search
from workflows.converter import data_converter
from workflows.downstream import downstream_workflow_id
from workflows.models import (
    CompleteInput,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    TerminateInput,
    WithdrawInput,
)
from workflows.session import InterviewSessionWorkflow, session_workflow_id


async def _start(client: Client, task_queue: str, name: str, **policy: Any) -> WorkflowHandle:
    body = session_body(f"replay-{name}", **policy)
    return await client.start_workflow(
        InterviewSessionWorkflow.run,
        body,
        id=session_workflow_id(body.session_id),
        task_queue=task_queue,
    )


async def _segments(handle: WorkflowHandle) -> None:
    for stage, segment_id in (("self_intro", "seg-1"), ("skill_test", "seg-2")):
        segment = SegmentInput(stage=stage, segment_id=segment_id, kind="video", video_seconds=60)
        await handle.execute_update(InterviewSessionWorkflow.progress, segment)


async def _live_scenarios(client: Client, task_queue: str) -> list[WorkflowHandle]:
    withdraw = await _start(client, task_queue, "withdraw")
    await _segments(withdraw)
    await withdraw.signal(InterviewSessionWorkflow.heartbeat, HeartbeatInput())
    await withdraw.execute_update(
        InterviewSessionWorkflow.withdraw, WithdrawInput(reason_code="salary_expectation")
    )

    fault = await _start(client, task_queue, "fault-resume-terminate")
    await _segments(fault)
    ack = await fault.execute_update(
        InterviewSessionWorkflow.report_fault, FaultInput.model_validate({"cause": "network"})
    )
    await fault.execute_update(
        InterviewSessionWorkflow.resume, ResumeInput(resume_token=ack.resume_token)
    )
    await fault.execute_update(
        InterviewSessionWorkflow.terminate,
        TerminateInput.model_validate(
            {
                "reason_code": "answer_misconduct",
                "explanation": "A second person answered the skill test questions.",
                "actor": {"id": "hr-1", "name": "Kim"},
            }
        ),
    )

    complete = await _start(client, task_queue, "complete")
    await _segments(complete)
    await complete.execute_update(InterviewSessionWorkflow.complete, CompleteInput())
    handles = [withdraw, fault, complete]
    for handle in handles:
        await handle.result()
    await client.get_workflow_handle(downstream_workflow_id("replay-complete", "wt-1")).terminate(
        "recorded"
    )
    return handles


async def _clock_scenarios(env: WorkflowEnvironment, task_queue: str) -> list[WorkflowHandle]:
    abandoned = await _start(env.client, task_queue, "abandon-expire", heartbeat_timeout_seconds=60)
    await env.sleep(timedelta(seconds=61))
    await env.sleep(timedelta(hours=25))
    await abandoned.result()
    return [abandoned]


async def _save(handles: list[WorkflowHandle], out: Path) -> None:
    for handle in handles:
        history = await handle.fetch_history()
        (out / f"{handle.id}.json").write_text(history.to_json())
        print(f"recorded {handle.id}: {len(history.events)} events")


async def main(out: Path) -> None:
    """Run every scenario and write one JSON history per session into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, Mailbox(Path(tmp) / "mail") as mailbox:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/exitflow.db",
            smtp_host=mailbox.hostname,
            smtp_port=mailbox.port,
        )
        task_queue = f"record-{uuid.uuid4()}"
        async with (
            await WorkflowEnvironment.start_local(
                dev_server_existing_path=binary("temporal"),
                data_converter=data_converter,
                search_attributes=list(search.ALL_KEYS),
            ) as env,
            running_worker(env.client, settings, task_queue=task_queue),
        ):
            await _save(await _live_scenarios(env.client, task_queue), out)
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=binary("temporal-test-server"),
            data_converter=data_converter,
        ) as env:
            await register_search_attributes(env.client)
            async with running_worker(env.client, settings, task_queue=task_queue):
                await _save(await _clock_scenarios(env, task_queue), out)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/workflows/histories")))
