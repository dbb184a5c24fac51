"""exitflow as an OIDC client of the people's provider: its endpoints and its token endpoint.

Everything read from the provider is bounded in size (``MAX_PROVIDER_ANSWER_BYTES``) and time
(``PROVIDER_TIMEOUT_SECONDS`` per step, twice that in all); redirects are not followed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from identity.oidc import ProviderUnavailable
from identity.provider_http import provider_json as read_provider_json
from starter.api.browser_session import CookieSigner

MAX_PROVIDER_ANSWER_BYTES = 64 * 1024
PROVIDER_TIMEOUT_SECONDS = 5.0


class CodeRefused(Exception):
    """The token endpoint refused the code or exitflow's client credentials."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class SignInClient:
    """exitflow as a client of the people's provider, with its endpoints once discovered."""

    issuer: str
    client_id: str
    client_secret: str | None
    signer: CookieSigner
    endpoints: tuple[str, str] | None = None
    """The provider's authorization and token endpoints, read from discovery."""

    async def discovered(self) -> tuple[str, str]:
        """The authorization and token endpoints.

        Raises:
            ProviderUnavailable: The discovery document cannot be read or is unusable.
        """
        if self.endpoints is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            document = await provider_json("GET", url)
            if document.get("issuer") != self.issuer:
                raise ProviderUnavailable("discovery document names another issuer")
            endpoints = document.get("authorization_endpoint"), document.get("token_endpoint")
            https_only = self.issuer.lower().startswith("https://")
            for endpoint in endpoints:
                if not isinstance(endpoint, str) or not 0 < len(endpoint) <= 2000:
                    raise ProviderUnavailable("discovery document has no usable endpoints")
                scheme = endpoint.partition("://")[0].lower()
                if scheme not in {"http", "https"} or (https_only and scheme != "https"):
                    raise ProviderUnavailable("discovery document has no usable endpoints")
            self.endpoints = (str(endpoints[0]), str(endpoints[1]))
        return self.endpoints


async def provider_json(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    """A JSON object from the provider, read within a size and a time limit.

    Raises:
        CodeRefused: The token endpoint answered 400 or 401 (its ``error`` is kept).
        ProviderUnavailable: Any other failure to read a JSON object.
    """
    refusals = (400, 401) if method == "POST" else ()
    async with httpx.AsyncClient() as http:
        status, document = await read_provider_json(
            http,
            method,
            url,
            limit=MAX_PROVIDER_ANSWER_BYTES,
            timeout=PROVIDER_TIMEOUT_SECONDS,
            answered=(200, *refusals),
            **kwargs,
        )
    if status in refusals:
        error = str(document.get("error", "unknown"))
        raise CodeRefused(error[:64] if error.isprintable() else "unknown")
    return document
