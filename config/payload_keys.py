"""The payload encryption keys in ``EXITFLOW_PAYLOAD_KEYS``: how they are written and read.

Settings validate them here; ``runtime/codec.py`` encrypts with them.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass

from config.secrets import weakness

KEY_BYTES = 32
_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, repr=False)
class PayloadKey:
    """One AES-256 key and the id payloads name it by."""

    key_id: str
    secret: bytes

    def __repr__(self) -> str:
        """Name the key, never show it."""
        return f"PayloadKey(key_id={self.key_id!r})"


def parse_payload_keys(raw: str) -> list[PayloadKey]:
    """Read ``kid1:base64key,kid2:base64key``; the first key is the active one.

    Raises:
        ValueError: When an entry is not ``id:base64``, a key is not 32 random-looking
            bytes, or an id repeats.
    """
    keys: list[PayloadKey] = []
    for entry in raw.split(","):
        if not entry.strip():
            continue
        key_id, _, encoded = entry.strip().partition(":")
        if not _KEY_ID_PATTERN.fullmatch(key_id) or not encoded:
            raise ValueError("EXITFLOW_PAYLOAD_KEYS entries must be id:base64key")
        try:
            secret = base64.b64decode(encoded, validate=True)
        except binascii.Error as err:
            raise ValueError(f"payload key {key_id!r} is not valid base64") from err
        if len(secret) != KEY_BYTES:
            raise ValueError(f"payload key {key_id!r} must be {KEY_BYTES} bytes (AES-256)")
        if len(set(secret)) < 8:
            raise ValueError(f"payload key {key_id!r} is a placeholder; generate a random key")
        if (reason := weakness(secret)) is not None:
            raise ValueError(f"payload key {key_id!r} {reason}; generate a random key")
        if any(key.key_id == key_id for key in keys):
            raise ValueError(f"payload key id {key_id!r} appears twice")
        keys.append(PayloadKey(key_id, secret))
    if not keys:
        raise ValueError("EXITFLOW_PAYLOAD_KEYS holds no key")
    return keys


def new_payload_key(key_id: str) -> str:
    """A fresh ``id:base64key`` entry for ``EXITFLOW_PAYLOAD_KEYS``."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"
