"""The OIDC provider's published signing keys, fetched lazily and refreshed on rotation.

The keys are found through ``{issuer}/.well-known/openid-configuration`` (its ``jwks_uri``)
and kept for ``ttl_seconds``. A token signed by a key not in the cached set asks for a fetch
at once (contract §9), but at most one fetch per ``refresh_floor_seconds``: a storm of
tokens naming unknown keys costs the provider one request, and concurrent callers share it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key, KeySet

from identity.errors import ProviderUnavailable
from identity.provider_http import provider_json

logger = logging.getLogger(__name__)

MAX_DISCOVERY_BYTES = 64 * 1024
MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 50
MAX_URL_LENGTH = 2000
FETCH_TIMEOUT_SECONDS = 5.0
_KEY_TYPES = {"RSA", "EC", "OKP"}  # never "oct": a shared secret is no provider's public key
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth"}


class ProviderKeys:
    """The provider's public signing keys, with the fetch policy of contract §9."""

    def __init__(
        self,
        issuer: str,
        http: httpx.AsyncClient,
        *,
        clock: Callable[[], float],
        ttl_seconds: float = 3600.0,
        refresh_floor_seconds: float = 30.0,
    ) -> None:
        self._issuer = issuer
        self._http = http
        self._clock = clock
        self._ttl_seconds = ttl_seconds
        self._refresh_floor_seconds = refresh_floor_seconds
        self._lock = asyncio.Lock()
        self._keys: KeySet | None = None
        self._jwks_uri: str | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    async def current(self) -> KeySet:
        """The cached keys; fetched first, or again once older than the TTL.

        Raises:
            ProviderUnavailable: No keys were ever fetched and the provider cannot be read.
        """
        keys = self._keys
        if keys is not None and not self._elapsed(self._fetched_at, self._ttl_seconds):
            return keys
        async with self._lock:
            if self._keys is keys and self._may_fetch():
                try:
                    await self._fetch()
                except ProviderUnavailable:
                    if self._keys is None:
                        raise
                    logger.warning("OIDC keys not refreshed; the cached ones stay in use")
        if self._keys is None:
            raise ProviderUnavailable("provider keys not yet readable")
        return self._keys

    async def refreshed(self, seen: KeySet) -> KeySet | None:
        """Fresh keys for a token ``seen`` could not verify, or None within the floor.

        A caller that waited while another fetched gets that fetch's keys without a second.

        Raises:
            ProviderUnavailable: The fetch was due and the provider cannot be read.
        """
        async with self._lock:
            if self._keys is not seen:
                return self._keys
            if not self._may_fetch():
                return None
            await self._fetch()
            return self._keys

    def _may_fetch(self) -> bool:
        return self._attempted_at is None or self._elapsed(
            self._attempted_at, self._refresh_floor_seconds
        )

    def _elapsed(self, since: float, seconds: float) -> bool:
        passed = self._clock() - since
        return passed < 0 or passed >= seconds  # a clock set back must not stall refreshes

    async def _fetch(self) -> None:
        self._attempted_at = self._clock()
        if self._jwks_uri is None:
            self._jwks_uri = await self._discover()
        keys = _public_keys(await self._get_json(self._jwks_uri, MAX_JWKS_BYTES))
        self._keys = keys
        self._fetched_at = self._clock()
        logger.info("OIDC keys fetched", extra={"key_count": len(keys.keys)})

    async def _discover(self) -> str:
        url = self._issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await self._get_json(url, MAX_DISCOVERY_BYTES)
        if document.get("issuer") != self._issuer:
            raise ProviderUnavailable("discovery document names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not 0 < len(jwks_uri) <= MAX_URL_LENGTH:
            raise ProviderUnavailable("discovery document has no usable jwks_uri")
        scheme = jwks_uri.partition("://")[0].lower()
        if scheme not in {"http", "https"} or (
            self._issuer.lower().startswith("https://") and scheme != "https"
        ):
            raise ProviderUnavailable("discovery document has no usable jwks_uri")
        return jwks_uri

    async def _get_json(self, url: str, limit: int) -> dict[str, Any]:
        _, document = await provider_json(
            self._http, "GET", url, limit=limit, timeout=FETCH_TIMEOUT_SECONDS
        )
        return document


def _public_keys(document: dict[str, Any]) -> KeySet:
    """The signing keys of a JWKS document; keys exitflow cannot use are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list) or len(entries) > MAX_KEYS:
        raise ProviderUnavailable("JWKS has no usable key list")
    keys: list[Key] = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") not in _KEY_TYPES:
            continue
        if entry.get("use", "sig") != "sig":
            continue
        public = {name: value for name, value in entry.items() if name not in _PRIVATE_MEMBERS}
        try:
            keys.append(JWKRegistry.import_key(public))
        except (JoseError, ValueError, TypeError):
            continue
    if not keys:
        raise ProviderUnavailable("JWKS has no usable signing key")
    return KeySet(keys)
