"""No log line carries a candidate's email, phone or name."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs
from temporalio.testing import ActivityEnvironment

from runtime.logs import MASK, configure_logging, mask_personal_data, mask_text
from tests.fixtures.temporal import session_body

EMAIL = "ann.lee@example.com"
PHONE = "+8613800000000"
NAME = "Ann Lee"


def test_personal_fields_are_masked_at_any_depth() -> None:
    """Fields named like personal data are replaced, also inside dicts, lists and models."""
    body = session_body()
    with capture_logs(processors=[mask_personal_data]) as logs:
        structlog.get_logger().info(
            "session started",
            email=EMAIL,
            candidate_phone=PHONE,
            candidate_name=NAME,
            candidate=body.candidate,
            recipients=[{"name": NAME, "to": EMAIL}],
            session_id=body.session_id,
        )

    [event] = logs
    assert event["email"] == event["candidate_phone"] == event["candidate_name"] == MASK
    assert event["candidate"]["name"] == event["candidate"]["email"] == MASK
    assert event["candidate"]["phone"] == MASK
    assert event["candidate"]["id"] == body.candidate.id
    assert event["recipients"] == [{"name": MASK, "to": MASK}]
    assert event["session_id"] == body.session_id
    assert NAME not in repr(event) and EMAIL not in repr(event) and PHONE not in repr(event)


def test_emails_and_phones_inside_any_text_are_masked() -> None:
    """An SMTP refusal quoting the address, or a message naming a number, is masked too."""
    with capture_logs(processors=[mask_personal_data]) as logs:
        structlog.get_logger().warning(
            f"sms to {PHONE} failed",
            detail=f"550 {EMAIL}: mailbox unavailable",
            note="call 138 0000 0000 or 555-123-4567",
        )

    [event] = logs
    assert event["event"] == f"sms to {MASK} failed"
    assert event["detail"] == f"550 {MASK}@example.com: mailbox unavailable"
    assert event["note"] == f"call {MASK} or {MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-12T09:00:00+00:00",
        "s-20240510-0042",
        "interview-session-s-20240510-0042",
        "550e8400-e29b-41d4-a716-446655440000",
        "127.0.0.1:7233",
        "took 1234567 ms",
        "HTTP 503",
    ],
)
def test_ids_times_and_addresses_stay_readable(text: str) -> None:
    """Masking does not eat what operators need: timestamps, session and event ids, hosts."""
    assert mask_text(text) == text


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put structlog and the root logger back as they were after the test."""
    config = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**config)
    root.handlers[:] = handlers
    root.setLevel(level)


def _lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


@pytest.mark.usefixtures("restored_logging")
def test_the_configured_chain_masks_structlog_and_stdlib_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through the real processors every process installs: our own lines, a library's
    record (like Temporal's activity logger) and a rendered exception are all masked."""
    configure_logging("INFO", json=True)
    structlog.get_logger("exitflow.test").info(
        "email.refused", email=EMAIL, detail=f"{EMAIL}: refused", candidate={"name": NAME}
    )
    logging.getLogger("temporalio.activity").warning("sending to %s (%s)", EMAIL, PHONE)
    try:
        raise ValueError(f"no mailbox {EMAIL}")
    except ValueError:
        structlog.get_logger("exitflow.test").exception("send failed")
    try:
        raise ValueError(f"no mailbox {EMAIL}")
    except ValueError:
        logging.getLogger("temporalio.worker").exception("activity failed")

    err = capsys.readouterr().err
    own, foreign, failed, foreign_failed = _lines(err)
    assert own["event"] == "email.refused" and own["email"] == MASK
    assert own["candidate"] == {"name": MASK}
    assert foreign["event"] == f"sending to {MASK}@example.com ({MASK})"
    assert foreign["logger"] == "temporalio.activity"
    assert "ValueError" in failed["exception"]
    assert "ValueError" in foreign_failed["exception"]
    for secret in (EMAIL, PHONE, NAME):
        assert secret not in err


def test_activity_log_lines_name_their_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    """A line logged inside an activity carries the workflow id, so a session can be traced."""
    configure_logging("INFO", json=True)

    def work() -> None:
        structlog.get_logger("test").info("inside")

    environment = ActivityEnvironment()
    environment.info = dataclasses.replace(
        environment.info, workflow_id="interview-session-s-1", activity_type="send_candidate_email"
    )
    environment.run(work)

    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["workflow_id"] == "interview-session-s-1"
    assert line["activity"] == "send_candidate_email"
