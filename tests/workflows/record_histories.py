"""Record the workflow histories that ``test_replay.py`` replays.

Run it when a deliberate, versioned change to the workflows (``workflow.patched``) is made:
it writes only the histories that are missing, so the old files stay next to the new ones
and both generations keep replaying. Name the generation after the patch to record the
existing scenarios again beside the old files (``<workflow id>@<generation>.json``):

    python -m tests.workflows.record_histories tests/workflows/histories clock-free

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
from contract.sessions import (
    CompleteInput,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from contract.stuck import RetryStuckSteps
from devstack.mailbox import Mailbox
from runtime.converter import data_converter
from runtime.worker import running_worker
from store import Store
from tests.fixtures.contest import TERMINATION, contest_input, decision, link_token
from tests.fixtures.database import recorded
from tests.fixtures.poison import cure, poison
from tests.fixtures.temporal import binary, register_search_attributes, session_body
from tests.fixtures.waiting import eventually
from workflows import search
from workflows.downstream import downstream_workflow_id
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

    # Recorded before contests existed; without a contest window it still closes at once.
    fault = await _start(client, task_queue, "fault-resume-terminate", contest_window_days=0)
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


async def _contest_scenarios(
    client: Client, task_queue: str, mailbox: Mailbox
) -> list[WorkflowHandle]:
    handles = []
    for outcome in ("upheld", "overturned"):
        handle = await _start(client, task_queue, f"terminate-contest-{outcome}")
        await _segments(handle)
        await handle.execute_update(InterviewSessionWorkflow.terminate, TERMINATION)
        token = await link_token(
            mailbox, handle.id.removeprefix("interview-session-"), "interview.terminated"
        )
        receipt = await handle.execute_update(
            InterviewSessionWorkflow.contest, contest_input(token)
        )
        await handle.execute_update(
            InterviewSessionWorkflow.decide_contest, decision(receipt.contest_id, outcome)
        )
        if outcome == "overturned":
            token = await link_token(mailbox, receipt.session_id, "termination.overturned")
            await handle.execute_update(
                InterviewSessionWorkflow.resume, ResumeInput(resume_token=token)
            )
            await handle.execute_update(InterviewSessionWorkflow.complete, CompleteInput())
        await handle.result()
        handles.append(handle)
    handles.append(await _overturned_then_expired(client, task_queue, mailbox))
    return handles


async def _overturned_then_expired(
    client: Client, task_queue: str, mailbox: Mailbox
) -> WorkflowHandle:
    """Overturned, its written test restored, then a 7 s resume window that runs out."""
    handle = await _start(client, task_queue, "overturned-expire", resume_window_hours=0.002)
    sid = handle.id.removeprefix("interview-session-")
    await handle.execute_update(InterviewSessionWorkflow.terminate, TERMINATION)
    token = await link_token(mailbox, sid, "interview.terminated")
    receipt = await handle.execute_update(InterviewSessionWorkflow.contest, contest_input(token))
    await handle.execute_update(
        InterviewSessionWorkflow.decide_contest, decision(receipt.contest_id, "overturned")
    )
    await handle.result()
    return handle


async def _clock_scenarios(
    env: WorkflowEnvironment, task_queue: str, store: Store
) -> list[WorkflowHandle]:
    abandoned = await _start(env.client, task_queue, "abandon-expire", heartbeat_timeout_seconds=60)
    await env.sleep(timedelta(seconds=61))
    await env.sleep(timedelta(hours=25))
    await abandoned.result()
    uncontested = await _start(env.client, task_queue, "terminate-contest-window-closes")
    await uncontested.execute_update(InterviewSessionWorkflow.terminate, TERMINATION)
    await env.sleep(timedelta(days=31))
    await uncontested.result()

    # A beat inside the heartbeat timeout re-arms the timer; silence then abandons.
    beating = await _start(
        env.client, task_queue, "heartbeat-abandon", heartbeat_timeout_seconds=60
    )
    await env.sleep(timedelta(seconds=30))
    await beating.signal(InterviewSessionWorkflow.heartbeat, HeartbeatInput())
    await env.sleep(timedelta(seconds=100))
    await beating.terminate("recorded")

    # Beats noted on the session's row by the API (patch heartbeat-last-seen): the timer
    # reads the row, re-arms, then silence abandons.
    noted = await _start(
        env.client, task_queue, "api-heartbeat-abandon", heartbeat_timeout_seconds=60
    )
    await recorded(store, "replay-api-heartbeat-abandon")
    for _ in range(2):
        await env.sleep(timedelta(seconds=40))
        await store.see_heartbeat("replay-api-heartbeat-abandon", at=await env.get_current_time())
    await env.sleep(timedelta(seconds=100))
    await noted.terminate("recorded")

    # A fault, the reminder two hours before the deadline, then the candidate is back.
    reminded = await _start(env.client, task_queue, "fault-remind-resume-complete")
    ack = await reminded.execute_update(
        InterviewSessionWorkflow.report_fault, FaultInput.model_validate({"cause": "device"})
    )
    await env.sleep(timedelta(hours=23))
    await reminded.execute_update(
        InterviewSessionWorkflow.resume, ResumeInput(resume_token=ack.resume_token)
    )
    await reminded.execute_update(InterviewSessionWorkflow.complete, CompleteInput())
    await reminded.result()
    return [abandoned, uncontested, beating, noted, reminded]


async def _stuck_scenarios(client: Client, task_queue: str, store: Store) -> list[WorkflowHandle]:
    """Steps that fail for good (``STUCK_STEPS``): a record retried, an email given up."""
    await poison(store, "replay-stuck-record-retry")
    record = await _start(client, task_queue, "stuck-record-retry", downstream_in=None)
    await record.execute_update(
        InterviewSessionWorkflow.withdraw, WithdrawInput(reason_code="other")
    )
    await _until_stuck(record, 2)
    await cure(store)
    await record.execute_update(InterviewSessionWorkflow.retry_stuck_steps, RetryStuckSteps())

    raw = session_body("replay-stuck-email-give-up", downstream_in=None).model_dump(mode="json")
    raw["candidate"]["email"] = "zebulón@example.com"
    email = await client.start_workflow(
        InterviewSessionWorkflow.run,
        StartSession.model_validate(raw),
        id=session_workflow_id("replay-stuck-email-give-up"),
        task_queue=task_queue,
    )
    await email.execute_update(
        InterviewSessionWorkflow.withdraw, WithdrawInput(reason_code="other")
    )
    await _until_stuck(email, 1)
    await email.execute_update(
        InterviewSessionWorkflow.retry_stuck_steps, RetryStuckSteps(give_up=True)
    )
    handles = [record, email]
    for handle in handles:
        await handle.result()
    return handles


async def _until_stuck(handle: WorkflowHandle, steps: int) -> None:
    query = InterviewSessionWorkflow.get_stuck_steps
    await eventually(lambda: handle.query(query), lambda stuck: len(stuck.steps) >= steps)


async def _save(handles: list[WorkflowHandle], out: Path, generation: str) -> None:
    for handle in handles:
        path = out / (f"{handle.id}@{generation}.json" if generation else f"{handle.id}.json")
        if path.exists():
            print(f"kept {path.name}: an older generation that must keep replaying")
            continue
        history = await handle.fetch_history()
        path.write_text(history.to_json())
        print(f"recorded {handle.id}: {len(history.events)} events")


async def main(out: Path, generation: str = "") -> None:
    """Run every scenario and write each missing history into ``out``.

    Args:
        out: The directory of histories.
        generation: Appended to each file's name (``<workflow id>@<generation>.json``).
    """
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
            await _save(await _live_scenarios(env.client, task_queue), out, generation)
            await _save(await _contest_scenarios(env.client, task_queue, mailbox), out, generation)
            store = Store.from_url(settings.database_url)
            try:
                stuck = await _stuck_scenarios(env.client, task_queue, store)
            finally:
                await store.dispose()
            await _save(stuck, out, generation)
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=binary("temporal-test-server"),
            data_converter=data_converter,
        ) as env:
            await register_search_attributes(env.client)
            store = Store.from_url(settings.database_url)
            try:
                async with running_worker(env.client, settings, task_queue=task_queue):
                    await _save(await _clock_scenarios(env, task_queue, store), out, generation)
            finally:
                await store.dispose()


if __name__ == "__main__":
    arguments = sys.argv[1:]
    directory = Path(arguments[0] if arguments else "tests/workflows/histories")
    asyncio.run(main(directory, arguments[1] if len(arguments) > 1 else ""))
