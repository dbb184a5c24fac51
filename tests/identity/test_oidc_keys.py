"""The provider's keys: fetched once, refreshed on rotation at most every 30 s, kept when
the provider is down."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from devstack.oidc_provider import LocalOidcProvider, run_oidc_provider
from identity.oidc import InvalidToken, ProviderUnavailable, TokenVerifier
from tests.fixtures.oidc import CLIENT_ID, TEST_USERS, Verifying, token_for
from tests.identity import forged

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib


async def test_a_rotated_key_is_accepted_after_one_refresh(
    rotating_oidc_provider: LocalOidcProvider, verifier_for: Callable[..., Verifying]
) -> None:
    """After the provider rotates, its new tokens verify once 30 s have passed since the last
    fetch, with one more JWKS fetch shared by concurrent callers; tokens of the retired key
    are refused from then on."""
    issuer = rotating_oidc_provider.issuer
    verifying = verifier_for(issuer)
    before = await token_for(issuer, "hr-one")
    assert (await verifying.verifier.verify(before)).subject == "hr-one"
    assert verifying.jwks_fetches == 1

    rotating_oidc_provider.rotate_signing_key()
    after = await token_for(issuer, "ops-1")
    with pytest.raises(InvalidToken, match=r"^bad signature$"):
        await verifying.verifier.verify(after)  # within 30 s of the last fetch: no refetch
    assert verifying.jwks_fetches == 1

    verifying.clock.now += 31
    people = await asyncio.gather(*(verifying.verifier.verify(after) for _ in range(10)))
    assert {person.subject for person in people} == {"ops-1"}  # callers share the one fetch
    assert verifying.jwks_fetches == 2
    with pytest.raises(InvalidToken, match=r"^bad signature$"):
        await verifying.verifier.verify(before)
    assert verifying.jwks_fetches == 2


async def test_a_storm_of_unknown_kids_costs_one_fetch_per_30_seconds(
    oidc_provider: LocalOidcProvider, verifier_for: Callable[..., Verifying]
) -> None:
    """Regression guard for contract §9's floor: concurrent tokens naming unknown keys share
    one JWKS fetch, and no more are made until 30 s have passed."""
    verifying = verifier_for(oidc_provider.issuer)
    claims = forged.claims_of(await token_for(oidc_provider.issuer, "hr-one"))
    await verifying.verifier.verify(await token_for(oidc_provider.issuer, "hr-one"))
    assert verifying.jwks_fetches == 1

    async def storm() -> set[str]:
        tokens = [forged.signed_with_own_key(claims, kid=f"unknown-{n}") for n in range(40)]
        results = await asyncio.gather(
            *(verifying.verifier.verify(token) for token in tokens), return_exceptions=True
        )
        return {r.reason if isinstance(r, InvalidToken) else repr(r) for r in results}

    fetches = []
    for advance in (31, 10, 10, 11):  # at 31 s, 41 s, 51 s and 62 s after the first fetch
        verifying.clock.now += advance
        assert await storm() == {"unknown signing key"}
        fetches.append(verifying.jwks_fetches)

    assert fetches == [2, 2, 2, 3]


async def test_keys_older_than_their_ttl_are_fetched_again(
    oidc_provider: LocalOidcProvider, verifier_for: Callable[..., Verifying]
) -> None:
    """Known keys are refreshed on their TTL too, not only when a token names a new one."""
    verifying = verifier_for(oidc_provider.issuer, keys_ttl_seconds=60)
    token = await token_for(oidc_provider.issuer, "hr-all")
    await verifying.verifier.verify(token)
    verifying.clock.now += 59
    await verifying.verifier.verify(token)
    assert verifying.jwks_fetches == 1

    verifying.clock.now += 2
    await verifying.verifier.verify(token)
    assert verifying.jwks_fetches == 2


async def test_a_provider_outage_keeps_the_cached_keys(
    verifier_for: Callable[..., Verifying],
) -> None:
    """Once keys are fetched, a provider that goes away does not sign everyone out."""
    with run_oidc_provider(users=TEST_USERS) as provider:
        token = await token_for(provider.issuer, "ops-1")
        verifying = verifier_for(provider.issuer, keys_ttl_seconds=60)
        await verifying.verifier.verify(token)
        assert verifying.jwks_fetches == 1

    verifying.clock.now += 61  # the keys are due a refresh, and the provider is gone
    assert (await verifying.verifier.verify(token)).role == "ops"
    assert (await verifying.verifier.verify(token)).role == "ops"
    verifying.clock.now += 31
    assert (await verifying.verifier.verify(token)).role == "ops"
    assert verifying.jwks_fetches == 3  # one failed attempt per 30 s, no more


async def test_an_unreachable_provider_is_unavailable_not_an_invalid_token() -> None:
    """No keys and no provider: 503 material (ProviderUnavailable), never a 401."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(issuer=f"http://127.0.0.1:{port}", audience=CLIENT_ID)
    token = forged.signed_with_own_key({"sub": "x"}, kid=None)
    try:
        with pytest.raises(ProviderUnavailable, match=r"^provider unreachable"):
            await verifier.verify(token)
    finally:
        await verifier.aclose()
