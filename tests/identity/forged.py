"""Tokens an attacker could make: re-headed, re-signed, tampered copies of real ones."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

OWN_KEY = RSAKey.generate_key(2048)
"""A signing key no provider publishes."""


def b64(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """The bytes of a base64url segment."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def claims_of(token: str) -> dict[str, Any]:
    """The (unverified) claims of a compact JWT."""
    claims: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return claims


def signed_with_own_key(claims: dict[str, Any], *, kid: str | None) -> str:
    """``claims`` signed RS256 by ``OWN_KEY``, naming ``kid`` when given."""
    header: dict[str, Any] = {"alg": "RS256"} if kid is None else {"alg": "RS256", "kid": kid}
    return jwt.encode(header, claims, OWN_KEY)


def alg_none(token: str) -> str:
    """``token``'s claims under ``alg: none`` with an empty signature."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{token.split('.')[1]}."


async def hs256_with_public_key(token: str, issuer: str) -> str:
    """``token``'s claims signed HS256 with the provider's public key (PEM) as the secret."""
    async with httpx.AsyncClient() as http:
        jwks = (await http.get(f"{issuer}/jwks")).json()
    pem = RSAKey.import_key(jwks["keys"][0]).as_pem(private=False)
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{token.split('.')[1]}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def with_claims(token: str, **changes: Any) -> str:
    """``token`` with its payload changed and its signature kept."""
    header, _, signature = token.split(".")
    payload = b64(json.dumps({**claims_of(token), **changes}).encode())
    return f"{header}.{payload}.{signature}"


def with_signature_flipped(token: str) -> str:
    """``token`` with one byte of its signature changed."""
    header, payload, signature = token.split(".")
    raw = bytearray(unb64(signature))
    raw[len(raw) // 2] ^= 0x01
    return f"{header}.{payload}.{b64(bytes(raw))}"
