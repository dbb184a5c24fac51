"""Reading JSON from the people's OIDC provider, bounded in size and time, no redirects."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from identity.errors import ProviderUnavailable


async def provider_json(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    limit: int,
    timeout: float,  # noqa: ASYNC109 - per step, and twice that for the whole read
    answered: tuple[int, ...] = (200,),
    **kwargs: Any,
) -> tuple[int, dict[str, Any]]:
    """The status and JSON object of the provider's answer.

    Args:
        http: The client to ask with.
        method: ``GET`` or ``POST``.
        url: Where to ask.
        limit: The most bytes the answer may have.
        timeout: Seconds per step (connect, each read); the whole read gets twice that.
        answered: The statuses whose body is wanted (the token endpoint's 400 and 401 say
            why it refused, in JSON).
        kwargs: Passed to ``httpx.AsyncClient.stream`` (``data``, ``auth``).

    Raises:
        ProviderUnavailable: Another status, no answer in time, too large, or not a JSON
            object.
    """
    body = bytearray()
    try:
        async with (
            asyncio.timeout(2 * timeout),
            http.stream(
                method,
                url,
                headers={"Accept": "application/json"},
                timeout=timeout,
                follow_redirects=False,
                **kwargs,
            ) as answer,
        ):
            if answer.status_code not in answered:
                raise ProviderUnavailable(f"provider answered {answer.status_code}")
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise ProviderUnavailable("provider answer too large")
    except (httpx.HTTPError, TimeoutError) as err:
        raise ProviderUnavailable(f"provider unreachable ({type(err).__name__})") from None
    try:
        document = json.loads(body)
    except ValueError:
        raise ProviderUnavailable("provider answer is not JSON") from None
    if not isinstance(document, dict):
        raise ProviderUnavailable("provider answer is not a JSON object")
    return answer.status_code, document
