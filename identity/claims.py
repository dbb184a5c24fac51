"""How a verified token's claims become a ``Principal`` (contract §9).

- **Role** from the roles claim (a list, or a space-separated string); only ``hr`` and
  ``ops`` count. A person holding both is ``ops``: a Principal has one role, and ops already
  sees every job. None of them: refused (``no exitflow role``).
- **Jobs** from the scope claim (a list of job ids, a space-separated string, or ``*``).
  ``ops`` or ``*``: every job (``None``). An ``hr`` person without the claim sees nothing (an
  empty set). Entries that cannot be a job id are dropped; more than ``MAX_SCOPE_JOBS``
  entries refuse the token (``scope too large``) rather than guess which to keep.
- **Subject** from ``sub``: an identity, so it is refused (``bad subject``) rather than cut
  when it is longer than 255 characters or not printable. **Name** (``name``, else
  ``preferred_username``) is for display, so it is cut to 200 characters. **Email** is kept
  only when it is a plausible address of at most 320 characters: a cut address is wrong.
- A claim name containing dots that is not itself a claim is read as a path, so Keycloak's
  ``realm_access.roles`` works without a mapper.
"""

from __future__ import annotations

import re
from typing import Any

from contract.codes import Role
from contract.sessions import IDENTIFIER_PATTERN, MAX_ID_LENGTH
from identity.errors import InvalidToken
from identity.principal import ALL_JOBS, Principal

MAX_SUBJECT_LENGTH = 255
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
MAX_SCOPE_JOBS = 1000
MAX_ROLE_ENTRIES = 100
_PERSON_ROLES: tuple[Role, ...] = ("ops", "hr")  # highest first
_JOB_ID = re.compile(IDENTIFIER_PATTERN)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def claims_to_principal(claims: dict[str, Any], *, roles_claim: str, scope_claim: str) -> Principal:
    """The person verified ``claims`` describe (the rules are in the module docstring).

    Raises:
        InvalidToken: No exitflow role, an unusable ``sub``, or a scope too large.
    """
    subject = claims.get("sub")
    if (
        not isinstance(subject, str)
        or not 0 < len(subject) <= MAX_SUBJECT_LENGTH
        or not subject.isprintable()
    ):
        raise InvalidToken("bad subject")
    role = _role(_claim(claims, roles_claim))
    jobs = None if role == "ops" else _jobs(_claim(claims, scope_claim))
    return Principal(
        kind="person",
        role=role,
        subject=subject,
        name=_name(claims),
        email=_email(claims.get("email")),
        jobs=jobs,
    )


def _claim(claims: dict[str, Any], name: str) -> Any:
    if name in claims or "." not in name:
        return claims.get(name)
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _words(value: Any, limit: int) -> list[str] | None:
    """A list of strings from a list or a space-separated string; None past ``limit``."""
    if isinstance(value, str):
        value = value.split(maxsplit=limit)
    if not isinstance(value, list):
        return []
    if len(value) > limit:
        return None
    return [item for item in value if isinstance(item, str)]


def _role(value: Any) -> Role:
    held = set(_words(value, MAX_ROLE_ENTRIES) or [])
    for role in _PERSON_ROLES:
        if role in held:
            return role
    raise InvalidToken("no exitflow role")


def _jobs(value: Any) -> frozenset[str] | None:
    if value is None:
        return frozenset()
    jobs = _words(value, MAX_SCOPE_JOBS)
    if jobs is None:
        raise InvalidToken("scope too large")
    if ALL_JOBS in jobs:
        return None
    return frozenset(
        job for job in jobs if len(job) <= MAX_ID_LENGTH and _JOB_ID.fullmatch(job) is not None
    )


def _name(claims: dict[str, Any]) -> str | None:
    for claim in ("name", "preferred_username"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME_LENGTH]
    return None


def _email(value: Any) -> str | None:
    if isinstance(value, str) and len(value) <= MAX_EMAIL_LENGTH and _EMAIL.fullmatch(value):
        return value
    return None
