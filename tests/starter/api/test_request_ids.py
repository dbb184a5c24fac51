"""The API's X-Request-ID reaches the workflow's log lines for that message."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from tests.starter.api.helpers import PLATFORM, started


def _workflow_records(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "temporalio.workflow"
        and getattr(record, "request_id", None) == request_id
    ]


async def _logged(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    for _ in range(50):
        if records := _workflow_records(caplog, request_id):
            return records
        await asyncio.sleep(0.05)
    return []


async def test_an_update_logs_the_request_id(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The workflow's log line for a withdraw carries the caller's X-Request-ID."""
    caplog.set_level(logging.DEBUG, logger="temporalio.workflow")
    sid = (await started(api))["session_id"]

    response = await api.post(
        f"/v1/sessions/{sid}/withdraw",
        json={"reason_code": "lost_interest"},
        headers={**PLATFORM, "X-Request-ID": "req-withdraw-1"},
    )

    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-withdraw-1"
    records = await _logged(caplog, "req-withdraw-1")
    assert [record.getMessage().split(" (")[0] for record in records] == ["update withdraw"]
    assert records[0].__dict__["temporal_workflow"]["workflow_id"].endswith(sid)


async def test_a_signal_logs_its_own_request_id(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A heartbeat's workflow log line carries its own request id, not the start's."""
    caplog.set_level(logging.DEBUG, logger="temporalio.workflow")
    sid = (await started(api))["session_id"]

    await api.post(
        f"/v1/sessions/{sid}/heartbeat", headers={**PLATFORM, "X-Request-ID": "req-beat-1"}
    )

    records = await _logged(caplog, "req-beat-1")
    assert [record.getMessage().split(" (")[0] for record in records] == ["signal heartbeat"]
    assert not _workflow_records(caplog, "req-withdraw-1")
