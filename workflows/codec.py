"""Payload encryption: the Temporal server and its database hold ciphertext only.

Every payload a client or worker sends is wrapped as ``binary/encrypted``: AES-256-GCM over
the serialised original payload, with a fresh 96-bit nonce, and the id of the key in the
metadata (``encryption-key-id``). Encryption always uses the first (active) key; decryption
uses whichever key the payload names, so payloads written before a rotation still open as
long as their key stays in the list. Payloads that are not encrypted (histories recorded
before encryption, a platform that sends plain JSON) pass through unchanged.

Clients and workers use this, never workflow code: it is applied outside the sandbox.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from workflows.converter import data_converter

if TYPE_CHECKING:
    from config import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")


class PayloadDecryptionError(ValueError):
    """An encrypted payload names an unknown key, or its ciphertext does not verify."""


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
        if any(key.key_id == key_id for key in keys):
            raise ValueError(f"payload key id {key_id!r} appears twice")
        keys.append(PayloadKey(key_id, secret))
    if not keys:
        raise ValueError("EXITFLOW_PAYLOAD_KEYS holds no key")
    return keys


def new_payload_key(key_id: str) -> str:
    """A fresh ``id:base64key`` entry for ``EXITFLOW_PAYLOAD_KEYS``."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM with the key id in each payload's metadata."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        """Encrypt with ``keys[0]``; decrypt with any of ``keys``.

        Raises:
            ValueError: When no key is given.
        """
        if not keys:
            raise ValueError("the encryption codec needs at least one key")
        self._active = keys[0]
        self._ciphers = {key.key_id: AESGCM(key.secret) for key in keys}

    @property
    def active_key_id(self) -> str:
        """The id new payloads are encrypted under."""
        return self._active.key_id

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt every payload under the active key."""
        cipher = self._ciphers[self._active.key_id]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), None)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, KEY_ID: self._active.key_id.encode()},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt encrypted payloads; pass any other payload through unchanged.

        Raises:
            PayloadDecryptionError: When a payload names a key not configured here, or
                its ciphertext was altered.
        """
        return [self._decrypt(payload) for payload in payloads]

    def _decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadDecryptionError(f"payload encrypted with unknown key id {key_id!r}")
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, None))
        except InvalidTag as err:
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} does not verify (altered or wrong key)"
            ) from err


def encrypted(converter: DataConverter, codec: PayloadCodec) -> DataConverter:
    """``converter`` with ``codec`` on every payload, failure messages included.

    Failure messages and stack traces move into an encoded payload too, since an error
    text can quote a candidate's data.
    """
    return dataclasses.replace(
        converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter_for(settings: Settings) -> DataConverter:
    """exitflow's data converter, encrypting payloads when ``EXITFLOW_PAYLOAD_KEYS`` is set."""
    if settings.payload_keys is None:
        return data_converter
    keys = parse_payload_keys(settings.payload_keys.get_secret_value())
    return encrypted(data_converter, EncryptionCodec(keys))
