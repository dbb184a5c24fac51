"""What makes a configured secret strong enough to start with, and the API keys' layout.

Every message names the variable (and the role or key id) and never the secret itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MIN_SECRET_BYTES = 32
_MIN_DISTINCT_CHARACTERS = 8
# Placeholders and the most common passwords: they count for nothing towards a secret's length.
_COMMON = re.compile(
    rb"changeme|password|passwd|secret|placeholder|example|default|replaceme|insecure|letmein"
    rb"|welcome|qwerty|iloveyou|monkey|dragon|master|sunshine|princess|football|baseball"
    rb"|trustno|superman|shadow|exitflow|abcdefgh|12345678|87654321"
)
_SHORT_PLACEHOLDERS = {b"test", b"dev", b"xxx", b"todo", b"none", b"null", b"admin", b"pass"}
_GENERATE = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def weakness(secret: bytes, *, min_bytes: int = MIN_SECRET_BYTES) -> str | None:
    """Why ``secret`` is too weak to use, or None when it is strong enough.

    Too weak: shorter than ``min_bytes``, even more so once the placeholders and common
    words in it are left out (case, spaces, ``-`` and ``_`` aside), or made of fewer than
    eight different characters. A readable prefix in front of enough randomness is fine.
    """
    if len(secret) < min_bytes:
        return f"is shorter than {min_bytes} bytes"
    folded = re.sub(rb"[\s_-]", b"", secret.lower())
    rest = _COMMON.sub(b"", folded)
    if len(secret) - (len(folded) - len(rest)) < min_bytes:
        return (
            f"is shorter than {min_bytes} bytes without its placeholders and common words "
            "(such as changeme or password)"
        )
    if len(set(rest)) < _MIN_DISTINCT_CHARACTERS:
        return "repeats too few different characters to be random"
    return None


def is_placeholder(secret: str) -> bool:
    """Whether ``secret`` is nothing but placeholders, common words, digits and punctuation."""
    letters = re.sub(rb"[^a-z]", b"", secret.lower().encode())
    return not _COMMON.sub(b"", letters) or letters in _SHORT_PLACEHOLDERS


def refuse_weak(variable: str, secret: str) -> None:
    """Refuse a free-form secret (a key or token secret) that :func:`weakness` finds weak.

    Raises:
        ValueError: Naming ``variable`` and the reason, with the way to make a strong one.
    """
    reason = weakness(secret.encode())
    if reason is not None:
        raise ValueError(f"{variable} {reason}; generate one with: {_GENERATE}")


def api_key_entries(raw: str | None) -> list[tuple[str, str]]:
    """``EXITFLOW_API_KEYS`` (``role:key,role:key``) as ``(role, key)`` pairs.

    Which roles exist is the contract's to say (``starter/api/auth.py`` checks it).

    Raises:
        ValueError: When an entry is not ``role:key``, a key is weak, or two entries hold
            the same key.
    """
    entries: list[tuple[str, str]] = []
    for entry in (raw or "").split(","):
        if not entry.strip():
            continue
        role, separator, key = entry.strip().partition(":")
        if not separator or not role or not key:
            raise ValueError("EXITFLOW_API_KEYS holds an entry that is not role:key")
        refuse_weak(f"EXITFLOW_API_KEYS: the {role} key", key)
        entries.append((role, key))
    refuse_shared((f"EXITFLOW_API_KEYS ({role})", [key.encode()]) for role, key in entries)
    return entries


def refuse_shared(secrets: Iterable[tuple[str, list[bytes]]]) -> None:
    """Refuse one secret serving two purposes (two roles, or two variables).

    Args:
        secrets: Each purpose's name and the forms its secret takes (as written, decoded).

    Raises:
        ValueError: Naming both purposes.
    """
    seen: dict[bytes, str] = {}
    for name, forms in secrets:
        for form in forms:
            first = seen.setdefault(form, name)
            if first != name:
                raise ValueError(f"{first} and {name} hold the same secret; give each its own")
