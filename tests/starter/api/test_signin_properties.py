"""Properties of the HR pages' sign-in edge: where ``next`` may lead, and what a cookie
proves, over any input (hypothesis)."""

from __future__ import annotations

import string
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from starter.api.browser_session import CookieSigner
from starter.api.signin import local_path

SIGNER = CookieSigner(b"k" * 16 + b"0123456789abcdef")
_URLISH = st.text(alphabet=string.printable + "\\/:.@%\u2028\u00a0é", max_size=60)
_PAYLOADS = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=80)


@settings(max_examples=400)
@given(raw=_URLISH | st.text(max_size=60))
def test_next_is_a_path_on_this_site_or_refused(raw: str) -> None:
    """Whatever ``next`` says, the sign-in leads back to a path of this site or refuses it:
    no scheme, no host, no ``//`` (a browser reads it as another host), no backslash (some
    read it as a slash), no control or non-ASCII character."""
    kept = local_path(raw)

    if kept is not None:
        assert kept == raw
        assert kept.startswith("/") and not kept.startswith("//") and "\\" not in kept
        assert kept.isascii() and kept.isprintable()
        parts = urlsplit(kept)
        assert not parts.scheme and not parts.netloc


@given(purpose=st.sampled_from(["flow", "session"]), payload=_PAYLOADS)
def test_a_signed_value_opens_for_its_purpose_only(purpose: str, payload: str) -> None:
    """What the signer sealed opens to the same payload, for the same purpose only."""
    sealed = SIGNER.sign(purpose, payload)
    other = "session" if purpose == "flow" else "flow"

    assert SIGNER.unsign(purpose, sealed) == payload
    assert SIGNER.unsign(other, sealed) is None


@given(payload=_PAYLOADS, position=st.integers(min_value=0), char=st.characters())
def test_any_change_to_a_signed_value_is_refused(payload: str, position: int, char: str) -> None:
    """Changing any one character of a sealed value makes it open to nothing."""
    sealed = SIGNER.sign("session", payload)
    index = position % len(sealed)
    changed = sealed[:index] + char + sealed[index + 1 :]

    if changed != sealed:
        assert SIGNER.unsign("session", changed) is None


@settings(max_examples=300)
@given(value=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.hex()))
def test_any_cookie_value_opens_to_nothing_without_raising(value: str) -> None:
    """A cookie the signer did not make (any text) proves nobody, and never raises (a
    non-ASCII CSRF field was a TypeError, hence a 500 on sign-out, until this test)."""
    assert SIGNER.open_session(value) is None
    assert SIGNER.unsign("flow", value) is None
    assert not SIGNER.csrf_matches(value, value)


@given(token=_PAYLOADS, lifetime=st.integers(min_value=-10_000, max_value=10_000))
def test_a_session_cookie_holds_its_token_until_it_expires(token: str, lifetime: int) -> None:
    """A sealed session opens to its token before its expiry and to nothing from then on."""
    now = 1_800_000_000
    sealed = SIGNER.seal_session(token, now + lifetime)

    assert sealed is not None
    assert SIGNER.open_session(sealed, now=now) == (token if lifetime > 0 else None)
