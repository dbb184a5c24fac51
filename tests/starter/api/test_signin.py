"""Issue 15: HR people sign in to the dashboard in the browser (authorization code + PKCE).

The API is served over real HTTP (uvicorn) beside a real local OIDC provider; the tests
walk the flow as a browser would, with httpx: the dashboard sends them to ``/signin``, that
to the provider's form, whose redirect comes back to ``/signin/callback``, which sets the
session cookie. The store holds the known month of ``tests.reports.world``: five sessions of
job-a (one in April), four of job-b; ``hr-one`` may see job-a only.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from config import Settings
from devstack.oidc_provider import LocalOidcProvider
from starter.api import create_app
from starter.api.browser_session import SESSION_COOKIE, CookieSigner
from store import Store
from tests.fixtures.api import over_http
from tests.fixtures.oidc import CLIENT_ID, token_for
from tests.reports.world import record_world
from tests.starter.api.helpers import HR, KEYS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

COOKIE_SECRET = f"cookie-{uuid.uuid4().hex}{uuid.uuid4().hex}"
CLIENT_SECRET = f"client-{uuid.uuid4().hex}"
"""The local provider accepts any secret, and no client without one (no ``none`` method)."""
BROWSER = {"Accept": "text/html,application/xhtml+xml"}
DASHBOARD = "/v1/reports/dashboard"


async def _serve(store: Store, **settings: Any) -> Any:
    keys = ",".join(f"{role}:{key}" for role, key in KEYS.items())
    configured = Settings(
        api_keys=SecretStr(keys), database_url="sqlite+aiosqlite:///unused.db", **settings
    )
    client = await Client.connect("127.0.0.1:1", lazy=True)  # no route here talks to Temporal
    return over_http(create_app(configured, client=client, store=store))


@pytest.fixture
async def site(store: Store, oidc_provider: LocalOidcProvider) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-keeping client on the API, which signs people in at ``provider``."""
    await record_world(store)
    served = await _serve(
        store,
        oidc_issuer=oidc_provider.issuer,
        oidc_audience=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        session_cookie_secret=SecretStr(COOKIE_SECRET),
    )
    async with served as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield http


async def sign_in(http: httpx.AsyncClient, sub: str, next_path: str = DASHBOARD) -> httpx.Response:
    """Walk the flow from ``/signin`` to the callback's answer, choosing ``sub`` at the form."""
    started = await http.get("/signin", params={"next": next_path})
    assert started.status_code == 303, started.text
    chosen = await http.post(started.headers["location"], data={"sub": sub})
    assert chosen.status_code == 302, chosen.text
    return await http.get(chosen.headers["location"])


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "the page has no sign-out form"
    return found.group(1)


async def test_a_browser_is_sent_to_sign_in_and_lands_on_its_jobs_dashboard(
    site: httpx.AsyncClient, oidc_provider: LocalOidcProvider
) -> None:
    """Dashboard → /signin → provider (PKCE S256, state, nonce) → callback → the dashboard,
    with an HttpOnly SameSite=Lax session cookie; hr-one sees job-a's sessions only."""
    anonymous = await site.get(DASHBOARD, params={"job_id": ""}, headers=BROWSER)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=%2Fv1%2Freports%2Fdashboard%3Fjob_id%3D"

    started = await site.get("/signin", params={"next": DASHBOARD})
    authorize = urlsplit(started.headers["location"])
    asked = parse_qs(authorize.query)
    assert started.headers["location"].startswith(oidc_provider.issuer)
    assert asked["code_challenge_method"] == ["S256"] and asked["client_id"] == [CLIENT_ID]
    assert asked["state"][0] and asked["nonce"][0] and len(asked["code_challenge"][0]) == 43
    flow_cookie = started.headers["set-cookie"].lower()
    assert "httponly" in flow_cookie and "samesite=lax" in flow_cookie
    assert "path=/signin" in flow_cookie and "secure" not in flow_cookie  # plain http, loopback

    chosen = await site.post(started.headers["location"], data={"sub": "hr-one"})
    back = await site.get(chosen.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == DASHBOARD
    session_cookie = next(
        c for c in back.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    ).lower()
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert "path=/;" in session_cookie and len(session_cookie) < 4096

    page = await site.get(DASHBOARD, headers=BROWSER)
    assert page.status_code == 200, page.text
    assert "Signed in as <b>HR One</b>" in page.text and _csrf(page.text)
    assert "<b>5</b><span>sessions started</span>" in page.text
    assert "<td>job-a</td>" in page.text and "job-b" not in page.text


async def test_the_callback_refuses_a_state_that_is_not_the_flows(
    site: httpx.AsyncClient,
) -> None:
    """A callback whose state differs from the signed flow cookie's sets no session."""
    started = await site.get("/signin")
    chosen = await site.post(started.headers["location"], data={"sub": "hr-one"})
    callback = urlsplit(chosen.headers["location"])
    code = parse_qs(callback.query)["code"][0]

    forged = await site.get("/signin/callback", params={"code": code, "state": "attacker"})
    no_flow = await httpx.AsyncClient(base_url=str(site.base_url)).get(
        "/signin/callback", params={"code": code, "state": "x"}
    )

    assert forged.status_code == 400 and SESSION_COOKIE not in forged.headers.get("set-cookie", "")
    assert no_flow.status_code == 400
    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 303


async def test_a_code_issued_for_another_nonce_is_refused(site: httpx.AsyncClient) -> None:
    """A code the provider issued for another sign-in's nonce (an injected code) passes the
    state check but its ID token does not: no session is set."""
    started = await site.get("/signin")
    authorize = urlsplit(started.headers["location"])
    asked = {name: values[0] for name, values in parse_qs(authorize.query).items()}
    injected = {**asked, "nonce": "someone-elses-sign-in"}
    chosen = await site.post(
        authorize._replace(query="").geturl(), params=injected, data={"sub": "hr-all"}
    )

    back = await site.get(chosen.headers["location"])

    assert back.status_code == 401 and "token was not accepted" in back.text
    assert SESSION_COOKIE not in site.cookies


async def test_a_tampered_session_cookie_signs_no_one_in(site: httpx.AsyncClient) -> None:
    """Changing the cookie's token or its signature, or signing it with another secret, sends
    the browser back to sign in."""
    assert (await sign_in(site, "hr-one")).status_code == 303
    value = site.cookies[SESSION_COOKIE]
    expires, _, rest = value.partition(".")
    other = CookieSigner(f"other-{uuid.uuid4().hex}{uuid.uuid4().hex}".encode())
    token, _, mac = rest.rpartition(".")
    tampered = [
        f"{expires}.{token}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}",
        f"{expires}.{token[:40]}{'x' if token[40] != 'x' else 'y'}{token[41:]}.{mac}",
        f"{int(expires) + 3600}.{rest}",
        other.seal_session(token, int(expires)),
    ]
    for cookie in tampered:
        assert cookie is not None
        site.cookies.set(SESSION_COOKIE, cookie)
        refused = await site.get(DASHBOARD, headers=BROWSER)
        assert refused.status_code == 303, cookie[:20]
        assert refused.headers["location"].startswith("/signin?next=")


async def test_an_expired_session_cookie_signs_no_one_in(
    site: httpx.AsyncClient, oidc_provider: LocalOidcProvider
) -> None:
    """A cookie past its own expiry is refused although the token in it is still valid."""
    token = await token_for(oidc_provider.issuer, "hr-one")
    signer = CookieSigner(COOKIE_SECRET.encode())
    expired = signer.seal_session(token, int(time.time()) - 1)
    valid = signer.seal_session(token, int(time.time()) + 600)
    assert expired is not None and valid is not None

    site.cookies.set(SESSION_COOKIE, valid)
    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 200
    site.cookies.set(SESSION_COOKIE, expired)
    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 303


async def test_next_must_be_a_path_on_this_site(site: httpx.AsyncClient) -> None:
    """No open redirect: another host, a scheme, ``//``, a backslash or a control character
    in ``next`` is 422 naming it."""
    for target in (
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "\\\\evil",
        "evil",
        "/a\r\nLocation: x",
        "javascript:alert(1)",
    ):
        refused = await site.get("/signin", params={"next": target})
        assert refused.status_code == 422, target
        assert refused.json()["error"]["details"]["fields"][0]["field"] == "next"
    assert (
        await site.get("/signin", params={"next": "/v1/reports/dashboard?a=1"})
    ).status_code == 303


async def test_sign_out_clears_the_session(site: httpx.AsyncClient) -> None:
    """The dashboard's sign-out form ends the session: the next visit goes to sign in."""
    await sign_in(site, "hr-one")
    page = await site.get(DASHBOARD, headers=BROWSER)

    out = await site.post("/signout", data={"csrf": _csrf(page.text)})

    assert out.status_code == 303 and out.headers["location"] == "/signed-out"
    assert SESSION_COOKIE not in site.cookies
    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 303


async def test_a_post_without_the_sessions_csrf_token_is_403(site: httpx.AsyncClient) -> None:
    """Sign-out without the CSRF field, with a wrong one (non-ASCII too: it was a 500), or
    with another session's is 403, and the session stays."""
    await sign_in(site, "hr-one")
    first = site.cookies[SESSION_COOKIE]
    earlier = _csrf((await site.get(DASHBOARD, headers=BROWSER)).text)
    await sign_in(site, "hr-all")

    for form in ({}, {"csrf": "0" * 43}, {"csrf": earlier}, {"csrf": "é" * 43}):
        refused = await site.post("/signout", data=form)
        assert refused.status_code == 403, form
    assert first != site.cookies[SESSION_COOKIE]
    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 200


async def test_json_routes_take_no_session_cookie(site: httpx.AsyncClient) -> None:
    """A signed-in browser's cookie opens the HTML pages only: the JSON API wants Bearer."""
    await sign_in(site, "hr-all")

    refused = await site.get("/v1/reports/funnel", headers=BROWSER)

    assert refused.status_code == 401
    assert (await site.get("/v1/reports/funnel", headers=HR)).status_code == 200


async def test_an_ops_person_signed_in_may_not_open_the_hr_dashboard(
    site: httpx.AsyncClient,
) -> None:
    """The role still counts: an ops person's session is 403 on the HR page."""
    assert (await sign_in(site, "ops-1")).status_code == 303

    assert (await site.get(DASHBOARD, headers=BROWSER)).status_code == 403


async def test_a_provider_that_wants_a_client_secret_says_so(
    store: Store, oidc_provider: LocalOidcProvider
) -> None:
    """Without EXITFLOW_OIDC_CLIENT_SECRET exitflow is a public client (PKCE only); a provider
    that refuses public clients (this one) ends the sign-in with a 401 page naming its error,
    not a 500."""
    await record_world(store)
    served = await _serve(store, oidc_issuer=oidc_provider.issuer, oidc_audience=CLIENT_ID)
    async with served as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        back = await sign_in(http, "hr-one")

        assert back.status_code == 401 and "invalid_client" in back.text
        assert SESSION_COOKIE not in http.cookies


async def test_scripts_and_no_issuer_keep_their_challenges(
    site: httpx.AsyncClient, store: Store
) -> None:
    """With an issuer, a client that is not a browser gets 401, not a redirect; without one,
    a browser is still asked for Basic credentials and there is no /signin."""
    assert (await site.get(DASHBOARD)).status_code == 401
    async with await _serve(store) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        asked = await http.get(DASHBOARD, headers=BROWSER)
        assert asked.status_code == 401
        assert asked.headers["www-authenticate"].startswith("Basic")
        assert (await http.get("/signin")).status_code == 404
