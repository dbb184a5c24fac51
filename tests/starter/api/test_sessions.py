"""Every session route's success path, through HTTP, against the real dev server and worker."""

from __future__ import annotations

import httpx

from store import Store
from tests.starter.api.helpers import HR, OPS, PLATFORM, started

_VIDEO = {"stage": "self_intro", "segment_id": "seg-1", "kind": "video", "video_seconds": 95}
_QUIZ = {
    "stage": "skill_test",
    "segment_id": "seg-2",
    "kind": "assessment",
    "questions_answered": 10,
    "questions_correct": 7,
}


async def test_start_answers_201_with_the_workflow_id(api: httpx.AsyncClient) -> None:
    """A new session is started and named by its contract workflow id."""
    body = await started(api)

    view = await api.get(f"/v1/sessions/{body['session_id']}", headers=OPS)

    assert view.status_code == 200
    assert view.json()["status"] == "active"
    again = await api.post("/v1/sessions", json=body, headers=PLATFORM)
    assert again.status_code == 200
    assert again.json() == {
        "session_id": body["session_id"],
        "workflow_id": f"interview-session-{body['session_id']}",
        "status": "active",
    }


async def test_progress_saves_and_replaces_segments(api: httpx.AsyncClient) -> None:
    """Progress returns the session view; a repeated segment_id replaces the segment."""
    sid = (await started(api))["session_id"]

    await api.post(f"/v1/sessions/{sid}/progress", json=_VIDEO, headers=PLATFORM)
    replaced = await api.post(
        f"/v1/sessions/{sid}/progress", json={**_VIDEO, "video_seconds": 120}, headers=PLATFORM
    )

    assert replaced.status_code == 200
    segments = replaced.json()["completed_segments"]
    assert [(s["segment_id"], s["video_seconds"]) for s in segments] == [("seg-1", 120)]


async def test_heartbeat_answers_204(api: httpx.AsyncClient) -> None:
    """A heartbeat, with or without client details, is acknowledged with an empty 204."""
    sid = (await started(api))["session_id"]

    bare = await api.post(f"/v1/sessions/{sid}/heartbeat", headers=PLATFORM)
    detailed = await api.post(
        f"/v1/sessions/{sid}/heartbeat", json={"client": {"browser": "Chrome"}}, headers=PLATFORM
    )

    assert (bare.status_code, bare.content) == (204, b"")
    assert detailed.status_code == 204


async def test_exit_preview_speaks_the_candidates_language(api: httpx.AsyncClient) -> None:
    """The preview counts saved segments and says re-entry is impossible."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/progress", json=_VIDEO, headers=PLATFORM)

    preview = await api.get(f"/v1/sessions/{sid}/exit-preview", headers=PLATFORM)

    assert preview.status_code == 200
    data = preview.json()
    assert data["saved_segments"] == 1 and data["can_reenter"] is False
    assert data["confirmation"] and data["message"]


async def test_withdraw_returns_a_receipt_and_is_listed(api: httpx.AsyncClient) -> None:
    """A withdrawal answers with its receipt, shows in the view and in HR's exit list."""
    body = await started(api)
    sid = body["session_id"]

    receipt = await api.post(
        f"/v1/sessions/{sid}/withdraw",
        json={"reason_code": "lost_interest", "comment": "Not for me"},
        headers=PLATFORM,
    )

    assert receipt.status_code == 200
    assert receipt.json()["kind"] == "withdrawn" and receipt.json()["message"]
    view = (await api.get(f"/v1/sessions/{sid}", headers=HR)).json()
    assert view["status"] == "withdrawn"
    assert view["exit"]["exit_id"] == receipt.json()["exit_id"]
    exits = await api.get("/v1/exits", params={"job_id": body["job"]["id"]}, headers=HR)
    assert receipt.json()["exit_id"] in [item["exit_id"] for item in exits.json()["items"]]


async def test_fault_then_resume_keeps_every_segment(api: httpx.AsyncClient) -> None:
    """A fault answers 202 with a token; resuming with it restores every saved segment."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/progress", json=_VIDEO, headers=PLATFORM)
    await api.post(f"/v1/sessions/{sid}/progress", json=_QUIZ, headers=PLATFORM)

    fault = await api.post(
        f"/v1/sessions/{sid}/fault",
        json={"cause": "network", "detail": "ICE failed", "client": {"browser": "Chrome"}},
        headers=PLATFORM,
    )

    assert fault.status_code == 202
    ack = fault.json()
    assert ack["status"] == "suspended" and ack["resume_deadline"] and ack["resume_token"]
    resumed = await api.post(
        f"/v1/sessions/{sid}/resume", json={"resume_token": ack["resume_token"]}, headers=PLATFORM
    )
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "active"
    assert [s["segment_id"] for s in resumed.json()["completed_segments"]] == ["seg-1", "seg-2"]


async def test_complete_ends_the_session(api: httpx.AsyncClient) -> None:
    """Completing answers with the completed session view."""
    sid = (await started(api))["session_id"]

    completed = await api.post(f"/v1/sessions/{sid}/complete", json={}, headers=PLATFORM)

    assert completed.status_code == 200
    assert completed.json()["status"] == "completed"


async def test_hr_terminates_with_the_notice_as_sent(api: httpx.AsyncClient, store: Store) -> None:
    """HR's termination answers with the notice text that is kept in the record."""
    sid = (await started(api))["session_id"]
    explanation = "该职位已于今日招满，感谢您的理解与参与。我们会保留您的资料。"

    receipt = await api.post(
        f"/v1/sessions/{sid}/terminate",
        json={
            "reason_code": "position_filled",
            "explanation": explanation,
            "actor": {"id": "hr-3", "name": "王芳"},
        },
        headers=HR,
    )

    assert receipt.status_code == 200
    notice = receipt.json()["notice_text"]
    assert explanation in notice
    exits = await store.list_exits(session_id=sid)
    assert exits.items[0].notice_text == notice
