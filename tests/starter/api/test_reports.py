"""``/v1/reports/...`` and the dashboard, over the known month recorded in a real store."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from temporalio.client import Client

from config import Settings
from reports import REPORTS, ReportOptions, run_report
from reports.charts import MAX_BARS
from starter.api import create_app
from store import Store
from tests.reports.pathological import plant, slow_report
from tests.reports.world import MAY, record_world
from tests.starter.api.helpers import HR, KEYS, OPS, PLATFORM

_MAY = {"since": "2024-05-01T00:00:00Z", "until": "2024-06-01T00:00:00Z"}


@pytest.fixture
async def reports_app(store: Store) -> FastAPI:
    """The API over the known month; no route here talks to Temporal."""
    await record_world(store)
    return await _app_over(store)


async def _app_over(store: Store, **settings: Any) -> FastAPI:
    keys = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    configured = Settings(
        api_keys=SecretStr(keys), database_url="sqlite+aiosqlite:///unused.db", **settings
    )
    client = await Client.connect("127.0.0.1:1", lazy=True)
    return create_app(configured, client=client, store=store)


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


async def test_report_bounds_are_422_naming_the_field(http: httpx.AsyncClient) -> None:
    """Limits, the interviewer floor, the split time, the job and the window are bounded."""
    for path, params, field in [
        ("interviewers", {"min_sessions": "1000001"}, "min_sessions"),
        ("recruiting", {"change_at": "1990-01-01T00:00:00Z"}, "change_at"),
        ("tags", {"limit": "10001"}, "limit"),
        ("reengagement", {"limit": "0"}, "limit"),
        ("funnel", {"limit": "10001"}, "limit"),
        ("funnel", {"job_id": "j" * 129}, "job_id"),
        ("funnel", {"since": "2024-05-01", "until": "2024-05-01T00:00:00+00:00"}, "until"),
        ("dashboard", {"since": "0001-01-01T00:00:00+14:00"}, "since"),
    ]:
        response = await http.get(f"/v1/reports/{path}", params=params, headers=HR)

        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_field"
        assert [f["field"] for f in error["details"]["fields"]] == [field], path


@pytest.fixture
async def planted(store: Store) -> Store:
    """A store with one session of 20,000 stages and 5,000 ordinary sessions over 2,000 jobs."""
    await plant(store, sessions=5_000, stages=20_000)
    return store


class _HealthPoller(threading.Thread):
    """Asks for ``/healthz`` every 20 ms from a thread of its own, noting when it asked and
    how long the answer took (None: no 200 within 2 s)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stopping = threading.Event()
        self.polls: list[tuple[float, float | None]] = []

    def run(self) -> None:
        with httpx.Client(timeout=2.0) as client:
            while not self.stopping.is_set():
                asked = time.monotonic()
                try:
                    ok = client.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.polls.append((asked, time.monotonic() - asked if ok else None))
                self.stopping.wait(0.02)


async def test_healthz_answers_while_the_heaviest_reports_run(planted: Store) -> None:
    """finding 2: the dashboard and the funnel over a session of 20,000 stages used to hold
    the event loop in a quadratic loop, and /healthz waited as long; now it answers
    throughout, and the page draws a bounded chart."""
    app = await _app_over(planted)
    async with _serving(app) as host:
        poller = _HealthPoller(f"http://{host}/healthz")
        poller.start()
        async with httpx.AsyncClient(base_url=f"http://{host}", headers=HR, timeout=600) as api:
            started = time.monotonic()
            dashboard = await api.get("/v1/reports/dashboard")
            funnel = await api.get("/v1/reports/funnel", params={"limit": "10000"})
            ended = time.monotonic()
        poller.stopping.set()
        await asyncio.to_thread(poller.join)

    during = [took for asked, took in poller.polls if started <= asked <= ended]
    answered = [took for took in during if took is not None]
    assert len(during) >= 3, poller.polls
    assert len(answered) == len(during) and max(answered) < 2.0, during
    assert (dashboard.status_code, funnel.status_code) == (200, 200)
    assert (len(funnel.json()["stages"]), funnel.json()["truncated"]) == (10_000, True)
    assert f"{500 - MAX_BARS} more not drawn" in dashboard.text


async def test_a_report_past_its_time_limit_is_a_503_in_the_error_shape(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: past EXITFLOW_REPORT_TIMEOUT_SECONDS the database stops the report, and
    the API answers 503 report_timeout naming the report, not a 500 or a stall."""
    monkeypatch.setitem(REPORTS, "funnel", slow_report)
    app = await _app_over(store, report_timeout_seconds=0.2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        funnel = await client.get("/v1/reports/funnel", headers=HR)
        dashboard = await client.get("/v1/reports/dashboard", headers=HR)

    for response in (funnel, dashboard):
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "report_timeout"
        assert error["details"] == {"report": "funnel", "timeout_seconds": 0.2}
        assert "narrow the window" in error["message"]
