"""Standard Webhooks signing and verification."""

from __future__ import annotations

import base64

import pytest

from activities.hris.signing import (
    WebhookVerificationError,
    key_from_secret,
    new_secret,
    sign,
    verify,
)

# The reference library's own test vector (standard-webhooks/standard-webhooks).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_715_333_400
BODY = '{"type":"interview.withdrawn","data":{"session_id":"s-1","stage":"技能"}}'.encode()


def _headers(key: bytes, *, msg_id: str = "msg_ev-1", timestamp: int = NOW) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, msg_id, timestamp, BODY),
    }


def test_sign_matches_the_spec_test_vector() -> None:
    """Signing the reference library's example gives its expected signature."""
    key = key_from_secret(SPEC_SECRET)
    assert sign(key, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE


def test_verify_accepts_the_spec_test_vector() -> None:
    """The reference library's example verifies at its own timestamp."""
    headers = {
        "Webhook-Id": SPEC_MSG_ID,
        "Webhook-Timestamp": str(SPEC_TIMESTAMP),
        "Webhook-Signature": SPEC_SIGNATURE,
    }
    verify(key_from_secret(SPEC_SECRET), headers, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_round_trip_with_a_new_secret() -> None:
    """A body signed with a fresh secret verifies with the same secret."""
    secret = new_secret()
    assert secret.startswith("whsec_")
    key = key_from_secret(secret)
    assert len(key) == 32
    verify(key, _headers(key), BODY, now=NOW)


def test_new_secrets_differ() -> None:
    """Every generated secret is new."""
    assert new_secret() != new_secret()


def test_unpadded_secret_is_accepted() -> None:
    """A secret whose base64 padding was stripped decodes to the same key."""
    key = bytes(range(31))
    padded = base64.b64encode(key).decode()
    assert padded.endswith("=")
    assert key_from_secret("whsec_" + padded.rstrip("=")) == key


def test_invalid_secret_is_refused() -> None:
    """A secret that is not base64 raises ValueError."""
    with pytest.raises(ValueError, match="base64"):
        key_from_secret("whsec_not*base64")


def test_one_matching_signature_among_several_suffices() -> None:
    """A header with several space-separated signatures verifies if one of them matches."""
    key = key_from_secret(new_secret())
    headers = _headers(key)
    headers["webhook-signature"] = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v1a,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "garbage",
            headers["webhook-signature"],
        ]
    )
    verify(key, headers, BODY, now=NOW)


def test_tampered_body_is_rejected() -> None:
    """Changing one byte of the body breaks the signature."""
    key = key_from_secret(new_secret())
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify(key, _headers(key), BODY.replace(b"s-1", b"s-2"), now=NOW)


def test_wrong_key_is_rejected() -> None:
    """A signature made with another key does not verify."""
    key = key_from_secret(new_secret())
    with pytest.raises(WebhookVerificationError, match="no matching"):
        verify(key_from_secret(new_secret()), _headers(key), BODY, now=NOW)


def test_signature_of_another_version_is_rejected() -> None:
    """The right digest labelled with another version does not count."""
    key = key_from_secret(new_secret())
    headers = _headers(key)
    headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    with pytest.raises(WebhookVerificationError):
        verify(key, headers, BODY, now=NOW)


@pytest.mark.parametrize(
    ("offset", "message"), [(-301, "too old"), (301, "too new")], ids=["stale", "future"]
)
def test_timestamp_outside_tolerance_is_rejected(offset: int, message: str) -> None:
    """A correctly signed delivery more than five minutes off the clock is refused."""
    key = key_from_secret(new_secret())
    with pytest.raises(WebhookVerificationError, match=message):
        verify(key, _headers(key, timestamp=NOW + offset), BODY, now=NOW)


def test_timestamp_at_the_tolerance_edge_is_accepted() -> None:
    """Exactly five minutes off the clock still verifies."""
    key = key_from_secret(new_secret())
    verify(key, _headers(key, timestamp=NOW - 300), BODY, now=NOW)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(missing: str) -> None:
    """A delivery without one of the three headers is refused, naming the header."""
    key = key_from_secret(new_secret())
    headers = _headers(key)
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=missing):
        verify(key, headers, BODY, now=NOW)


def test_non_numeric_timestamp_is_rejected() -> None:
    """A timestamp that is not Unix seconds is refused."""
    key = key_from_secret(new_secret())
    headers = _headers(key)
    headers["webhook-timestamp"] = "2024-05-10T09:30:00Z"
    with pytest.raises(WebhookVerificationError, match="Unix seconds"):
        verify(key, headers, BODY, now=NOW)
