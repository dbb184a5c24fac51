"""``exitflow session ...``: drive one session by hand with every message of the contract."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contract.sessions import (
    ClientInfo,
    FaultInput,
    HeartbeatInput,
    ResumeInput,
    SegmentInput,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from sessions.client import SessionClient, read_session_view
from sessions.link_tokens import LinkTokens
from starter import stuck_commands
from starter.local_stack import cli_settings, with_store
from starter.output import run_and_print
from store import Store


def add_to(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``session`` and its subcommands to the ``exitflow`` parser."""
    session = commands.add_parser("session", help="start a session and send it messages")
    sub = session.add_subparsers(title="session commands")

    start = sub.add_parser("start", help="start a session (a demo candidate unless --file)")
    start.add_argument("--file", type=Path, help="a POST /v1/sessions JSON body")
    start.add_argument("--session-id", default=None)
    start.add_argument("--locale", choices=["zh-CN", "en"], default="zh-CN")
    start.add_argument("--email", default="lilei@example.com")
    start.add_argument("--job-id", default="job-sales-manager")
    start.add_argument("--interviewer-id", default="iv-7")
    start.add_argument("--heartbeat-timeout-seconds", type=float, default=3600)
    start.add_argument("--resume-window-hours", type=float, default=24)
    start.set_defaults(run=_start)

    progress = _with_id(sub, "progress", "save a segment")
    progress.add_argument("--stage", required=True)
    progress.add_argument("--segment-id", required=True)
    progress.add_argument("--kind", choices=["video", "assessment"], default="video")
    progress.add_argument("--video-seconds", type=float)
    progress.add_argument("--questions-answered", type=int)
    progress.add_argument("--questions-correct", type=int)
    progress.add_argument("--artifact-uri")
    progress.set_defaults(run=_progress)

    _with_id(sub, "heartbeat", "the page is alive").set_defaults(run=_heartbeat)

    fault = _with_id(sub, "fault", "report a fault (suspends the session)")
    fault.add_argument("--cause", required=True)
    fault.add_argument("--detail")
    fault.add_argument("--browser")
    fault.add_argument("--browser-version")
    fault.add_argument("--os")
    fault.add_argument("--device")
    fault.add_argument("--ip")
    fault.add_argument("--latency-ms", type=float)
    fault.set_defaults(run=_fault)

    resume = _with_id(sub, "resume", "resume a suspended session")
    resume.add_argument("--token", required=True)
    resume.set_defaults(run=_resume)

    withdraw = _with_id(sub, "withdraw", "the candidate quits")
    withdraw.add_argument("--reason", required=True)
    withdraw.add_argument("--comment")
    withdraw.set_defaults(run=_withdraw)

    terminate = _with_id(sub, "terminate", "the employer stops the interview")
    terminate.add_argument("--reason", required=True)
    terminate.add_argument("--explanation", required=True)
    terminate.add_argument("--actor-id", required=True)
    terminate.add_argument("--actor-name", required=True)
    terminate.set_defaults(run=_terminate)

    _with_id(sub, "complete", "the interview finished").set_defaults(run=_complete)
    _with_id(sub, "status", "print the session view").set_defaults(run=_status)
    _with_id(sub, "preview", "what quitting now would mean").set_defaults(run=_preview)
    stuck_commands.add_to(sub)


def _with_id(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument("session_id")
    return parser


async def _sessions() -> SessionClient:
    from runtime.worker import connect

    settings = cli_settings()
    return SessionClient(await connect(settings), settings.task_queue)


def _link_tokens(sessions: SessionClient) -> LinkTokens:
    return LinkTokens.for_settings(sessions, cli_settings())


def _in_two_days() -> datetime:
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return today + timedelta(days=2)


def demo_session(args: argparse.Namespace) -> dict[str, Any]:
    """A realistic session body for trying exitflow by hand."""
    zh = args.locale == "zh-CN"
    return {
        "session_id": args.session_id or f"s-{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:6]}",
        "candidate": {
            "id": "c-9",
            "name": "李雷" if zh else "Lei Li",
            "email": args.email,
            "phone": "+8613800000000",
            "locale": args.locale,
        },
        "job": {"id": args.job_id, "title": "销售经理" if zh else "Sales Manager"},
        "interviewer_id": args.interviewer_id,
        "downstream": [
            {
                "step_id": "wt-1",
                "kind": "written_test",
                # Whole days, so that running the same command again the same day sends
                # the same body and finds the session instead of being refused.
                "scheduled_at": _in_two_days().isoformat(),
            }
        ],
        "policy": {
            "resume_window_hours": args.resume_window_hours,
            "heartbeat_timeout_seconds": args.heartbeat_timeout_seconds,
            "channels": ["email", "sms"],
        },
    }


async def _start(args: argparse.Namespace) -> int:
    raw = json.loads(args.file.read_text()) if args.file else demo_session(args)
    body = StartSession.model_validate(raw)
    sessions = await _sessions()

    async def start(store: Store) -> int:
        # Under its job's current exit policy, as the API starts it.
        return await run_and_print(lambda: sessions.start(body, policies=store.policies))

    return await with_store(start)


async def _progress(args: argparse.Namespace) -> int:
    segment = SegmentInput(
        stage=args.stage,
        segment_id=args.segment_id,
        kind=args.kind,
        video_seconds=args.video_seconds,
        questions_answered=args.questions_answered,
        questions_correct=args.questions_correct,
        artifact_uri=args.artifact_uri,
    )
    return await _send(lambda s: s.progress(args.session_id, segment))


async def _heartbeat(args: argparse.Namespace) -> int:
    return await _send(lambda s: s.heartbeat(args.session_id, HeartbeatInput()))


async def _fault(args: argparse.Namespace) -> int:
    client = ClientInfo(
        ip=args.ip,
        browser=args.browser,
        browser_version=args.browser_version,
        os=args.os,
        device=args.device,
        network_latency_ms=args.latency_ms,
    )
    fault = FaultInput.model_validate(
        {"cause": args.cause, "detail": args.detail, "client": client}
    )
    # The token printed is the one the fault email links to and the API accepts.
    return await _send(lambda s: _link_tokens(s).report_fault(args.session_id, fault))


async def _resume(args: argparse.Namespace) -> int:
    request = ResumeInput(resume_token=args.token)
    now = datetime.now(UTC)
    return await _send(lambda s: _link_tokens(s).resume(args.session_id, request, now=now))


async def _withdraw(args: argparse.Namespace) -> int:
    request = WithdrawInput.model_validate({"reason_code": args.reason, "comment": args.comment})
    return await _send(lambda s: s.withdraw(args.session_id, request))


async def _terminate(args: argparse.Namespace) -> int:
    request = TerminateInput.model_validate(
        {
            "reason_code": args.reason,
            "explanation": args.explanation,
            "actor": {"id": args.actor_id, "name": args.actor_name},
        }
    )
    return await _send(lambda s: s.terminate(args.session_id, request))


async def _complete(args: argparse.Namespace) -> int:
    return await _send(lambda s: s.complete(args.session_id))


async def _status(args: argparse.Namespace) -> int:
    # As GET /v1/sessions/{id} reads it: an erased candidate's session from the scrubbed
    # store, never from Temporal's history.
    store = Store.from_url(cli_settings().database_url)
    try:
        return await _send(lambda s: read_session_view(s, store, args.session_id))
    finally:
        await store.dispose()


async def _preview(args: argparse.Namespace) -> int:
    return await _send(lambda s: s.exit_preview(args.session_id))


async def _send(call: Any) -> int:
    sessions = await _sessions()
    return await run_and_print(lambda: call(sessions))
