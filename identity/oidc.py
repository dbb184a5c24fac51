"""Verify a person's OIDC token (a JWT) against the provider's published keys (contract §9).

What is checked, in order: length (at most ``MAX_TOKEN_LENGTH``), shape (JWS compact, never
JWE), the header's ``alg`` against ``ALLOWED_ALGORITHMS`` (never ``none``, never ``HS*``), the
signature against the provider's JWKS (see ``identity.jwks`` for fetching and rotation), then
``iss`` (exactly the configured issuer), ``aud`` (names the configured audience), ``exp``,
``nbf`` and ``iat`` with ``LEEWAY_SECONDS``, and ``sub``. JOSE itself is joserfc's.

Claims become a ``Principal`` by the rules of ``identity.claims``.

A provider that cannot be read raises ``ProviderUnavailable`` (answer 503), not
``InvalidToken`` (answer 401).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import ClaimError, ExpiredTokenError, InvalidPayloadError, JoseError
from joserfc.jwk import Key, KeySet

from config import Settings
from identity.claims import claims_to_principal
from identity.errors import InvalidToken, ProviderUnavailable, TokenRefusal
from identity.jwks import ProviderKeys
from identity.principal import Principal

__all__ = ["InvalidToken", "ProviderUnavailable", "TokenVerifier", "claims_to_principal"]

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
MAX_TOKEN_LENGTH = 16 * 1024
LEEWAY_SECONDS = 30
# Header parameters a provider adds beyond RFC 7515's are tolerated, as RFC 7515 asks
_REGISTRIES = {
    alg: jws.JWSRegistry(algorithms=[alg], strict_check_header=False) for alg in ALLOWED_ALGORITHMS
}
_CLAIM_REFUSALS: dict[str, TokenRefusal] = {
    "iss": "wrong issuer",
    "aud": "wrong audience",
    "nbf": "not yet valid",
    "iat": "not yet valid",
    "sub": "bad subject",
}


class TokenVerifier:
    """Turns a bearer token into the ``Principal`` it proves, or refuses it."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        roles_claim: str = "roles",
        scope_claim: str = "exitflow_jobs",
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        keys_ttl_seconds: float = 3600.0,
        refresh_floor_seconds: float = 30.0,
    ) -> None:
        self._issuer = issuer
        self._audience = audience
        self._roles_claim = roles_claim
        self._scope_claim = scope_claim
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self._clock = clock
        self._keys = ProviderKeys(
            issuer,
            self._http,
            clock=clock,
            ttl_seconds=keys_ttl_seconds,
            refresh_floor_seconds=refresh_floor_seconds,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, *, http: httpx.AsyncClient | None = None
    ) -> TokenVerifier | None:
        """The verifier ``EXITFLOW_OIDC_*`` describe; None when no issuer is configured.

        Raises:
            ValueError: An issuer is set without an audience (nor a client id to use as one).
        """
        if not settings.oidc_issuer:
            return None
        audience = settings.oidc_audience or settings.oidc_client_id
        if not audience:
            raise ValueError("EXITFLOW_OIDC_AUDIENCE is required when EXITFLOW_OIDC_ISSUER is set")
        return cls(
            issuer=settings.oidc_issuer,
            audience=audience,
            roles_claim=settings.oidc_roles_claim,
            scope_claim=settings.oidc_scope_claim,
            http=http,
        )

    async def aclose(self) -> None:
        """Close the HTTP client, when this verifier made it."""
        if self._owns_http:
            await self._http.aclose()

    async def verify(self, token: str) -> Principal:
        """The person ``token`` proves.

        Raises:
            InvalidToken: The token proves nothing (its ``reason`` may be shown).
            ProviderUnavailable: The provider's keys cannot be read.
        """
        alg, kid = _header(token)
        keys = await self._keys.current()
        claims = _signed_claims(token, alg, kid, keys)
        if claims is None and (kid is None or not _with_kid(keys, kid)):
            fresh = await self._keys.refreshed(keys)
            if fresh is not None:
                keys = fresh
                claims = _signed_claims(token, alg, kid, keys)
        if claims is None:
            known = kid is None or _with_kid(keys, kid)
            raise InvalidToken("bad signature" if known else "unknown signing key")
        self._check_claims(claims)
        return claims_to_principal(
            claims, roles_claim=self._roles_claim, scope_claim=self._scope_claim
        )

    def _check_claims(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("expired") from None
        except ClaimError as err:
            if err.error == "missing_claim":
                raise InvalidToken("missing claim") from None
            raise InvalidToken(_CLAIM_REFUSALS.get(err.claim, "malformed")) from None


def _header(token: str) -> tuple[str, str | None]:
    """The token's ``alg`` and ``kid``, before anything is trusted."""
    if not isinstance(token, str):
        raise InvalidToken("malformed")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("too long")
    if not token.isascii():
        raise InvalidToken("malformed")
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("malformed") from None
    alg, kid = header.get("alg"), header.get("kid")
    if not isinstance(alg, str) or alg not in _REGISTRIES:
        raise InvalidToken("algorithm not allowed")
    try:
        _REGISTRIES[alg].check_header(header)
    except JoseError:
        raise InvalidToken("malformed") from None
    if header.get("b64", True) is not True:
        raise InvalidToken("malformed")  # a JWT's payload is always base64url-encoded
    if kid is not None and (not isinstance(kid, str) or not 0 < len(kid) <= 256):
        raise InvalidToken("malformed")
    return alg, kid


def _with_kid(keys: KeySet, kid: str) -> list[Key]:
    return [key for key in keys.keys if key.kid == kid]


def _signed_claims(token: str, alg: str, kid: str | None, keys: KeySet) -> dict[str, Any] | None:
    """The claims, when one of the candidate keys verifies the signature; else None."""
    for key in keys.keys if kid is None else _with_kid(keys, kid):
        try:
            return jwt.decode(token, key, registry=_REGISTRIES[alg]).claims
        except InvalidPayloadError:
            raise InvalidToken("malformed") from None
        except (JoseError, ValueError, TypeError):
            continue  # wrong key type, curve or signature: try the next key
    return None
