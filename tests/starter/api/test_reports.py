"""``/v1/reports/...`` and the dashboard, over the known month recorded in a real store."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from config import Settings
from reports import ReportOptions, run_report
from starter.api import create_app
from store import Store
from tests.reports.world import MAY, record_world
from tests.starter.api.helpers import HR, KEYS, OPS, PLATFORM

_MAY = {"since": "2024-05-01T00:00:00Z", "until": "2024-06-01T00:00:00Z"}


@pytest.fixture
async def reports_app(store: Store) -> FastAPI:
    """The API over the known month; no route here talks to Temporal."""
    await record_world(store)
    keys = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    settings = Settings(api_keys=SecretStr(keys), database_url="sqlite+aiosqlite:///unused.db")
    client = await Client.connect("127.0.0.1:1", lazy=True)
    return create_app(settings, client=client, store=store)


@pytest.fixture
async def http(reports_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app."""
    transport = httpx.ASGITransport(app=reports_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        yield client


async def test_every_report_route_returns_what_the_report_computes(
    http: httpx.AsyncClient, store: Store
) -> None:
    """Each route's JSON is the report itself, for the same window."""
    options = {"interviewers": ReportOptions(min_sessions=20)}
    for name in ("funnel", "reasons", "faults", "resume", "interviewers", "tags", "reengagement"):
        response = await http.get(f"/v1/reports/{name}", params=_MAY, headers=HR)
        assert response.status_code == 200, (name, response.text)
        expected = await run_report(store.engine, name, MAY, options.get(name))
        assert response.json() == expected.model_dump(mode="json"), name


async def test_report_figures_arrive_exactly(http: httpx.AsyncClient) -> None:
    """The funnel flags skill_test; job-b's resume median is 30 minutes; c-2 has two tags."""
    funnel = (await http.get("/v1/reports/funnel", params=_MAY, headers=HR)).json()
    resume = await http.get("/v1/reports/resume", params={**_MAY, "job_id": "job-b"}, headers=HR)
    tags = await http.get("/v1/reports/tags", params={"candidate_id": "c-2"}, headers=HR)
    recruiting = await http.get(
        "/v1/reports/recruiting",
        params={**_MAY, "change_at": "2024-05-10T08:00:00Z"},
        headers=HR,
    )

    assert funnel["worst_stage"] == "skill_test"
    assert resume.json()["median_seconds_to_resume"] == 1800.0
    assert [t["tag"] for t in tags.json()["tags"]] == [
        "process_length_sensitive",
        "salary_expectation_above_range",
    ]
    job_a = recruiting.json()["jobs"][0]
    assert (job_a["job_id"], job_a["before"]["sessions"], job_a["after"]["sessions"]) == (
        "job-a",
        0,
        4,
    )


async def test_reports_are_for_hr_only(http: httpx.AsyncClient) -> None:
    """No key is 401, the platform and ops roles are 403, in the error shape."""
    missing = await http.get("/v1/reports/funnel")
    platform = await http.get("/v1/reports/faults", headers=PLATFORM)
    ops = await http.get("/v1/reports/dashboard", headers=OPS)

    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "unauthorized")
    assert (platform.status_code, platform.json()["error"]["code"]) == (403, "forbidden")
    assert (ops.status_code, ops.json()["error"]["code"]) == (403, "forbidden")


async def test_bad_report_parameters_are_422_naming_the_field(http: httpx.AsyncClient) -> None:
    """A reversed window, an unparsable time, or a recruiting split with nothing to split."""
    for path, params, field in [
        ("funnel", {"since": "2024-06-01", "until": "2024-05-01"}, "until"),
        ("faults", {"since": "last week"}, "since"),
        ("recruiting", {}, "change_at"),
        ("interviewers", {"min_sessions": "0"}, "min_sessions"),
    ]:
        response = await http.get(f"/v1/reports/{path}", params=params, headers=HR)
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_field"
        assert [f["field"] for f in error["details"]["fields"]] == [field]


async def test_dashboard_draws_the_charts_for_bearer_and_basic_hr(http: httpx.AsyncClient) -> None:
    """The page has the four charts; a browser without a key is asked for Basic credentials."""
    basic = base64.b64encode(f"hr:{KEYS['hr']}".encode()).decode()
    bearer = await http.get("/v1/reports/dashboard", params=_MAY, headers=HR)
    browser = await http.get(
        "/v1/reports/dashboard",
        params={"since": "2024-05-01"},
        headers={"Authorization": f"Basic {basic}"},
    )
    anonymous = await http.get("/v1/reports/dashboard")

    assert bearer.status_code == 200 and bearer.headers["content-type"].startswith("text/html")
    for chart in ("funnel", "interviewers", "withdrawal reasons", "fault causes"):
        assert f'aria-label="{chart}"' in bearer.text
    assert "<b>8</b><span>sessions started</span>" in bearer.text
    assert browser.status_code == 200
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def _serving(app: FastAPI) -> AsyncIterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
async def test_dashboard_renders_in_headless_chromium(
    reports_app: FastAPI, tmp_path: Path, database_url: str
) -> None:
    """A real browser signs in with Basic credentials and draws every chart as SVG."""
    if not database_url.startswith("sqlite"):
        pytest.skip("one browser run is enough")
    shot = tmp_path / "dashboard.png"
    async with _serving(reports_app) as host:
        url = f"http://hr:{KEYS['hr']}@{host}/v1/reports/dashboard?since=2024-05-01"
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        flags += ["--disable-background-networking", "--disable-component-update"]
        dom = await asyncio.to_thread(
            subprocess.run,
            ["chromium", *flags, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        await asyncio.to_thread(
            subprocess.run,
            ["chromium", *flags, f"--screenshot={shot}", "--window-size=1280,1600", url],
            capture_output=True,
            timeout=60,
        )

    assert dom.stdout.count("<svg") >= 4, dom.stderr[-2000:]
    assert "Exit analytics" in dom.stdout
    assert shot.stat().st_size > 10_000
