"""Operations read sessions decoded: the real ``temporal`` CLI with ``--codec-endpoint`` and
``--codec-auth``, and the real Temporal Web UI in headless Chromium, against a dev server
pointed at exitflow's codec server, as ``exitflow up`` runs them.

``EXITFLOW_UPDATE_SCREENSHOTS=1`` also saves the Web UI's page to docs/web-ui-decoded.png,
the screenshot the README shows.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from tests.devstack.conftest import DecodingStack
from tests.fixtures.temporal import binary, session_body
from workflows.session import session_workflow_id

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "web-ui-decoded.png"
CANDIDATE = "Zephyrine Quillfeather"
"""A name found nowhere but in this test's session."""


async def _start_session(stack: DecodingStack) -> str:
    body = session_body()
    body = body.model_copy(
        update={"candidate": body.candidate.model_copy(update={"name": CANDIDATE})}
    )
    await stack.sessions.start(body)
    return body.session_id


async def test_temporal_workflow_show_decodes_with_the_ops_key(
    decoding_stack: DecodingStack,
) -> None:
    """The README's ``temporal workflow show --codec-endpoint ... --codec-auth "Bearer
    $OPS_KEY"`` shows the candidate's name, and the decode is audited for the ops key."""
    session_id = await _start_session(decoding_stack)

    show = await asyncio.create_subprocess_exec(
        binary("temporal"),
        "workflow",
        "show",
        "--workflow-id",
        session_workflow_id(session_id),
        "--address",
        decoding_stack.address,
        "--output",
        "json",
        "--codec-endpoint",
        decoding_stack.codec_url,
        "--codec-auth",
        f"Bearer {decoding_stack.ops_key}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(show.communicate(), 60)

    assert show.returncode == 0, output.decode()
    [started] = [e for e in json.loads(output)["events"] if e["eventId"] == "1"]
    [payload] = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"]
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"
    assert json.loads(base64.b64decode(payload["data"]))["candidate"]["name"] == CANDIDATE
    entries = (await decoding_stack.store.audit_entries(session_id=session_id)).items
    readers = [e.facts["reader"] for e in entries if e.type == "payloads.decoded"]
    assert {"kind": "key", "role": "ops", "subject": "ops"} in readers


async def test_the_web_ui_shows_a_session_decoded(
    decoding_stack: DecodingStack, tmp_path: Path
) -> None:
    """Headless Chromium opens the session's page in the Web UI and finds the candidate's
    name, which Temporal holds only encrypted; the decode is audited as the dev Web UI."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package: chromium)")
    from playwright.async_api import async_playwright

    session_id = await _start_session(decoding_stack)
    page_url = (
        f"{decoding_stack.ui_url}/namespaces/default/workflows/{session_workflow_id(session_id)}"
    )

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 1000})
            await page.goto(page_url)
            name = page.get_by_text(CANDIDATE).first
            await name.wait_for(timeout=60_000)
            await name.scroll_into_view_if_needed()
            await page.screenshot(path=tmp_path / "web-ui-decoded.png")
        finally:
            await browser.close()

    if os.environ.get("EXITFLOW_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "web-ui-decoded.png", SCREENSHOT)
    entries = (await decoding_stack.store.audit_entries(session_id=session_id)).items
    readers = [e.facts["reader"] for e in entries if e.type == "payloads.decoded"]
    assert readers and {reader["kind"] for reader in readers} == {"dev-web-ui"}


def test_a_unique_name_is_what_the_tests_look_for() -> None:
    """Guard: the name the tests find must not appear in the fixtures by chance."""
    assert CANDIDATE not in session_body(f"s-{uuid.uuid4().hex[:8]}").model_dump_json()
