"""People's tokens against a real local OIDC provider: who each proves, and every refusal."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import Settings
from devstack.oidc_provider import LocalOidcProvider
from identity.oidc import InvalidToken, TokenVerifier
from tests.fixtures.oidc import CLIENT_ID, Verifying, token_for
from tests.identity import forged

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the provider's authlib


@dataclass(frozen=True)
class Providers:
    main: LocalOidcProvider
    other: LocalOidcProvider


MakeToken = Callable[[Providers], Awaitable[str]]


def person(sub: str) -> MakeToken:
    return lambda providers: token_for(providers.main.issuer, sub)


async def _other_issuer(providers: Providers) -> str:
    return await token_for(providers.other.issuer, "hr-one")


async def _same_key_other_issuer(providers: Providers) -> str:
    """The provider names the issuer by the host it is reached at: same key, other ``iss``."""
    return await token_for(providers.main.issuer.replace("127.0.0.1", "localhost"), "hr-one")


async def _wrong_audience(providers: Providers) -> str:
    return await token_for(providers.main.issuer, "hr-one", client_id="another-client")


async def _alg_none(providers: Providers) -> str:
    return forged.alg_none(await token_for(providers.main.issuer, "ops-1"))


async def _hs256_with_public_key(providers: Providers) -> str:
    token = await token_for(providers.main.issuer, "hr-one")
    return await forged.hs256_with_public_key(
        forged.with_claims(token, sub="ops-1"), providers.main.issuer
    )


async def _tampered_payload(providers: Providers) -> str:
    token = await token_for(providers.main.issuer, "hr-one")
    return forged.with_claims(token, exitflow_jobs="*")


async def _tampered_signature(providers: Providers) -> str:
    return forged.with_signature_flipped(await token_for(providers.main.issuer, "hr-one"))


def _own_key(kid: str | None) -> MakeToken:
    async def make(providers: Providers) -> str:
        claims = forged.claims_of(await token_for(providers.main.issuer, "hr-one"))
        return forged.signed_with_own_key(claims, kid=kid)

    return make


async def _constant(value: str) -> str:
    return value


ACCEPTED: list[tuple[str, MakeToken, dict[str, Any]]] = [
    (
        "hr scoped to one job",
        person("hr-one"),
        {"role": "hr", "subject": "hr-one", "name": "HR One", "jobs": frozenset({"job-a"})},
    ),
    ("hr with every job", person("hr-all"), {"role": "hr", "subject": "hr-all", "jobs": None}),
    ("ops", person("ops-1"), {"role": "ops", "subject": "ops-1", "jobs": None}),
]

REFUSED: list[tuple[str, MakeToken, str]] = [
    ("a person with no exitflow role", person("nobody"), "no exitflow role"),
    ("a token from another provider", _other_issuer, "bad signature"),
    ("this provider's key naming another issuer", _same_key_other_issuer, "wrong issuer"),
    ("a token for another client", _wrong_audience, "wrong audience"),
    ("alg none", _alg_none, "algorithm not allowed"),
    ("HS256 keyed with the public key", _hs256_with_public_key, "algorithm not allowed"),
    ("a tampered payload", _tampered_payload, "bad signature"),
    ("a tampered signature", _tampered_signature, "bad signature"),
    ("an unpublished key naming a kid", _own_key("not-published"), "unknown signing key"),
    ("an unpublished key naming no kid", _own_key(None), "bad signature"),
    ("not a JWT", lambda _: _constant("not-a-jwt"), "malformed"),
    ("a JWE", lambda _: _constant("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), "malformed"),
    ("too long", lambda _: _constant("e" * 20_000), "too long"),
]


@pytest.mark.parametrize(("case", "make", "expected"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
async def test_a_person_is_who_their_token_says(
    case: str,
    make: MakeToken,
    expected: dict[str, Any],
    oidc_provider: LocalOidcProvider,
    other_oidc_provider: LocalOidcProvider,
    verifier_for: Callable[..., Verifying],
) -> None:
    """A provider-signed token becomes a verified person with the role and jobs it names."""
    token = await make(Providers(oidc_provider, other_oidc_provider))
    principal = await verifier_for(oidc_provider.issuer).verifier.verify(token)

    assert principal.kind == "person" and principal.verified
    assert principal.email == f"{principal.subject}@exitflow.test"
    assert {name: getattr(principal, name) for name in expected} == expected


@pytest.mark.parametrize(("case", "make", "reason"), REFUSED, ids=[c[0] for c in REFUSED])
async def test_a_token_that_proves_nothing_is_refused_with_its_reason(
    case: str,
    make: MakeToken,
    reason: str,
    oidc_provider: LocalOidcProvider,
    other_oidc_provider: LocalOidcProvider,
    verifier_for: Callable[..., Verifying],
) -> None:
    """Each refusal names a short reason, and never the token or its claims."""
    token = await make(Providers(oidc_provider, other_oidc_provider))

    with pytest.raises(InvalidToken) as refused:
        await verifier_for(oidc_provider.issuer).verifier.verify(token)

    assert refused.value.reason == reason
    assert str(refused.value) == reason


async def test_an_expired_token_is_refused_after_the_leeway(
    short_lived_oidc_provider: LocalOidcProvider, verifier_for: Callable[..., Verifying]
) -> None:
    """The provider's ``exp`` (one second after issue) holds, with 30 s for clock skew."""
    issued_after = time.time()
    token = await token_for(short_lived_oidc_provider.issuer, "hr-one")
    verifying = verifier_for(short_lived_oidc_provider.issuer)

    verifying.clock.now = issued_after + 20
    assert (await verifying.verifier.verify(token)).subject == "hr-one"

    verifying.clock.now = issued_after + 40
    with pytest.raises(InvalidToken, match=r"^expired$"):
        await verifying.verifier.verify(token)


async def test_a_token_issued_in_the_future_is_not_yet_valid(
    oidc_provider: LocalOidcProvider, verifier_for: Callable[..., Verifying]
) -> None:
    """A verifier whose clock is two minutes behind the provider's refuses its fresh tokens."""
    token = await token_for(oidc_provider.issuer, "hr-one")
    verifying = verifier_for(oidc_provider.issuer)
    verifying.clock.now = time.time() - 120

    with pytest.raises(InvalidToken, match=r"^not yet valid$"):
        await verifying.verifier.verify(token)


def test_no_issuer_means_no_verifier_and_an_issuer_needs_an_audience() -> None:
    """Without ``EXITFLOW_OIDC_ISSUER`` people cannot sign in; with it, an audience is needed."""
    assert TokenVerifier.from_settings(Settings(oidc_issuer=None)) is None
    with pytest.raises(ValueError, match="EXITFLOW_OIDC_AUDIENCE"):
        TokenVerifier.from_settings(Settings(oidc_issuer="https://id.example.com"))
    made = TokenVerifier.from_settings(
        Settings(oidc_issuer="https://id.example.com", oidc_client_id="exitflow")
    )
    assert isinstance(made, TokenVerifier)


_SEGMENT = st.binary(max_size=80).map(forged.b64) | st.text(max_size=40)
_HEADER = st.fixed_dictionaries(
    {"alg": st.sampled_from(["RS256", "ES256", "EdDSA", "none", "HS256"]) | st.text(max_size=8)},
    optional={"kid": st.text(max_size=12), "b64": st.booleans(), "crit": st.lists(st.text())},
).map(lambda header: forged.b64(json.dumps(header).encode()))
_TOKENS = (
    st.text(max_size=300)
    | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1"))
    | st.lists(_SEGMENT, min_size=1, max_size=6).map(".".join)
    | st.tuples(_HEADER, _SEGMENT, _SEGMENT).map(".".join)
)


@pytest.fixture(scope="module")
async def fuzzed_verifier(oidc_provider: LocalOidcProvider) -> Any:
    verifier = TokenVerifier(issuer=oidc_provider.issuer, audience=CLIENT_ID)
    yield verifier
    await verifier.aclose()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=_TOKENS)
async def test_any_string_is_either_a_person_or_invalid_token(
    fuzzed_verifier: TokenVerifier, token: str
) -> None:
    """Whatever arrives as a bearer token, the verifier answers InvalidToken, never crashes."""
    with pytest.raises(InvalidToken):
        await fuzzed_verifier.verify(token)
