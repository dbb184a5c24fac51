"""Issue 15: who may see and do what, proven by the credential, against the live API.

The API runs beside a worker on the dev server, with a real OIDC provider: people's tokens
are issued over HTTP by the provider (``tests.fixtures.oidc``) and verified for real.
Session A is for ``job-a``, session B for ``job-b``; ``hr-one`` may see ``job-a`` only.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config import Settings
from devstack.hris_inbox import HrisInbox
from devstack.mailbox import Mailbox
from devstack.oidc_provider import LocalOidcProvider, run_oidc_provider
from identity.oidc import TokenVerifier
from starter.api import create_app
from store import Store
from tests.fixtures.api import serving
from tests.fixtures.contest import STATEMENT, link_token
from tests.fixtures.oidc import CLIENT_ID, TEST_USERS, token_for
from tests.fixtures.waiting import eventually
from tests.identity import forged
from tests.starter.api.helpers import HR, OPS, PLATFORM, start_body

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXPLANATION = "The position was filled internally before this interview ended."


@dataclass
class Shifted:
    """The API's clock for tokens: real time plus ``offset`` seconds."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class World:
    """The live API, the two sessions, the provider and the API's token clock."""

    api: httpx.AsyncClient
    provider: LocalOidcProvider
    clock: Shifted
    session_a: str
    session_b: str
    hris: HrisInbox
    mailbox: Mailbox

    async def bearer(self, sub: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {await token_for(self.provider.issuer, sub, **kwargs)}"}


@pytest.fixture
def provider() -> Iterator[LocalOidcProvider]:
    """A provider of this module's own (its key is rotated), with ten-minute tokens."""
    with run_oidc_provider(users=TEST_USERS, token_max_age=timedelta(minutes=10)) as running:
        yield running


@pytest.fixture
async def world(
    dev_env: WorkflowEnvironment,
    signed_settings: Settings,
    task_queue: str,
    store: Store,
    provider: LocalOidcProvider,
    hris_inbox: HrisInbox,
    mailbox: Mailbox,
) -> AsyncIterator[World]:
    """The API with people signing in at ``provider``, and one session per job."""
    settings = signed_settings.model_copy(
        update={"oidc_issuer": provider.issuer, "oidc_audience": CLIENT_ID}
    )
    app = create_app(settings, client=dev_env.client, store=store, task_queue=task_queue)
    clock = Shifted()
    app.state.verifier = TokenVerifier(issuer=provider.issuer, audience=CLIENT_ID, clock=clock)
    async with serving(dev_env.client, app, settings, task_queue) as api:
        ids = []
        for job in ("job-a", "job-b"):
            body = start_body()
            body["job"]["id"] = job
            assert (await api.post("/v1/sessions", json=body, headers=PLATFORM)).status_code == 201
            ids.append(body["session_id"])
        await eventually(
            lambda: _funnel_sessions(api, HR), lambda count: count == 2, timeout_seconds=60
        )
        yield World(api, provider, clock, ids[0], ids[1], hris_inbox, mailbox)
        await app.state.verifier.aclose()


async def _funnel_sessions(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    response = await api.get("/v1/reports/funnel", headers=headers)
    count: int = response.json()["sessions"]
    return count


Credential = Callable[[World], Awaitable[dict[str, str]]]


async def _key(headers: dict[str, str]) -> dict[str, str]:
    return headers


def _person(sub: str) -> Credential:
    return lambda world: world.bearer(sub)


async def _expired(world: World) -> dict[str, str]:
    headers = await world.bearer("hr-all")
    world.clock.offset = 11 * 60  # past the ten minutes and the leeway
    return headers


async def _other_issuer(world: World, other: LocalOidcProvider) -> dict[str, str]:
    return {"Authorization": f"Bearer {await token_for(other.issuer, 'hr-all')}"}


async def _wrong_audience(world: World) -> dict[str, str]:
    return await world.bearer("hr-all", client_id="another-app")


async def _alg_none(world: World) -> dict[str, str]:
    token = (await world.bearer("hr-all"))["Authorization"].removeprefix("Bearer ")
    return {"Authorization": f"Bearer {forged.alg_none(token)}"}


async def _tampered(world: World) -> dict[str, str]:
    token = (await world.bearer("hr-one"))["Authorization"].removeprefix("Bearer ")
    return {"Authorization": f"Bearer {forged.with_claims(token, exitflow_jobs='*')}"}


async def _flipped(world: World) -> dict[str, str]:
    token = (await world.bearer("hr-all"))["Authorization"].removeprefix("Bearer ")
    return {"Authorization": f"Bearer {forged.with_signature_flipped(token)}"}


async def _rotated(world: World) -> dict[str, str]:
    await world.api.get(f"/v1/sessions/{world.session_a}", headers=await world.bearer("ops-1"))
    world.provider.rotate_signing_key()
    world.clock.offset = 31  # past the 30 s between fetches of the provider's keys
    return await world.bearer("hr-all")


A, B, EXITS, FUNNEL, FUNNEL_B, CONTESTS = (
    "session A",
    "session B",
    "exits",
    "funnel",
    "funnel of job-b",
    "contests",
)
Expected = dict[str, int | tuple[int, int]]
ALL_401: Expected = dict.fromkeys((A, B, EXITS, FUNNEL, FUNNEL_B, CONTESTS), 401)

# credential → what each read answers: a status, and for a funnel its session count.
MATRIX: dict[str, tuple[Credential | str, Expected]] = {
    "platform key": (
        lambda _: _key(PLATFORM),
        {A: 200, B: 200, EXITS: 403, FUNNEL: 403, FUNNEL_B: 403, CONTESTS: 403},
    ),
    "hr key": (
        lambda _: _key(HR),
        {A: 200, B: 200, EXITS: 200, FUNNEL: (200, 2), FUNNEL_B: (200, 1), CONTESTS: 200},
    ),
    "ops key": (
        lambda _: _key(OPS),
        {A: 200, B: 200, EXITS: 200, FUNNEL: 403, FUNNEL_B: 403, CONTESTS: 403},
    ),
    "hr person, job-a only": (
        _person("hr-one"),
        {A: 200, B: 404, EXITS: 200, FUNNEL: (200, 1), FUNNEL_B: (200, 0), CONTESTS: 200},
    ),
    "hr person, every job (*)": (
        _person("hr-all"),
        {A: 200, B: 200, EXITS: 200, FUNNEL: (200, 2), FUNNEL_B: (200, 1), CONTESTS: 200},
    ),
    "ops person": (
        _person("ops-1"),
        {A: 200, B: 200, EXITS: 200, FUNNEL: 403, FUNNEL_B: 403, CONTESTS: 403},
    ),
    "person with no exitflow role": (_person("nobody"), ALL_401),
    "expired token": (_expired, ALL_401),
    "token from another issuer": ("other issuer", ALL_401),
    "token for another audience": (_wrong_audience, ALL_401),
    "alg: none": (_alg_none, ALL_401),
    "claims changed after signing": (_tampered, ALL_401),
    "tampered signature": (_flipped, ALL_401),
    "after the provider rotated its key": (
        _rotated,
        {A: 200, B: 200, EXITS: 200, FUNNEL: (200, 2), FUNNEL_B: (200, 1), CONTESTS: 200},
    ),
}


def _path(world: World, read: str) -> tuple[str, dict[str, str]]:
    return {
        A: (f"/v1/sessions/{world.session_a}", {}),
        B: (f"/v1/sessions/{world.session_b}", {}),
        EXITS: ("/v1/exits", {}),
        FUNNEL: ("/v1/reports/funnel", {}),
        FUNNEL_B: ("/v1/reports/funnel", {"job_id": "job-b"}),
        CONTESTS: ("/v1/contests", {}),
    }[read]


@pytest.mark.parametrize("row", list(MATRIX))
async def test_each_credential_sees_what_its_role_and_scope_allow(
    world: World, other_oidc_provider: LocalOidcProvider, row: str
) -> None:
    """The role × scope matrix of issue 15: keys by role; people by role and job scope; a
    token that proves nothing (expired, another issuer or audience, ``alg: none``, changed,
    badly signed) is 401; a rotated key is taken once the provider publishes it."""
    make, expected = MATRIX[row]
    if make == "other issuer":
        headers = await _other_issuer(world, other_oidc_provider)
    else:
        assert callable(make)
        headers = await make(world)

    seen: Expected = {}
    for read in expected:
        path, params = _path(world, read)
        response = await world.api.get(path, params=params, headers=headers)
        status = response.status_code
        seen[read] = (
            (status, response.json()["sessions"])
            if read.startswith("funnel") and (status == 200)
            else status
        )
    world.clock.offset = 0

    assert seen == expected


async def test_a_scoped_person_sees_only_their_jobs_exits(world: World) -> None:
    """An HR person scoped to job-a lists job-a's exits only; ``*`` lists both."""
    await world.api.post(
        f"/v1/sessions/{world.session_a}/withdraw", json={"reason_code": "other"}, headers=PLATFORM
    )
    await world.api.post(
        f"/v1/sessions/{world.session_b}/withdraw", json={"reason_code": "other"}, headers=PLATFORM
    )

    async def jobs(sub: str) -> list[str]:
        page = await world.api.get("/v1/exits", headers=await world.bearer(sub))
        return sorted(item["job_id"] for item in page.json()["items"])

    assert await eventually(lambda: jobs("hr-all"), lambda seen: len(seen) == 2) == [
        "job-a",
        "job-b",
    ]
    assert await jobs("hr-one") == ["job-a"]


def _actors(value: Any, key: str = "actor") -> list[dict[str, Any]]:
    """Every object under ``key`` anywhere inside ``value``."""
    found = []
    if isinstance(value, dict):
        for name, inner in value.items():
            if name == key and isinstance(inner, dict):
                found.append(inner)
            found += _actors(inner, key)
    elif isinstance(value, list):
        for inner in value:
            found += _actors(inner, key)
    return found


async def test_a_signed_in_person_is_the_verified_actor_everywhere(world: World) -> None:
    """A termination by a signed-in person is recorded in their name, ``verified: true``, in
    the session's exit, the audit chain and the HR webhook; the body's actor is ignored."""
    claimed = {"id": "someone-else", "name": "Not Me", "verified": True}
    headers = await world.bearer("hr-one")
    body = {"reason_code": "position_filled", "explanation": EXPLANATION, "actor": claimed}

    response = await world.api.post(
        f"/v1/sessions/{world.session_a}/terminate", json=body, headers=headers
    )

    assert response.status_code == 200, response.text
    proven = {"id": "hr-one", "name": "HR One", "verified": True}
    view = (await world.api.get(f"/v1/sessions/{world.session_a}", headers=headers)).json()
    assert view["exit"]["actor"] == proven
    webhook = await world.hris.wait_for(
        lambda d: d.type == "interview.terminated" and world.session_a in json.dumps(d.data)
    )
    assert _actors(webhook.data) == [proven]
    entries = await eventually(
        lambda: _audit_actors(world, world.session_a), lambda actors: len(actors) > 0
    )
    assert entries == [proven]


async def _audit_actors(world: World, session_id: str, key: str = "actor") -> list[dict[str, Any]]:
    page = await world.api.get("/v1/audit/entries", params={"session_id": session_id}, headers=OPS)
    return _actors(page.json()["items"], key)


async def test_an_api_key_keeps_the_bodys_actor_unverified(world: World) -> None:
    """With the hr key the body names the actor, recorded ``verified: false`` whatever the
    body claims; without an actor the key's call is 422 naming ``actor``."""
    claimed = {"id": "hr-9", "name": "Kim Park", "verified": True}
    path = f"/v1/sessions/{world.session_b}/terminate"

    missing = await world.api.post(
        path, json={"reason_code": "position_filled", "explanation": EXPLANATION}, headers=HR
    )
    done = await world.api.post(
        path,
        json={"reason_code": "position_filled", "explanation": EXPLANATION, "actor": claimed},
        headers=HR,
    )

    assert missing.status_code == 422
    assert [f["field"] for f in missing.json()["error"]["details"]["fields"]] == ["actor"]
    assert done.status_code == 200, done.text
    view = (await world.api.get(f"/v1/sessions/{world.session_b}", headers=HR)).json()
    assert view["exit"]["actor"] == {"id": "hr-9", "name": "Kim Park", "verified": False}


async def test_a_person_cannot_act_outside_their_jobs(world: World) -> None:
    """hr-one terminating job-b's session gets the 404 of a session that does not exist,
    and the session goes on."""
    headers = await world.bearer("hr-one")
    body = {"reason_code": "position_filled", "explanation": EXPLANATION}

    refused = await world.api.post(
        f"/v1/sessions/{world.session_b}/terminate", json=body, headers=headers
    )
    unknown = await world.api.post("/v1/sessions/no-such/terminate", json=body, headers=headers)

    assert refused.status_code == unknown.status_code == 404
    assert refused.json()["error"] == unknown.json()["error"]
    view = (await world.api.get(f"/v1/sessions/{world.session_b}", headers=HR)).json()
    assert view["status"] == "active"


async def test_holds_and_erasure_need_every_job(world: World) -> None:
    """A hold or an erasure reaches a candidate's sessions for every job: an HR person
    scoped to some jobs gets 403; one with ``*`` holds in their own name."""
    path = "/v1/candidates/c-matrix/hold"
    body = {"reason": "Employment tribunal claim ET/2024/017."}

    scoped = await world.api.put(path, json=body, headers=await world.bearer("hr-one"))
    everyone = await world.api.put(path, json=body, headers=await world.bearer("hr-all"))

    assert scoped.status_code == 403
    assert everyone.status_code == 201, everyone.text
    assert everyone.json()["hold"]["set_by"] == {"id": "hr-all", "name": "HR All", "verified": True}


async def test_a_contest_decided_by_a_person_names_them_verified(world: World) -> None:
    """A contest decision made by a signed-in person is theirs, ``verified: true``, in the
    review task and the audit chain, whatever the body's actor says."""
    terminate = {"reason_code": "position_filled", "explanation": EXPLANATION}
    person = await world.bearer("hr-all")
    path = f"/v1/sessions/{world.session_a}"
    assert (await world.api.post(f"{path}/terminate", json=terminate, headers=person)).is_success
    token = await link_token(world.mailbox, world.session_a, "interview.terminated")
    contest = {"contest_token": token, "statement": STATEMENT}
    filed = await world.api.post(f"{path}/contest", json=contest, headers=PLATFORM)
    assert filed.status_code == 202, filed.text
    contest_id = filed.json()["contest_id"]

    decided = await world.api.post(
        f"/v1/contests/{contest_id}/decision",
        json={
            "outcome": "upheld",
            "explanation": "Two reviewers watched the whole recording and agreed.",
            "actor": {"id": "someone-else", "name": "Not Me"},
        },
        headers=person,
    )

    assert decided.status_code == 200, decided.text
    task = (await world.api.get(f"/v1/contests/{contest_id}", headers=person)).json()
    recorded = task["contest"]
    assert (recorded["decided_by_id"], recorded["decided_by_verified"]) == ("hr-all", True)
    deciders = await eventually(
        lambda: _audit_actors(world, world.session_a, "decided_by"), lambda found: len(found) > 0
    )
    assert deciders == [{"id": "hr-all", "name": "HR All", "verified": True}]


async def test_an_erasure_asked_by_a_person_names_them_verified(world: World) -> None:
    """An erasure asked for by a signed-in person is theirs, ``verified: true``, on the
    request and in its audit entry."""
    person = await world.bearer("hr-all")

    asked = await world.api.post(
        "/v1/candidates/c-matrix-gone/erasure", json={"reason": "Asked by email."}, headers=person
    )

    assert asked.status_code == 202, asked.text
    assert asked.json()["requested_by"] == {"id": "hr-all", "name": "HR All", "verified": True}
