"""Who is calling: API keys (machines) and OIDC access tokens (people), and what they may do.

Every keyed route runs :func:`authenticate`, which proves the caller to be a
:class:`~identity.principal.Principal` and checks its role; routes that act or read per job
take that principal (``Caller``) to name the actor and to keep an HR person to their jobs.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config import Settings
from config.secrets import api_key_entries
from contract.codes import ROLES, ErrorCode, Role
from identity.oidc import InvalidToken, ProviderUnavailable, TokenVerifier
from identity.principal import Principal
from starter.api.browser_session import session_token
from starter.api.nul_guard import refuse_nul_characters
from store import ApiKeys

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key (EXITFLOW_API_KEYS, or made with `exitflow keys create`), or a "
    "person's OIDC access token; its role (platform, hr, ops) says which routes it may call.",
)


class ApiError(Exception):
    """A refusal by the API itself, answered with the contract's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Keep the HTTP status, the error code, a sentence and optional details."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def invalid_field(field: str, message: str) -> ApiError:
    """A 422 naming ``field``, in the contract's error shape."""
    return ApiError(
        422, ErrorCode.INVALID_FIELD, message, {"fields": [{"field": field, "message": message}]}
    )


@dataclass(frozen=True)
class ApiKey:
    """One configured key, the role it grants, and the name the audit trail knows it by."""

    role: Role
    secret: bytes
    name: str


def parse_api_keys(raw: str | None) -> list[ApiKey]:
    """Read ``role:key,role:key``; no keys means every call is refused with 401.

    A role may have several keys, so that one can be replaced without downtime; they are
    named ``platform``, ``platform-2``, ... in the order given.

    Raises:
        ValueError: When an entry is not ``role:key``, names an unknown role, or holds a
            weak or shared key (``config.secrets.api_key_entries``).
    """
    keys: list[ApiKey] = []
    for role, secret in api_key_entries(raw):
        if role not in ROLES:
            raise ValueError(f"EXITFLOW_API_KEYS names a role that is not one of {ROLES}")
        count = sum(1 for key in keys if key.role == role)
        name = role if count == 0 else f"{role}-{count + 1}"
        keys.append(ApiKey(role=role, secret=secret.encode(), name=name))  # type: ignore[arg-type]
    return keys


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


def _configured_key(keys: list[ApiKey], presented: bytes) -> Principal | None:
    found: ApiKey | None = None
    # Compare with every key, so the time taken says nothing about which one matched.
    for known in keys:
        if hmac.compare_digest(known.secret, presented):
            found = known
    if found is None:
        return None
    return Principal(kind="key", role=found.role, subject=found.name)


async def _stored_key(keys: ApiKeys, token: str) -> Principal | None:
    # Only a key made by ``exitflow keys create`` (its prefix, its length) reaches the database.
    stored = await keys.find(token)
    if stored is None:
        return None
    await keys.note_use(stored.name)
    return Principal(kind="key", role=stored.role, subject=stored.name)


async def _person(verifier: TokenVerifier, token: str) -> Principal:
    try:
        return await verifier.verify(token)
    except InvalidToken as refused:
        raise ApiError(
            401,
            "unauthorized",
            f"The access token was refused: {refused.reason}.",
            {"reason": refused.reason},
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    except ProviderUnavailable:
        raise ApiError(
            503,
            "identity_provider_unavailable",
            "The sign-in provider cannot be reached to check the token; retry shortly.",
            headers={"Retry-After": "5"},
        ) from None


async def _prove(request: Request, token: str) -> Principal | None:
    principal = _configured_key(request.app.state.api_keys, token.encode())
    if principal is not None:
        return principal
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is not None and _looks_like_jwt(token):
        return await _person(verifier, token)
    stored_keys: ApiKeys | None = getattr(request.app.state, "stored_keys", None)
    if stored_keys is not None:
        return await _stored_key(stored_keys, token)
    return None


async def authenticate(
    request: Request, roles: tuple[str, ...], *, token: str | None = None
) -> Principal:
    """The caller, proven by its credential, if its role may call this route.

    Args:
        request: The request carrying ``Authorization: Bearer <key or access token>``.
        roles: Roles allowed here; empty means any role.
        token: The credential when it came another way (the dashboard's HTTP Basic
            password, the sign-in cookie); None reads the Bearer token.

    Raises:
        ApiError: 401 for a missing, unknown or refused credential, 403 for a role that may
            not, 503 when the identity provider cannot be reached.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        if token is None:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            token = presented.strip() if scheme.lower() == "bearer" else ""
        principal = await _prove(request, token) if token else None
    if principal is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API key or access token as Authorization: Bearer <credential>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.principal = principal
    if roles and principal.role not in roles:
        raise ApiError(
            403,
            "forbidden",
            f"The {principal.role} role may not call this route.",
            {"role": principal.role, "allowed_roles": list(roles)},
        )
    return principal


async def authenticate_signed_in(request: Request, roles: tuple[str, ...]) -> Principal | None:
    """The person the HR pages' sign-in cookie proves; None without a usable cookie.

    For HTML pages only: JSON routes take Bearer credentials alone, so that no form of
    another site can act with a browser's cookie.

    Raises:
        ApiError: As :func:`authenticate` does for the token the cookie holds.
    """
    token = session_token(request)
    return None if token is None else await authenticate(request, roles, token=token)


class VerifyPeople:
    """Verifies people's tokens as ``settings`` say, and is the app's lifespan.

    Put ``verifier`` (None without an issuer) on ``app.state.verifier`` when the app is
    made, so that apps driven without a lifespan (tests over ASGI) verify too; leaving the
    lifespan closes it.
    """

    def __init__(self, settings: Settings) -> None:
        """Make the verifier.

        Raises:
            ValueError: An issuer is configured without an audience.
        """
        self.verifier = TokenVerifier.from_settings(settings)

    @asynccontextmanager
    async def __call__(self, app: FastAPI) -> AsyncIterator[None]:
        """Run the app; close the verifier's HTTP client after it."""
        yield
        if self.verifier is not None:
            await self.verifier.aclose()


def caller(request: Request) -> Principal:
    """The principal :func:`authenticate` proved for this request (a route dependency)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - every keyed route authenticates first
        raise ApiError(401, "unauthorized", "Send a valid API key or access token.")
    return principal


Caller = Annotated[Principal, Depends(caller)]


def allowed(*roles: Role) -> dict[str, Any]:
    """Route keyword arguments that admit only ``roles`` (none: any valid credential).

    The roles also go into the OpenAPI document as ``x-roles``.
    """

    async def check(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> None:
        await authenticate(request, roles)

    return {
        "dependencies": [Depends(check), Depends(refuse_nul_characters)],
        "openapi_extra": {"x-roles": list(roles)},
    }
