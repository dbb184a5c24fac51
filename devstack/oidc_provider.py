"""A local OpenID Connect provider for ``exitflow up`` and the tests (``oidc-provider-mock``).

It is a real provider over HTTP: discovery, JWKS, the authorization-code flow (a form to
pick a user), the token endpoint. What it issues, read from the package's source (0.3.4,
``_app.py`` and authlib's ``oidc.core`` grants), decides how exitflow uses it:

- Its **access token is opaque** (a random string checked only by its own ``/userinfo``), so
  it cannot be verified offline.
- Its **ID token is a JWT** signed RS256 with the key its ``/jwks`` publishes, with ``iss``
  the URL it was reached at, ``aud`` ``[client_id]``, ``iat``/``exp`` (``exp`` =
  ``iat + token_max_age``), and every non-standard claim of the chosen user (``roles``,
  ``exitflow_jobs``) whatever the scope; ``name``/``email`` need the ``profile``/``email``
  scopes. Its header carries no ``kid`` (the JWKS entry has one, the RFC 7638 thumbprint).

So here the bearer JWT exitflow verifies is the provider-signed ID token, and
``EXITFLOW_OIDC_AUDIENCE`` is the client id. Production providers issue JWT access tokens
for an API audience (Keycloak: an audience mapper on the client), and those are verified the
same way. The mock accepts any client id and any client secret, and does not check PKCE
(``code_verifier``); exitflow sends PKCE anyway, as against any provider.

The issuer is the URL the provider was reached at, so clients must use exactly the
``issuer`` this module reports (``http://127.0.0.1:<port>`` by default, not ``localhost``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import authlib.deprecate  # noqa: F401 - it sets its warnings to "always" when imported
import flask
import httpx
import werkzeug.serving

with warnings.catch_warnings():
    # The mock imports authlib's deprecated ``jose`` and ``httpx`` modules; nothing of ours
    # uses them, and every ``exitflow`` command would print the warnings.
    warnings.simplefilter("ignore", DeprecationWarning)
    from oidc_provider_mock import User
    from oidc_provider_mock import app as provider_app

DEV_HR_USER = User(
    sub="hr.dev",
    claims={
        "name": "Dev HR",
        "email": "hr.dev@exitflow.test",
        "roles": ["hr"],
        "exitflow_jobs": ["*"],
    },
)
DEV_OPS_USER = User(
    sub="ops.dev",
    claims={"name": "Dev Ops", "email": "ops.dev@exitflow.test", "roles": ["ops"]},
)
DEV_USERS = (DEV_HR_USER, DEV_OPS_USER)
DEV_CLIENT_ID = "exitflow-dev"
"""exitflow's client id at the dev stack's provider, hence the audience the API verifies."""
DEV_REDIRECT_URI = "http://127.0.0.1:9/signed-in"
"""Never contacted: :func:`sign_in` reads the code from the provider's redirect."""
SHUTDOWN_TIMEOUT_SECONDS = 5.0


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    """Serves like werkzeug's handler without a log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass(frozen=True)
class LocalOidcProvider:
    """A running provider: where it is, and a way to rotate its signing key."""

    issuer: str
    """The provider's issuer, also the base of its discovery URL."""
    _flask_app: flask.Flask

    def rotate_signing_key(self) -> None:
        """Replace the provider's signing key: from now on it signs with, and its JWKS
        publishes, only a new key, as a provider does when it rotates."""
        from authlib import jose  # the mock keeps an authlib key; imported only here

        with self._flask_app.test_request_context():
            self._flask_app.preprocess_request()  # the mock binds its storage to flask.g
            storage = flask.g.oidc_provider_mock_storage
        storage.jwk = jose.RSAKey.generate_key(is_private=True)


@contextmanager
def run_oidc_provider(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    users: Sequence[User] = DEV_USERS,
    token_max_age: timedelta = timedelta(hours=1),
) -> Iterator[LocalOidcProvider]:
    """Run a provider in a background thread until the block ends.

    Args:
        host: The address to listen on, and the host of the issuer URL.
        port: The port; 0 picks a free one.
        users: The predefined users offered on the sign-in form.
        token_max_age: How long the tokens it issues live.

    Raises:
        TimeoutError: The server did not stop within ``SHUTDOWN_TIMEOUT_SECONDS``.
    """
    flask_app = provider_app(
        user_claims=tuple(users), access_token_max_age=token_max_age, issue_refresh_token=False
    )
    server = werkzeug.serving.make_server(
        host, port, flask_app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="oidc-provider"
    )
    thread.start()
    try:
        yield LocalOidcProvider(issuer=f"http://{host}:{server.server_port}", _flask_app=flask_app)
    finally:
        server.shutdown()
        thread.join(SHUTDOWN_TIMEOUT_SECONDS)
        server.server_close()
        if thread.is_alive():
            raise TimeoutError("the OIDC provider did not stop in time")


class SignInFailed(Exception):
    """The local provider refused a step of signing a user in."""


async def sign_in(
    issuer: str,
    sub: str,
    *,
    client_id: str = DEV_CLIENT_ID,
    redirect_uri: str = DEV_REDIRECT_URI,
) -> str:
    """Sign ``sub`` in at this provider (authorization code + PKCE) and return the JWT.

    The provider's sign-in form is posted as a person picking ``sub`` would; the code its
    redirect carries is exchanged at the token endpoint. Only for this provider: a real one
    asks the person for their password.

    Raises:
        SignInFailed: The provider refused a step of the flow.
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(16)
    async with httpx.AsyncClient(timeout=10) as http:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        chosen = await http.post(
            discovery["authorization_endpoint"],
            params={
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": "openid profile email",
                "state": state,
                "code_challenge": challenge.rstrip(b"=").decode(),
                "code_challenge_method": "S256",
            },
            data={"sub": sub},
        )
        if chosen.status_code != 302:
            raise SignInFailed(f"the provider did not sign {sub!r} in ({chosen.status_code})")
        redirect = urlsplit(chosen.headers["location"])
        query = parse_qs(redirect.query)
        if query.get("state") != [state] or "code" not in query:
            raise SignInFailed("the provider's redirect carried no code for this sign-in")
        issued = await http.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            auth=(client_id, "any-secret-the-mock-accepts"),
        )
        if issued.status_code != 200:
            raise SignInFailed(f"the token endpoint refused the code ({issued.status_code})")
        token: str = issued.json()["id_token"]
        return token
