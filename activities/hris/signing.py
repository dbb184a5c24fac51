"""Standard Webhooks signatures (https://www.standardwebhooks.com), symmetric ``v1`` scheme.

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is the
base64 HMAC-SHA256 of it, written ``v1,<base64>``. A ``webhook-signature`` header may carry
several space-separated signatures so that a receiver keeps working while secrets rotate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
_REQUIRED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class WebhookVerificationError(Exception):
    """A webhook's headers or signature do not prove it came from the holder of the key."""


def key_from_secret(secret: str) -> bytes:
    """Decode a ``whsec_<base64>`` secret into the raw HMAC key.

    Args:
        secret: The secret, with or without the ``whsec_`` prefix.

    Returns:
        The key bytes.

    Raises:
        ValueError: The secret is not base64 or decodes to nothing.
    """
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        # Some producers strip the padding; restore it rather than refuse the secret.
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except binascii.Error as err:
        raise ValueError("webhook secret is not valid base64 after whsec_") from err
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def new_secret() -> str:
    """Generate a fresh ``whsec_`` secret holding 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _digest(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed_content = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed_content, hashlib.sha256).digest()


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """Sign one delivery.

    Args:
        key: The raw HMAC key (see `key_from_secret`).
        msg_id: The ``webhook-id`` header value.
        timestamp: The ``webhook-timestamp`` header value, Unix seconds.
        body: The exact request body bytes.

    Returns:
        The ``webhook-signature`` header value, ``v1,<base64>``.
    """
    signature = base64.b64encode(_digest(key, msg_id, timestamp, body)).decode("ascii")
    return f"{SIGNATURE_VERSION},{signature}"


def verify(
    key: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check that a delivery was signed with ``key`` recently.

    Args:
        key: The raw HMAC key.
        headers: The request headers; names are matched case-insensitively.
        body: The exact request body bytes.
        tolerance_seconds: How far the timestamp may lie from ``now``, either way; bounds
            how long a captured delivery can be replayed.
        now: The current Unix time; defaults to the clock.

    Raises:
        WebhookVerificationError: A header is missing or malformed, the timestamp is too
            old or too new, or no ``v1`` signature in the header matches.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    raw_timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and raw_timestamp and signatures):
        missing = [name for name in _REQUIRED_HEADERS if not lowered.get(name)]
        raise WebhookVerificationError(f"missing header(s): {', '.join(missing)}")

    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        raise WebhookVerificationError(
            f"webhook-timestamp is not Unix seconds: {raw_timestamp!r}"
        ) from None
    current = time.time() if now is None else now
    if timestamp < current - tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too old")
    if timestamp > current + tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too new")

    expected = _digest(key, msg_id, timestamp, body)
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != SIGNATURE_VERSION:
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(expected, given):
            return
    raise WebhookVerificationError("no matching v1 signature")
