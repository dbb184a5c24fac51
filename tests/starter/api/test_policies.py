"""``/v1/policies`` (contract section 10) on the real stack: versions, roles, authors, audit."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config import Settings
from devstack.oidc_provider import LocalOidcProvider
from identity.oidc import TokenVerifier
from starter.api import create_app
from store import Store
from tests.fixtures.api import serving
from tests.fixtures.oidc import CLIENT_ID, token_for
from tests.starter.api.helpers import HR, OPS, PLATFORM
from tests.store.helpers import fetch

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ACTOR = {"id": "hr-3", "name": "王芳"}


async def _put(api: httpx.AsyncClient, policy_id: str, **body: Any) -> httpx.Response:
    return await api.put(f"/v1/policies/{policy_id}", json={"actor": ACTOR, **body}, headers=HR)


async def test_a_put_makes_a_version_an_identical_put_does_not(
    api: httpx.AsyncClient, store: Store
) -> None:
    """201 with version 2 and the merged fields; the same PUT again answers 200, version 2;
    the history lists 2 then 1; the audit chain holds."""
    changed = await _put(api, "default", resume_window_hours=48)
    again = await _put(api, "default", resume_window_hours=48)
    history = (await api.get("/v1/policies/default", headers=OPS)).json()

    assert changed.status_code == 201, changed.text
    policy = changed.json()
    assert policy["version"] == 2
    assert policy["author"] == {**ACTOR, "verified": False}
    assert policy["fields"]["resume_window_hours"] == 48
    assert policy["fields"]["channels"] == ["email"]
    assert (again.status_code, again.json()) == (200, policy)
    assert [v["version"] for v in history["versions"]] == [2, 1]
    assert history["current"] == policy
    assert (await store.verify_audit_chain()).ok


async def test_a_job_named_by_two_policies_is_refused_with_409(api: httpx.AsyncClient) -> None:
    """A second policy for a job answers 409 ``policy_conflict`` naming the other policy."""
    first = await _put(api, "senior", job_ids=["job-cto"], reminders_before_deadline_hours=[6, 1])
    second = await _put(api, "exec", job_ids=["job-cto"])
    listed = (await api.get("/v1/policies", headers=HR)).json()

    assert first.status_code == 201, first.text
    assert first.json()["fields"]["reminders_before_deadline_hours"] == [6, 1]
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "policy_conflict"
    assert second.json()["error"]["details"] == {"policy_id": "senior", "job_ids": ["job-cto"]}
    assert [p["policy_id"] for p in listed["policies"]] == ["default", "senior"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reminders_before_deadline_hours": [30]}, "reminders_before_deadline_hours"),
        ({"resume_window_hours": 1}, "reminders_before_deadline_hours"),
        ({"channels_by_event": {"sneezed": ["sms"]}}, "channels_by_event.sneezed.[key]"),
        ({"channels_by_event": {"suspended": ["fax"]}}, "channels_by_event.suspended.0"),
        ({"cancel_downstream": {"withdrawn": ["lunch"]}}, "cancel_downstream.withdrawn.0"),
        ({"risk_threshold": 1.5}, "risk_threshold"),
        ({"risk_intervention": "call_them"}, "risk_intervention"),
        ({"heartbeat_timeout_seconds": 1}, "heartbeat_timeout_seconds"),
        ({"job_ids": ["job-1"]}, "job_ids"),
        ({"colour": "blue"}, "colour"),
    ],
    ids=[
        "reminder-outside-window",
        "window-below-stored-reminder",
        "unknown-event",
        "unknown-channel",
        "unknown-step-kind",
        "threshold",
        "intervention",
        "heartbeat",
        "default-jobs",
        "unknown-field",
    ],
)
async def test_a_bad_field_is_refused_with_422_naming_it(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    """Each bad field answers 422 ``invalid_field`` naming it; no version is made."""
    response = await _put(api, "default", **body)
    current = (await api.get("/v1/policies/default", headers=HR)).json()

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_field"
    assert [item["field"] for item in response.json()["error"]["details"]["fields"]] == [field]
    assert current["version_count"] == 1


async def test_roles_platform_none_ops_reads_hr_writes(api: httpx.AsyncClient) -> None:
    """The platform may not read or write; operations reads but may not write; an unknown
    policy answers 404; a key's PUT without an actor answers 422 naming ``actor``."""
    assert (await api.get("/v1/policies", headers=PLATFORM)).status_code == 403
    assert (await api.get("/v1/policies/default", headers=PLATFORM)).status_code == 403
    assert (await api.get("/v1/policies", headers=OPS)).status_code == 200
    put = {"resume_window_hours": 30, "actor": ACTOR}
    assert (await api.put("/v1/policies/default", json=put, headers=OPS)).status_code == 403
    assert (await api.put("/v1/policies/default", json=put, headers=PLATFORM)).status_code == 403
    missing = await api.get("/v1/policies/nobody", headers=HR)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "policy_not_found")
    anonymous = await api.put("/v1/policies/default", json={"can_reapply": False}, headers=HR)
    assert anonymous.status_code == 422
    assert anonymous.json()["error"]["details"]["fields"][0]["field"] == "actor"
    dotted = await api.get("/v1/policies/Senior.Roles", headers=HR)
    assert dotted.status_code == 422


@pytest.fixture
async def person_api(
    dev_env: WorkflowEnvironment,
    api_settings: Settings,
    task_queue: str,
    store: Store,
    oidc_provider: LocalOidcProvider,
) -> AsyncIterator[httpx.AsyncClient]:
    """The API with people signing in at the test provider."""
    settings = api_settings.model_copy(
        update={"oidc_issuer": oidc_provider.issuer, "oidc_audience": CLIENT_ID}
    )
    app = create_app(settings, client=dev_env.client, store=store, task_queue=task_queue)
    app.state.verifier = TokenVerifier(issuer=oidc_provider.issuer, audience=CLIENT_ID)
    async with serving(dev_env.client, app, settings, task_queue) as http:
        yield http
    await app.state.verifier.aclose()


async def test_a_signed_in_person_is_the_verified_author(
    person_api: httpx.AsyncClient, oidc_provider: LocalOidcProvider, store: Store
) -> None:
    """A signed-in HR person's PUT is authored by them, verified, whatever the body's actor;
    an HR person scoped to some jobs may not change the default or another job's policy."""
    everyone = {"Authorization": f"Bearer {await token_for(oidc_provider.issuer, 'hr-all')}"}
    scoped = {"Authorization": f"Bearer {await token_for(oidc_provider.issuer, 'hr-one')}"}
    body = {"contest_window_days": 7, "actor": {"id": "someone-else", "name": "Not Me"}}

    saved = await person_api.put("/v1/policies/default", json=body, headers=everyone)
    refused = await person_api.put("/v1/policies/default", json=body, headers=scoped)
    other_job = await person_api.put(
        "/v1/policies/b-team", json={"job_ids": ["job-b"]}, headers=scoped
    )
    own_job = await person_api.put(
        "/v1/policies/a-team", json={"job_ids": ["job-a"]}, headers=scoped
    )

    assert saved.status_code == 201, saved.text
    assert saved.json()["author"] == {"id": "hr-all", "name": "HR All", "verified": True}
    assert (refused.status_code, other_job.status_code) == (403, 403)
    assert own_job.status_code == 201, own_job.text
    [entry] = await fetch(
        store, "SELECT body FROM audit_log WHERE event_id = 'policy.saved:default:2'"
    )
    facts = json.loads(entry["body"])
    assert (facts["author_id"], facts["author_verified"]) == ("hr-all", True)
    assert facts["changed"] == ["contest_window_days"]
