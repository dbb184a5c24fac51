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

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from config.payload_keys import PayloadKey, parse_payload_keys
from runtime.converter import data_converter

if TYPE_CHECKING:
    from config import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16


class PayloadDecryptionError(ValueError):
    """An encrypted payload names an unknown key, or its ciphertext does not verify."""


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
        if len(payload.data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} is too short to be ciphertext "
                f"({len(payload.data)} bytes, at least {NONCE_BYTES + TAG_BYTES} needed)"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, None))
        except InvalidTag as err:
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} does not verify (altered or wrong key)"
            ) from err
        except DecodeError as err:
            # Verified, so written with our key: but not by this codec.
            raise PayloadDecryptionError(
                f"payload under key {key_id!r} does not hold a serialised payload"
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
