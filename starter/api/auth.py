"""Bearer keys with one role each, compared in constant time; roles say which routes."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from config.secrets import api_key_entries
from contract.codes import ROLES, ErrorCode, Role
from starter.api.nul_guard import refuse_nul_characters

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from EXITFLOW_API_KEYS; its role (platform, hr, ops) says which "
    "routes it may call.",
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
    """One configured key and the role it grants."""

    role: Role
    secret: bytes


def parse_api_keys(raw: str | None) -> list[ApiKey]:
    """Read ``role:key,role:key``; no keys means every call is refused with 401.

    Raises:
        ValueError: When an entry is not ``role:key``, names an unknown role, or holds a
            weak or shared key (``config.secrets.api_key_entries``).
    """
    keys = []
    for role, secret in api_key_entries(raw):
        if role not in ROLES:
            raise ValueError(f"EXITFLOW_API_KEYS names a role that is not one of {ROLES}")
        keys.append(ApiKey(role=role, secret=secret.encode()))  # type: ignore[arg-type]
    return keys


def authorize(request: Request, roles: tuple[str, ...], *, key: str | None = None) -> Role:
    """The caller's role, if its key is known and the role may call this route.

    Args:
        request: The request carrying ``Authorization: Bearer <key>``.
        roles: Roles allowed here; empty means any role.
        key: The key when it came another way (the dashboard's HTTP Basic password);
            None reads the Bearer token.

    Raises:
        ApiError: 401 for a missing or unknown key, 403 for a role that may not.
    """
    if key is None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    presented = key.encode()
    role: Role | None = None
    if presented:
        # Compare with every key, so the time taken says nothing about which one matched.
        for known in request.app.state.api_keys:
            if hmac.compare_digest(known.secret, presented):
                role = known.role
    if role is None:
        raise ApiError(
            401,
            "unauthorized",
            "Send a valid API key as Authorization: Bearer <key>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if roles and role not in roles:
        raise ApiError(
            403,
            "forbidden",
            f"The {role} role may not call this route.",
            {"role": role, "allowed_roles": list(roles)},
        )
    return role


def allowed(*roles: Role) -> dict[str, Any]:
    """Route keyword arguments that admit only ``roles`` (none: any valid key).

    The roles also go into the OpenAPI document as ``x-roles``.
    """

    async def check(
        request: Request,
        _credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> None:
        authorize(request, roles)

    return {
        "dependencies": [Depends(check), Depends(refuse_nul_characters)],
        "openapi_extra": {"x-roles": list(roles)},
    }
