"""A fresh ``exitflow up``: its Web UI shows a session's payloads decoded, with no setup."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devstack.stack import EmbeddedPorts, dev_api_keys
from tests.devstack.test_up_lifecycle import Up, ports, start_up
from tests.devstack.test_web_ui_decoded import CANDIDATE, CHROMIUM
from workflows.session import session_workflow_id

__all__ = ["ports", "start_up"]  # the fixtures this module uses


async def test_a_fresh_up_shows_decoded_payloads_in_the_web_ui(
    ports: EmbeddedPorts, start_up: Callable[[], Up]
) -> None:
    """``exitflow up`` starts the codec server and points the dev server's UI at it: a
    session started through the API reads decoded in Chromium, and ``up`` still stops
    cleanly."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package: chromium)")
    from playwright.async_api import async_playwright

    up = start_up()
    up.wait_until_up()
    assert f"http://127.0.0.1:{ports.codec}" in up.output()
    platform = dev_api_keys(json.loads((up.var / "dev-secrets.json").read_text()))["platform"]
    session_id = f"s-{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient() as http:
        started = await http.post(
            f"http://127.0.0.1:{ports.api}/v1/sessions",
            headers={"Authorization": f"Bearer {platform}"},
            json={
                "session_id": session_id,
                "candidate": {
                    "id": "c-10",
                    "name": CANDIDATE,
                    "email": "c10@example.com",
                    "locale": "en",
                },
                "job": {"id": "job-sales-manager", "title": "Sales Manager"},
                "interviewer_id": "iv-7",
            },
            timeout=30,
        )
    assert started.status_code in (200, 201), started.text

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = await browser.new_page()
            await page.goto(
                f"http://127.0.0.1:{ports.ui}/namespaces/default/workflows/"
                f"{session_workflow_id(session_id)}"
            )
            await page.get_by_text(CANDIDATE).first.wait_for(timeout=60_000)
        finally:
            await browser.close()

    up.stop()
    assert up.process.returncode == 0, up.output()
