"""Issue 15: an HR person signs in to the dashboard in headless Chromium and sees their jobs.

The API is served over HTTP beside a real local OIDC provider; Playwright drives Debian's
Chromium through the whole flow: the dashboard sends the browser to the provider's sign-in
form, ``hr-one`` (job-a only) is picked there, the dashboard shows job-a's figures and none
of job-b's, and signing out ends the session. ``EXITFLOW_UPDATE_SCREENSHOTS=1`` also saves
the signed-in page to docs/dashboard-signed-in.png.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from config import Settings
from devstack.oidc_provider import LocalOidcProvider
from starter.api import create_app
from store import Store
from tests.fixtures.api import over_http
from tests.fixtures.oidc import CLIENT_ID
from tests.reports.world import record_world

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard-signed-in.png"


async def test_hr_one_signs_in_in_chromium_and_sees_only_job_a(
    store: Store, oidc_provider: LocalOidcProvider, database_url: str, tmp_path: Path
) -> None:
    """Dashboard → provider's form → pick hr-one → the dashboard with job-a's withdrawals and
    five sessions (of nine), no job-b; sign out → the next visit asks to sign in again."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package: chromium)")
    if not database_url.startswith("sqlite"):
        pytest.skip("one browser run is enough")
    from playwright.async_api import Route, async_playwright

    await record_world(store)
    settings = Settings(
        database_url="sqlite+aiosqlite:///unused.db",
        oidc_issuer=oidc_provider.issuer,
        oidc_audience=CLIENT_ID,
        oidc_client_secret=SecretStr(f"client-{uuid.uuid4().hex}"),
    )
    client = await Client.connect("127.0.0.1:1", lazy=True)  # no route here talks to Temporal
    app = create_app(settings, client=client, store=store)

    async def local_only(route: Route) -> None:
        # The provider's page links a stylesheet from a CDN; the test needs no network.
        if route.request.url.startswith("http://127.0.0.1:"):
            await route.continue_()
        else:
            await route.abort()

    async with over_http(app) as base_url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800})
            await context.route("**/*", local_only)
            page = await context.new_page()

            await page.goto(f"{base_url}/v1/reports/dashboard")
            assert page.url.startswith(f"{oidc_provider.issuer}/oauth2/authorize")
            await page.get_by_role("button", name="hr-one", exact=True).click()
            await page.get_by_text("Signed in as").wait_for(timeout=30_000)

            assert page.url == f"{base_url}/v1/reports/dashboard"
            assert await page.locator(".account b").inner_text() == "HR One"
            tiles = await page.locator(".tile").all_inner_texts()
            assert any(t.split() == ["5", "sessions", "started"] for t in tiles), tiles
            rows = await page.locator("table td:first-child").all_inner_texts()
            assert rows == ["job-a"]
            assert "job-b" not in await page.content()
            assert "your jobs" in await page.locator(".scope").inner_text()
            await page.screenshot(path=tmp_path / "dashboard-signed-in.png", full_page=True)

            await page.get_by_role("button", name="Sign out").click()
            await page.get_by_text("You are signed out").wait_for(timeout=30_000)
            assert [c for c in await context.cookies() if c["name"] == "exitflow_session"] == []
            await page.goto(f"{base_url}/v1/reports/dashboard")
            assert page.url.startswith(f"{oidc_provider.issuer}/oauth2/authorize")
        finally:
            await browser.close()

    if os.environ.get("EXITFLOW_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "dashboard-signed-in.png", SCREENSHOT)
