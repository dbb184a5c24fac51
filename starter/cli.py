"""The ``exitflow`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from pydantic import ValidationError

from config import get_settings
from contract.refusals import field_errors
from runtime.logs import configure_logging
from sessions.refusals import SessionRefused
from starter import (
    api_command,
    codec_command,
    contest_commands,
    db_commands,
    demo_command,
    key_commands,
    policy_commands,
    report_commands,
    retention_commands,
    session_commands,
    sign_in_command,
)
from starter.output import print_json


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the chosen command; exit non-zero on failure."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        sys.exit(2)
    configure_logging(get_settings().log_level)
    try:
        code = asyncio.run(args.run(args))
    except KeyboardInterrupt:
        code = 130
    except SessionRefused as err:
        print_json({"error": {"code": err.code, "message": err.message, "details": err.details}})
        code = 1
    except ValidationError as err:
        print_json({"error": {"code": "invalid_field", "details": field_errors(err)}})
        code = 1
    _exit(code or 0)


def _exit(code: int) -> None:
    # Every resource is closed by now. Interpreter teardown is skipped on purpose: the Temporal
    # client's Rust threads can outlive it and abort the process ("PyGILState_Release ...
    # finalizing", temporalio/sdk-python#300), turning a success into exit status 134.
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="exitflow", description="Durable orchestration of how AI video interviews end."
    )
    commands = parser.add_subparsers(title="commands")

    up = commands.add_parser("up", help="run the whole embedded stack on this machine")
    up.add_argument("--temporal-port", type=int, default=7233)
    up.add_argument("--ui-port", type=int, default=8233)
    up.add_argument("--smtp-port", type=int, default=8025)
    up.add_argument("--inbox-port", type=int, default=8026)
    up.add_argument("--api-port", type=int, default=8000)
    up.add_argument("--codec-port", type=int, default=8081)
    up.add_argument("--oidc-port", type=int, default=8082)
    up.set_defaults(run=_up)

    worker = commands.add_parser("worker", help="run one worker, configured from the environment")
    worker.set_defaults(run=_worker)

    audit = commands.add_parser("audit", help="the hash-chained audit log")
    audit_commands = audit.add_subparsers(title="audit commands")
    verify = audit_commands.add_parser("verify", help="check the whole chain; 0 when it holds")
    verify.set_defaults(run=_audit_verify)
    export = audit_commands.add_parser(
        "export",
        help='print the chain\'s entries as JSON lines, personal text shown or "erased"',
    )
    export.add_argument("--candidate-id", help="only this candidate's entries")
    export.add_argument("--session-id", help="only this session's entries")
    export.set_defaults(run=_audit_export)

    session_commands.add_to(commands)
    api_command.add_to(commands)
    report_commands.add_to(commands)
    demo_command.add_to(commands)
    codec_command.add_to(commands)
    db_commands.add_to(commands)
    contest_commands.add_to(commands)
    retention_commands.add_to(commands)
    key_commands.add_to(commands)
    policy_commands.add_to(commands)
    sign_in_command.add_to(commands)
    return parser


async def _up(args: argparse.Namespace) -> int:
    from devstack.stack import EmbeddedPorts
    from starter.up_command import run_embedded_stack

    ports = EmbeddedPorts(
        temporal=args.temporal_port,
        ui=args.ui_port,
        smtp=args.smtp_port,
        inbox=args.inbox_port,
        api=args.api_port,
        codec=args.codec_port,
        oidc=args.oidc_port,
    )
    await run_embedded_stack(ports)
    return 0


async def _worker(args: argparse.Namespace) -> int:
    from runtime.worker import run_worker

    await run_worker()
    return 0


async def _audit_verify(args: argparse.Namespace) -> int:
    from store import Store

    store = Store.from_url(get_settings().database_url)
    try:
        result = await store.verify_audit_chain()
    finally:
        await store.dispose()
    print_json(result)
    return 0 if result.ok else 1


async def _audit_export(args: argparse.Namespace) -> int:
    from contract.sessions import ContractInput, Identifier
    from store import Store

    class _Filter(ContractInput):
        candidate_id: Identifier | None = None
        session_id: Identifier | None = None

    where = _Filter(candidate_id=args.candidate_id, session_id=args.session_id)
    store = Store.from_url(get_settings().database_url)
    try:
        after: int | None = 0
        while after is not None:
            page = await store.audit_entries(**where.model_dump(), after=after, limit=1000)
            for entry in page.items:
                print(entry.model_dump_json())
            after = page.next_after
    finally:
        await store.dispose()
    return 0
