"""Litigation holds and erasure through the API, end to end on the real stack."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from devstack.hris_inbox import HrisInbox
from store import Store
from tests.starter.api.helpers import HR, OPS, PLATFORM, auth, started
from tests.store.data_rights import every_report
from tests.store.helpers import fetch

ACTOR = {"id": "hr-3", "name": "Dana Whitfield"}
ANN = ("Ann Lee", "ann.lee@example.com", "+8613800000000")


async def _completed(api: httpx.AsyncClient, request_id: str) -> dict[str, Any]:
    for _ in range(200):
        view = (await api.get(f"/v1/erasures/{request_id}", headers=HR)).json()
        if view["status"] != "pending" and view["webhook"] in ("sent", "failed", "skipped"):
            return view  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"erasure {request_id} still {view}")


async def _withdrawn(api: httpx.AsyncClient, hris_inbox: HrisInbox) -> tuple[str, str]:
    body = await started(api)
    sid, cid = body["session_id"], body["candidate"]["id"]
    comment = {"reason_code": "other", "comment": "Ann Lee here: call me on +8613800000000."}
    response = await api.post(f"/v1/sessions/{sid}/withdraw", json=comment, headers=PLATFORM)
    assert response.status_code == 200, response.text
    await hris_inbox.wait_for(
        lambda d: d.type == "interview.withdrawn" and d.data["session_id"] == sid
    )
    return sid, cid


async def test_erasure_scrubs_the_store_tells_the_hr_system_and_keeps_the_reports(
    api: httpx.AsyncClient, store: Store, hris_inbox: HrisInbox
) -> None:
    """Refused under hold; once lifted, erased, signed webhook sent, reports and audit intact."""
    sid, cid = await _withdrawn(api, hris_inbox)
    before = await every_report(store)
    hold = {"reason": "Tribunal claim ET/2024/017", "actor": ACTOR}

    put = await api.put(f"/v1/candidates/{cid}/hold", json=hold, headers=HR)
    refused = await api.post(f"/v1/candidates/{cid}/erasure", json={"actor": ACTOR}, headers=HR)
    lifted = await api.post(f"/v1/candidates/{cid}/hold/lift", json={"actor": ACTOR}, headers=HR)
    accepted = await api.post(
        f"/v1/candidates/{cid}/erasure", json={"actor": ACTOR, "reason": "ticket 4411"}, headers=HR
    )

    assert (put.status_code, refused.status_code, lifted.status_code) == (201, 409, 200)
    assert refused.json()["error"]["code"] == "candidate_on_hold"
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["workflow_id"] == f"candidate-erasure-{cid}"
    view = await _completed(api, accepted.json()["request_id"])
    assert (view["status"], view["webhook"]) == ("completed", "sent")
    assert view["counts"]["sessions"] == 1 and view["counts"]["exits"] == 1

    delivery = await hris_inbox.wait_for(lambda d: d.type == "candidate.erased")
    assert delivery.verified
    assert delivery.webhook_id == f"msg_erasure-{view['request_id']}"
    assert delivery.data["candidate_id"] == cid and delivery.data["session_ids"] == [sid]
    stored = json.dumps(
        [
            await fetch(store, f"SELECT * FROM {table} WHERE session_id = :s", s=sid)
            for table in (
                "sessions",
                "exits",
                "segments",
                "session_events",
                "audit_log",
                "audit_personal",
            )
        ],
        default=str,
    )
    assert not any(personal in stored for personal in ANN)
    read = await api.get(f"/v1/sessions/{sid}", headers=HR)
    assert read.status_code == 200 and read.json()["status"] == "withdrawn"
    assert not any(personal in read.text for personal in ANN), read.text
    assert await every_report(store) == before
    verify = await api.get("/v1/audit/verify", headers=OPS)
    assert verify.json()["ok"] is True
    types = [row["type"] for row in await fetch(store, "SELECT type FROM audit_log ORDER BY id")]
    assert types[-3:] == ["hold.set", "hold.lifted", "candidate.erased"]


async def test_a_later_erasure_request_runs_again_under_the_same_workflow_id(
    api: httpx.AsyncClient, hris_inbox: HrisInbox
) -> None:
    """A pending request is returned again; after it completes, a new one is accepted."""
    _, cid = await _withdrawn(api, hris_inbox)
    body = {"actor": ACTOR}

    first = (await api.post(f"/v1/candidates/{cid}/erasure", json=body, headers=HR)).json()
    repeat = (await api.post(f"/v1/candidates/{cid}/erasure", json=body, headers=HR)).json()
    await _completed(api, first["request_id"])
    second = await api.post(f"/v1/candidates/{cid}/erasure", json=body, headers=HR)

    assert repeat["request_id"] in (first["request_id"], second.json()["request_id"])
    assert second.status_code == 202 and second.json()["request_id"] != first["request_id"]
    done = await _completed(api, second.json()["request_id"])
    assert done["status"] == "completed" and done["workflow_id"] == first["workflow_id"]
    erased = [d for d in hris_inbox.by_type("candidate.erased") if d.data["candidate_id"] == cid]
    assert len(erased) == 2


async def test_a_candidate_mid_interview_cannot_be_erased(
    api: httpx.AsyncClient, hris_inbox: HrisInbox
) -> None:
    """An active session makes the request 409 naming it; nothing is accepted."""
    body = await started(api)
    cid, sid = body["candidate"]["id"], body["session_id"]
    # The start is recorded (then announced) just after the API answers.
    await hris_inbox.wait_for(
        lambda d: d.type == "interview.started" and d.data["session_id"] == sid
    )

    response = await api.post(f"/v1/candidates/{cid}/erasure", json={"actor": ACTOR}, headers=HR)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "candidate_has_open_session"
    assert error["details"]["sessions"] == [body["session_id"]]


async def test_a_hold_is_set_idempotently_lifted_once_and_kept_in_history(
    api: httpx.AsyncClient,
) -> None:
    """PUT twice gives one hold (201 then 200); lifting twice is 409 the second time."""
    path = "/v1/candidates/c-hold-1/hold"
    empty = await api.get(path, headers=HR)
    first = await api.put(path, json={"reason": "Claim 17", "actor": ACTOR}, headers=HR)
    again = await api.put(path, json={"reason": "Claim 18", "actor": ACTOR}, headers=HR)
    lifted = await api.post(f"{path}/lift", json={"actor": ACTOR, "reason": "settled"}, headers=HR)
    twice = await api.post(f"{path}/lift", json={"actor": ACTOR}, headers=HR)

    assert empty.json() == {"candidate_id": "c-hold-1", "held": False, "hold": None, "history": []}
    assert (first.status_code, again.status_code, lifted.status_code) == (201, 200, 200)
    assert again.json()["hold"] == first.json()["hold"]
    assert lifted.json()["history"][0]["lifted_by"] == {**ACTOR, "verified": False}
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "not_on_hold"


async def test_bad_input_and_unknown_erasures_are_refused(api: httpx.AsyncClient) -> None:
    """A missing actor is 422 naming it; an unknown erasure id is 404."""
    no_actor = await api.put("/v1/candidates/c-1/hold", json={"reason": "x"}, headers=HR)
    unknown = await api.get("/v1/erasures/00000000-0000-0000-0000-000000000000", headers=HR)

    assert no_actor.status_code == 422
    assert [f["field"] for f in no_actor.json()["error"]["details"]["fields"]] == ["actor"]
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "erasure_not_found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/candidates/c-1/hold", None),
        ("PUT", "/v1/candidates/c-1/hold", {"reason": "x", "actor": ACTOR}),
        ("POST", "/v1/candidates/c-1/hold/lift", {"actor": ACTOR}),
        ("POST", "/v1/candidates/c-1/erasure", {"actor": ACTOR}),
        ("GET", "/v1/erasures/00000000-0000-0000-0000-000000000000", None),
    ],
)
async def test_only_hr_may_call_the_candidate_routes(
    api: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    """The platform and ops roles get 403; no key 401."""
    for role in ("platform", "ops"):
        response = await api.request(method, path, json=body, headers=auth(role))
        assert response.status_code == 403, (role, response.text)
    assert (await api.request(method, path, json=body)).status_code == 401
