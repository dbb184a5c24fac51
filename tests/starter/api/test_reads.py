"""Reads for HR and operators (exits, audit), health, and the request id of every call."""

from __future__ import annotations

import uuid

import httpx
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config import Settings
from starter.api import create_app
from store import Store
from tests.starter.api.helpers import HR, OPS, PLATFORM, start_body, started


async def test_exits_filter_and_page_with_a_cursor(api: httpx.AsyncClient) -> None:
    """Exits filter by job and kind and page newest first through ``next_cursor``."""
    job = f"job-{uuid.uuid4().hex[:8]}"
    ids = []
    for reason in ("lost_interest", "other", "process_too_long"):
        body = start_body()
        body["job"]["id"] = job
        sid = body["session_id"]
        assert (await api.post("/v1/sessions", json=body, headers=PLATFORM)).status_code == 201
        receipt = await api.post(
            f"/v1/sessions/{sid}/withdraw", json={"reason_code": reason}, headers=PLATFORM
        )
        ids.append(receipt.json()["exit_id"])

    first = await api.get("/v1/exits", params={"job_id": job, "limit": 2}, headers=HR)
    second = await api.get(
        "/v1/exits",
        params={"job_id": job, "limit": 2, "cursor": first.json()["next_cursor"]},
        headers=OPS,
    )
    only_other = await api.get(
        "/v1/exits", params={"job_id": job, "reason_code": "other"}, headers=HR
    )

    paged = [item["exit_id"] for item in first.json()["items"] + second.json()["items"]]
    assert paged == ids[::-1]
    assert second.json()["next_cursor"] is None
    item = only_other.json()["items"][0]
    assert (item["reason_code"], item["kind"], item["job_id"]) == ("other", "withdrawn", job)
    assert {"session_id", "at", "interviewer_id", "stage"} <= item.keys()


async def test_exits_refuse_bad_filters_naming_them(api: httpx.AsyncClient) -> None:
    """An unknown kind, a bad limit or a forged cursor is 422 naming the parameter."""
    for params, field in [
        ({"kind": "vanished"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]:
        response = await api.get("/v1/exits", params=params, headers=HR)
        assert response.status_code == 422, params
        fields = response.json()["error"]["details"]["fields"]
        assert [f["field"] for f in fields] == [field]


async def test_audit_verify_reports_an_intact_chain(
    api: httpx.AsyncClient, dev_env: WorkflowEnvironment
) -> None:
    """Operators see the audit chain hold after sessions were recorded."""
    sid = (await started(api))["session_id"]
    await api.post(f"/v1/sessions/{sid}/withdraw", json={"reason_code": "other"}, headers=PLATFORM)
    # The receipt stands for the withdrawal's record; the start's record may still be on its
    # way. The workflow closes only once both are saved.
    await dev_env.client.get_workflow_handle(f"interview-session-{sid}").result()

    response = await api.get("/v1/audit/verify", headers=OPS)

    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["events"] >= 2


async def test_readyz_is_503_when_temporal_and_database_are_unreachable(
    api_settings: Settings,
) -> None:
    """Readiness names each backing service that does not answer."""
    client = await Client.connect("127.0.0.1:1", lazy=True)
    store = Store.from_url("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    app = create_app(api_settings, client=client, store=store)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api"
        ) as http:
            live = await http.get("/healthz")
            ready = await http.get("/readyz")
    finally:
        await store.dispose()

    assert live.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"temporal": "unreachable", "database": "unreachable"}


async def test_every_request_is_logged_under_its_request_id(api: httpx.AsyncClient) -> None:
    """A caller's X-Request-ID is echoed and names the access log line; else one is made."""
    with capture_logs() as logs:
        given = await api.get("/healthz", headers={"X-Request-ID": "req-42"})
        made = await api.get("/v1/exits")

    assert given.headers["x-request-id"] == "req-42"
    assert len(made.headers["x-request-id"]) == 32
    lines = [line for line in logs if line["event"] == "request"]
    assert [(line["path"], line["status"]) for line in lines] == [
        ("/healthz", 200),
        ("/v1/exits", 401),
    ]
    assert [line["request_id"] for line in lines] == ["req-42", made.headers["x-request-id"]]


async def test_unknown_routes_answer_in_the_error_shape(api: httpx.AsyncClient) -> None:
    """An unknown path is 404 and a wrong method 405, both with the error body."""
    missing = await api.get("/v1/nothing", headers=PLATFORM)
    wrong = await api.delete("/v1/exits", headers=HR)

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
