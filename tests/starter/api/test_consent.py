"""A start may carry the notice the candidate accepted: kept, shown, audited, compared."""

from __future__ import annotations

import asyncio
import json

import httpx

from store import Store
from tests.starter.api.helpers import HR, PLATFORM, start_body
from tests.store.helpers import fetch

CONSENT = {
    "notice_version": "ai-interview-2024-05",
    "accepted_at": "2024-05-10T08:58:00Z",
    "text_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}


async def _start_entry(store: Store, session_id: str) -> dict[str, object]:
    sql = "SELECT body FROM audit_log WHERE session_id = :sid AND type = 'interview.started'"
    for _ in range(100):  # the start is recorded by an activity, just after the answer
        if rows := await fetch(store, sql, sid=session_id):
            return dict(json.loads(rows[0]["body"]))
        await asyncio.sleep(0.1)
    raise AssertionError(f"{session_id}: interview.started was never recorded")


async def test_consent_is_shown_in_the_view_and_kept_in_the_audit(
    api: httpx.AsyncClient, store: Store
) -> None:
    """The view (live and stored) shows the consent; the start's audit entry states it."""
    body = {**start_body(), "consent": CONSENT}
    sid = body["session_id"]

    response = await api.post("/v1/sessions", json=body, headers=PLATFORM)

    assert response.status_code == 201, response.text
    view = await api.get(f"/v1/sessions/{sid}", headers=HR)
    assert view.json()["consent"] == CONSENT
    assert (await _start_entry(store, sid))["consent"] == CONSENT
    stored = await store.get_session(sid)
    assert stored is not None and stored.consent is not None
    assert stored.consent.model_dump(mode="json") == CONSENT
    assert (await store.verify_audit_chain()).ok


async def test_a_repeat_start_compares_the_consent_too(api: httpx.AsyncClient) -> None:
    """The same body again is 200; another consent, or none, under that id is 409."""
    body = {**start_body(), "consent": CONSENT}
    assert (await api.post("/v1/sessions", json=body, headers=PLATFORM)).status_code == 201

    same = await api.post("/v1/sessions", json=body, headers=PLATFORM)
    other = {**body, "consent": {**CONSENT, "notice_version": "ai-interview-2024-06"}}
    changed = await api.post("/v1/sessions", json=other, headers=PLATFORM)
    without = await api.post(
        "/v1/sessions", json={k: v for k, v in body.items() if k != "consent"}, headers=PLATFORM
    )

    assert same.status_code == 200
    for refused in (changed, without):
        assert refused.status_code == 409
        fields = refused.json()["error"]["details"]["fields"]
        assert [f["field"] for f in fields] == ["consent"]


async def test_a_start_without_consent_shows_none(api: httpx.AsyncClient, store: Store) -> None:
    """Existing clients send no consent: the view says null and the audit has no key."""
    body = start_body()
    sid = body["session_id"]
    assert (await api.post("/v1/sessions", json=body, headers=PLATFORM)).status_code == 201

    view = await api.get(f"/v1/sessions/{sid}", headers=HR)

    assert view.json()["consent"] is None
    assert "consent" not in await _start_entry(store, sid)


async def test_a_malformed_consent_is_refused_with_422(api: httpx.AsyncClient) -> None:
    """A naive acceptance time is refused and names the field; nothing is started."""
    body = {**start_body(), "consent": {**CONSENT, "accepted_at": "2024-05-10T08:58:00"}}

    response = await api.post("/v1/sessions", json=body, headers=PLATFORM)

    assert response.status_code == 422
    assert "consent" in json.dumps(response.json()["error"]["details"])
    missing = await api.get(f"/v1/sessions/{body['session_id']}", headers=HR)
    assert missing.status_code == 404
