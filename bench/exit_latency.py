"""How long one exit takes: from the withdraw request to the receipt, the webhook and the email.

Runs everything for real on this machine — the Temporal dev server, one worker, SQLite, a local
SMTP server and a local HR inbox — and withdraws sessions one after another (no load), next
to the round trip of a bare update on the same server for scale:

    .venv/bin/python -m bench.exit_latency --sessions 50
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

from temporalio import workflow
from temporalio.worker import Worker

from bench._local import local_pipeline
from bench._stack import percentile
from contract.sessions import SegmentInput, WithdrawInput
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from runtime.worker import running_worker
from sessions.client import SessionClient
from tests.fixtures.temporal import session_body


@workflow.defn(sandboxed=False)
class BareWorkflow:
    """The baseline: one update, then done."""

    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update
    async def finish(self) -> str:
        self._done = True
        return "ok"


def _percentiles(samples: list[float]) -> str:
    p50, p99 = (percentile(samples, share) * 1000 for share in (0.5, 0.99))
    return f"p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"


async def _exit_once(
    sessions: SessionClient, mailbox: Mailbox, inbox: HrisInbox
) -> tuple[float, ...]:
    body = session_body(downstream_in=None)
    await sessions.start(body)
    for n, stage in enumerate(("self_intro", "skill_test", "scenario_simulation")):
        segment = SegmentInput(stage=stage, segment_id=f"seg-{n}", kind="video", video_seconds=60)
        await sessions.progress(body.session_id, segment)
    started = time.perf_counter()
    await sessions.withdraw(body.session_id, WithdrawInput(reason_code="other"))
    receipt = time.perf_counter() - started

    def mine(data: dict[str, object]) -> bool:
        return data.get("session_id") == body.session_id

    await inbox.wait_for(lambda d: d.type == "interview.withdrawn" and mine(d.data), timeout=30)
    webhook = time.perf_counter() - started
    await mailbox.wait_for(
        lambda m: m.matching(lambda e: e["X-Exitflow-Session"] == body.session_id), timeout=30
    )
    email = time.perf_counter() - started
    return receipt, webhook, email


async def main(count: int) -> None:
    """Withdraw ``count`` sessions one at a time and print the latency percentiles."""
    async with local_pipeline() as stack:
        env, inbox, mailbox, settings = stack.env, stack.inbox, stack.mailbox, stack.settings
        queue = f"bench-{uuid.uuid4()}"
        async with running_worker(env.client, settings, task_queue=queue):
            sessions = SessionClient(env.client, queue)
            await _exit_once(sessions, mailbox, inbox)  # warm-up
            runs = [await _exit_once(sessions, mailbox, inbox) for _ in range(count)]
        bare = []
        async with Worker(env.client, task_queue=queue + "-bare", workflows=[BareWorkflow]):
            for _ in range(count):
                handle = await env.client.start_workflow(
                    BareWorkflow.run, id=str(uuid.uuid4()), task_queue=queue + "-bare"
                )
                started = time.perf_counter()
                await handle.execute_update(BareWorkflow.finish)
                bare.append(time.perf_counter() - started)
    print(f"{count} withdrawals, one at a time, SQLite, Temporal dev server, one worker")
    print(f"  withdraw → receipt (record saved)  {_percentiles([r[0] for r in runs])}")
    print(f"  withdraw → signed webhook arrived  {_percentiles([r[1] for r in runs])}")
    print(f"  withdraw → email arrived           {_percentiles([r[2] for r in runs])}")
    print(f"  bare update round trip             {_percentiles(bare)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=50)
    asyncio.run(main(parser.parse_args().sessions))
