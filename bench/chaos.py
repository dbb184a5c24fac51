"""Chaos: a mixed workload of sessions while the worker, the HR system, SMTP and Temporal fail.

Every exit kind is exercised (withdrawn, system_fault, abandoned, terminated, expired, plus
completed and resumed) while the worker is SIGKILLed at random moments and restarted, the
HR inbox answers a share of deliveries with 503 or after the sender's timeout, the SMTP
server is down for a while, and the SQLite-backed Temporal dev server is restarted once.
Afterwards every session's final state, the exit records, the webhooks, the emails and the
audit chain are checked; any miss exits non-zero:

    .venv/bin/python -m bench.chaos --sessions 1000 --kills 20 --smtp-outage 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench._checks import SCENARIOS, Report, check, emails_pending, webhooks_pending
from bench._drive import FAULT, Platform, start_body
from bench._stack import Stack, WorkerPool, bench_directory, run_main, running_stack
from contract.sessions import FaultAck, SessionView
from workflows.session import session_workflow_id


@dataclass
class ChaosConfig:
    """How big the workload is and which faults are injected, and when."""

    sessions: int = 1000
    concurrency: int = 30
    kills: int = 20
    kill_every_seconds: tuple[float, float] = (3.0, 10.0)
    smtp_outage_at_seconds: float = 20.0
    smtp_outage_seconds: float = 60.0
    hris_error_share: float = 0.3
    hris_slow_share: float = 0.1
    hris_timeout_seconds: float = 2.0
    restart_server_at_seconds: float | None = 45.0
    resume_window_hours: float = 0.005
    settle_seconds: float = 900.0
    seed: int = 1


@dataclass
class ChaosResult:
    """The checks' report and what was injected."""

    report: Report
    injected: dict[str, float]
    elapsed_seconds: float


async def _life(platform: Platform, sid: str, scenario: str, window_hours: float) -> None:
    expiring = scenario in ("fault_expire", "abandon_expire")
    policy: dict[str, float] = {"reminder_before_deadline_hours": 0}
    if expiring:
        policy["resume_window_hours"] = window_hours
    if scenario == "abandon_expire":
        policy["heartbeat_timeout_seconds"] = 5
    await platform.start(start_body(sid, policy=policy))
    if scenario == "abandon_expire":
        return
    for n in range(3):
        await platform.progress(sid, n)
    if scenario.startswith("fault"):
        ack = await platform.command(sid, "report_fault", FAULT, FaultAck)
        if scenario == "fault_resume_complete":
            await platform.resume(sid, ack.resume_token)
    if scenario.endswith("withdraw"):
        await platform.withdraw(sid)
    elif scenario == "terminate":
        await platform.terminate(sid)
    elif scenario.endswith("complete"):
        await platform.complete(sid)


class _Injector:
    """Kills and restarts the worker, takes SMTP down, restarts Temporal, on a schedule."""

    def __init__(self, stack: Stack, workers: WorkerPool, config: ChaosConfig) -> None:
        self.stack = stack
        self.workers = workers
        self.config = config
        self.random = random.Random(config.seed)
        self.injected: dict[str, float] = {}

    async def kill_loop(self) -> None:
        low, high = self.config.kill_every_seconds
        while self.workers.kills < self.config.kills:
            await asyncio.sleep(self.random.uniform(low, high))
            await self.workers.kill()
            await asyncio.sleep(self.random.uniform(0.0, 1.0))
            await self.workers.start()
        self.injected["worker SIGKILLs"] = self.workers.kills

    async def supervise(self) -> None:
        """Restart a worker that died by itself (e.g. while Temporal was down)."""
        restarts = 0
        while True:
            await asyncio.sleep(1.0)
            if not self.workers.alive and not self.workers.expected_down:
                restarts += 1
                self.injected["worker exits restarted"] = restarts
                await self.workers.start()

    async def smtp_outage(self) -> None:
        await asyncio.sleep(self.config.smtp_outage_at_seconds)
        await asyncio.to_thread(self.stack.mail.stop)
        await asyncio.sleep(self.config.smtp_outage_seconds)
        await asyncio.to_thread(self.stack.mail.start)
        self.injected["SMTP outage s"] = self.config.smtp_outage_seconds

    async def server_restart(self) -> None:
        if self.config.restart_server_at_seconds is None:
            return
        await asyncio.sleep(self.config.restart_server_at_seconds)
        self.injected["Temporal restart downtime s"] = round(await self.stack.server.restart(), 1)


async def run_chaos(config: ChaosConfig, directory: Path) -> ChaosResult:
    """Run the workload under faults, wait until it settles, and check everything."""
    began = time.monotonic()
    async with running_stack(directory) as stack:
        stack.inbox.error_share = config.hris_error_share
        stack.inbox.slow_share = config.hris_slow_share
        stack.inbox.slow_seconds = config.hris_timeout_seconds + 1.5
        workers = stack.workers(EXITFLOW_HRIS_TIMEOUT_SECONDS=str(config.hris_timeout_seconds))
        await workers.start()
        injector = _Injector(stack, workers, config)
        supervisor = asyncio.create_task(injector.supervise())
        faults = [
            asyncio.create_task(injector.kill_loop()),
            asyncio.create_task(injector.smtp_outage()),
            asyncio.create_task(injector.server_restart()),
        ]
        plan: dict[str, str] = {}
        finals: dict[str, SessionView] = {}
        progress = asyncio.create_task(_progress(stack, workers, plan, finals))
        workload = asyncio.create_task(_workload(stack, config, plan, finals))
        try:
            # A fault injector that fails (say, Temporal does not come back) ends the run.
            await asyncio.wait([workload, *faults], return_when=asyncio.FIRST_EXCEPTION)
            for task in [workload, *faults]:
                if task.done():
                    task.result()
            await asyncio.gather(workload, *faults)
            await _settle(stack, plan, finals, config.settle_seconds)
            report = await check(stack, plan, finals)
            still = await stack.client.count_workflows(
                'WorkflowType="InterviewSessionWorkflow" AND ExecutionStatus="Running"'
            )
            report.counts["sessions ended, pipeline still retrying"] = still.count
            log = (directory / "worker.log").read_text(errors="replace")
            report.counts["workflow task failures in worker log"] = log.count(
                "Failed activation"
            ) + log.count("Workflow task failed")
            await _keep_histories(stack, report, directory)
        finally:
            for task in [workload, *faults, supervisor, progress]:
                task.cancel()
            await workers.stop()
        return ChaosResult(report, injector.injected, time.monotonic() - began)


async def _keep_histories(stack: Stack, report: Report, directory: Path) -> None:
    """Save the history of every session that missed its final state, for replay by hand."""
    missed = [miss.split(" ", 1)[0] for miss in report.misses.get("final state", [])]
    if not missed:
        return
    histories = directory / "histories"
    histories.mkdir(exist_ok=True)
    for sid in missed:
        handle = stack.client.get_workflow_handle(session_workflow_id(sid))
        with contextlib.suppress(Exception):
            history = await handle.fetch_history()
            (histories / f"{sid}.json").write_text(history.to_json())
    print(f"histories of missed sessions kept in {histories}", file=sys.stderr)


async def _workload(
    stack: Stack, config: ChaosConfig, plan: dict[str, str], finals: dict[str, SessionView]
) -> None:
    platform = Platform(stack.client, stack.task_queue)
    names = list(SCENARIOS)
    prefix = uuid.uuid4().hex[:6]
    plan.update({f"c-{prefix}-{n}": names[n % len(names)] for n in range(config.sessions)})
    gate = asyncio.Semaphore(config.concurrency)

    async def one(sid: str, scenario: str) -> None:
        async with gate:
            await _life(platform, sid, scenario, config.resume_window_hours)

    await asyncio.gather(*(one(sid, scenario) for sid, scenario in plan.items()))


async def _progress(
    stack: Stack, workers: WorkerPool, plan: dict[str, str], finals: dict[str, SessionView]
) -> None:
    began = time.monotonic()
    while True:
        await asyncio.sleep(15)
        print(
            f"[{time.monotonic() - began:5.0f} s] sessions ended {len(finals)}/{len(plan)}, "
            f"webhooks pending {webhooks_pending(stack, plan)}, "
            f"emails pending {emails_pending(stack, plan)}, kills {workers.kills}",
            file=sys.stderr,
            flush=True,
        )


async def _settle(
    stack: Stack, plan: dict[str, str], finals: dict[str, SessionView], seconds: float
) -> None:
    """After the workload, wait until every session has ended and every expected webhook
    and email arrived, or ``seconds`` passed; what has not settled by then is a miss.

    The time counts from the end of the workload, so a slow machine gets the same chance
    to settle as a fast one: the run checks what happened, not how fast.
    """
    platform = Platform(stack.client, stack.task_queue)
    gate = asyncio.Semaphore(20)

    async def look(sid: str) -> None:
        async with gate:
            with contextlib.suppress(TimeoutError):
                finals[sid] = await asyncio.wait_for(
                    platform.settled_view(sid, poll_seconds=60.0), 5.0
                )

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.gather(*(look(sid) for sid in plan if sid not in finals))
        if (
            len(finals) == len(plan)
            and webhooks_pending(stack, plan) == 0
            and emails_pending(stack, plan) == 0
        ):
            return
        await asyncio.sleep(2.0)


def print_result(result: ChaosResult) -> None:
    """The chaos summary: what was injected, what was counted, every check."""
    print(f"chaos run finished in {result.elapsed_seconds:.0f} s")
    for name, value in result.injected.items():
        print(f"  injected  {name:32} {value:g}")
    for name, value in result.report.counts.items():
        print(f"  counted   {name:32} {value}")
    checks = [
        "final state",
        "one exit record per exit",
        "every webhook received",
        "no unexpected webhook",
        "duplicates only with the same webhook-id",
        "webhooks signed",
        "one email per event",
        "audit chain",
    ]
    for name in checks:
        misses = result.report.misses.get(name, [])
        print(f"  {'ok  ' if not misses else 'MISS'}      {name} ({len(misses)} misses)")
        for miss in misses[:10]:
            print(f"              {miss}")


async def main(config: ChaosConfig) -> int:
    """Run, print, and return the exit status."""
    directory = Path(tempfile.mkdtemp(prefix="chaos-", dir=bench_directory()))
    result = await run_chaos(config, directory)
    print_result(result)
    if not result.report.ok:
        print(f"logs and databases kept in {directory}")
        return 1
    shutil.rmtree(directory)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--smtp-outage", type=float, default=60.0, help="seconds")
    parser.add_argument("--no-server-restart", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    chosen = ChaosConfig(
        sessions=args.sessions,
        concurrency=args.concurrency,
        kills=args.kills,
        smtp_outage_seconds=args.smtp_outage,
        restart_server_at_seconds=None if args.no_server_restart else 45.0,
        seed=args.seed,
    )
    sys.exit(run_main(main(chosen)))
