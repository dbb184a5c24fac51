"""The baselines: a bare session and one that carries an exitflow session's messages.

``BareSessionWorkflow`` waits for one signal (or update), then runs one no-op activity: the
issue's baseline. ``MessageFloorWorkflow`` takes what the platform sends an exitflow session
(start, three ``progress`` updates, one exit update that runs one no-op activity) and does
nothing else: the floor any implementation of the contract's messages stands on.

Run as its own worker process, beside exitflow's, with the default (sandboxed) runner:

    .venv/bin/python -m bench._bare --address 127.0.0.1:7233 --task-queue bench-bare
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

_TIMEOUT = timedelta(seconds=30)


@activity.defn
async def bare_noop() -> None:
    """Does nothing: the cost of one activity round trip."""


@workflow.defn
class BareSessionWorkflow:
    """Waits for ``finish`` (signal) or ``finish_now`` (update), then runs one no-op activity."""

    def __init__(self) -> None:
        self._done = False
        self._ran = False

    @workflow.run
    async def run(self) -> None:
        """Wait, then the one activity (unless the update already ran it)."""
        await workflow.wait_condition(lambda: self._done)
        if not self._ran:
            await workflow.execute_activity(bare_noop, start_to_close_timeout=_TIMEOUT)
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.signal
    def finish(self) -> None:
        """End the session."""
        self._done = True

    @workflow.update
    async def finish_now(self) -> str:
        """End the session, answering once the activity ran (like a receipt)."""
        await workflow.execute_activity(bare_noop, start_to_close_timeout=_TIMEOUT)
        self._ran = self._done = True
        return "ok"


@workflow.defn
class MessageFloorWorkflow:
    """An exitflow session's messages with no pipeline: three updates, then an exit update."""

    def __init__(self) -> None:
        self._saved = 0
        self._ended = False

    @workflow.run
    async def run(self, session_id: str) -> int:
        """Wait for the exit; the number of saved answers."""
        await workflow.wait_condition(lambda: self._ended)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._saved

    @workflow.update
    def progress(self, segment_id: str) -> int:
        """Save one answer (in memory)."""
        self._saved += 1
        return self._saved

    @workflow.update
    async def end(self, reason: str) -> str:
        """End the session once one no-op activity (the record's stand-in) has run."""
        await workflow.execute_activity(bare_noop, start_to_close_timeout=_TIMEOUT)
        self._ended = True
        return reason


async def _serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[BareSessionWorkflow, MessageFloorWorkflow],
        activities=[bare_noop],
    ):
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.address, args.task_queue))
