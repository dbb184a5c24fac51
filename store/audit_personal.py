"""The personal part of an audit entry: split off the facts, sealed by a salted digest.

An entry's hashed body holds the facts (ids, kinds, reason codes, times, who acted) and,
when the event carried free text about a person (a comment, an explanation, the notice
sent, a fault's detail, a contest's statement and HR's answer), a digest of that text
instead of the text. The text itself lives in ``audit_personal`` with the digest's salt,
a row an erasure can blank without touching the chain: the digest stays, verifiable
against the text while it exists, and worthless once the random salt is gone (a short
value such as a name cannot be found again by trying candidates against it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

DIGEST_KEY = "personal_digest"
"""Key of the body's HMAC-SHA256 (hex) of the personal fields, keyed by their salt."""

PERSONAL_PATHS = (
    "exit.comment",
    "exit.explanation",
    "exit.notice_text",
    "exit.fault.detail",
    "contest.statement",
    "contest.decision_explanation",
)
"""Where free text about a person sits in an entry's facts (dotted paths)."""

RAW_LEGACY_PATH = "legacy_body"
"""The personal field holding a whole pre-0006 body that could not be split field by field."""


def split_personal(facts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts without their personal text, and that text by path; ``facts`` is kept.

    A path whose value is null stays in the facts (that there was no comment is a fact);
    one with text moves out, its key gone from the facts.
    """
    public = dict(facts)
    personal: dict[str, Any] = {}
    for path in PERSONAL_PATHS:
        *parents, key = path.split(".")
        holder = _copied_path(public, parents, create=False)
        if holder is not None and holder.get(key) is not None:
            personal[path] = holder.pop(key)
    return public, personal


def merge_personal(public: dict[str, Any], personal: dict[str, Any]) -> dict[str, Any]:
    """``split_personal`` undone: the facts with the personal text back in its place."""
    facts = dict(public)
    for path, value in personal.items():
        *parents, key = path.split(".")
        holder = _copied_path(facts, parents, create=True)
        assert holder is not None
        holder[key] = value
    return facts


def _copied_path(
    facts: dict[str, Any], parents: list[str], *, create: bool
) -> dict[str, Any] | None:
    """The dict at ``parents`` in ``facts``, each dict on the way replaced by a shallow copy
    (so the caller's nested dicts stay as they were); None where one is missing."""
    holder = facts
    for name in parents:
        child = holder.get(name)
        if not isinstance(child, dict):
            if not create:
                return None
            child = {}
        holder[name] = child = dict(child)
        holder = child
    return holder


def new_salt() -> str:
    """A fresh random salt for one entry's digest."""
    return secrets.token_hex(32)


def personal_digest(salt: str, fields_json: str) -> str:
    """HMAC-SHA256 (hex) of the personal fields' canonical JSON, keyed by the entry's salt."""
    return hmac.new(bytes.fromhex(salt), fields_json.encode(), hashlib.sha256).hexdigest()


def digest_matches(digest: str, salt: str | None, fields_json: str) -> bool:
    """Whether ``fields_json`` under ``salt`` is what the entry's ``digest`` sealed."""
    try:
        expected = personal_digest(salt or "", fields_json)
    except ValueError:  # a salt that is not hex
        return False
    return hmac.compare_digest(expected, digest)
