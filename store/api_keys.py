"""API keys made at run time: named, one role each, stored hashed, revocable, last use kept.

Reach them as ``Store.keys``. A key's secret is shown once, when it is made; the table keeps
only its SHA-256. Making and revoking a key each append an entry to the audit chain, inside
the same transaction, so the trail says which key existed when and who acted.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from contract.codes import Role
from store.audit import iso_utc
from store.audit_entries import append_entry
from store.substore import SubStore
from store.tables import ApiKeyRow

__all__ = ["KEY_PREFIX", "ApiKeys", "KeyNameTaken", "NewKey", "StoredKey", "hash_secret"]

KEY_PREFIX = "efk_"
"""How every key made here starts, so that a leaked one is recognisable (and scannable)."""
KEY_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"
"""1 to 64 lower-case letters, digits, ``.``, ``_``, ``-``; a letter or digit at each end."""
NOTE_USE_INTERVAL = timedelta(minutes=1)
"""A key's last use is written at most this often by one process."""
KEY_CREATED = "api_key.created"
KEY_REVOKED = "api_key.revoked"

_SECRET_BYTES = 32
_MAX_SECRET_CHARS = 200
_MAX_REMEMBERED_USES = 10_000

KeyName = Annotated[str, Field(min_length=1, max_length=64, pattern=KEY_NAME_PATTERN)]


class StoredKey(BaseModel):
    """An API key as stored: never its secret, nor the secret's hash."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class NewKey(BaseModel):
    """What making a key takes; refusals name the field (``name``, ``role``, ``expires_at``).

    Validate with ``context={"now": <datetime>}``: an expiry must lie after it.
    """

    model_config = ConfigDict(extra="forbid")

    name: KeyName
    role: Role
    expires_at: AwareDatetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        now = (info.context or {}).get("now")
        if value is not None and now is not None and value <= now:
            raise ValueError("must lie in the future")
        return value


class KeyNameTaken(ValueError):
    """A key with this name exists, or existed and was revoked; nothing was made."""

    field = "name"

    def __init__(self, name: str) -> None:
        """Keep the name refused."""
        super().__init__(f"an API key named {name!r} exists or was revoked; choose another name")
        self.name = name


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest under which a key's secret is stored and looked up.

    A plain, unsalted, fast hash is enough here, unlike for passwords: every secret is 32
    random bytes from ``secrets``, so there is no dictionary to try and 2**256 guesses to
    make; a salt or a slow hash (bcrypt, scrypt) would buy nothing and would rule out
    finding a key by its hash in one indexed read on every request.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys(SubStore):
    """API keys made at run time on one store's database; ``Store.keys``."""

    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], datetime] | None = None) -> None:
        """Work on ``engine``; ``clock`` stamps every change (UTC now by default)."""
        super().__init__(engine, clock=clock)
        self._last_noted: dict[str, datetime] = {}

    async def create(
        self, name: str, role: str, expires_at: datetime | None = None, *, actor_id: str = ""
    ) -> tuple[StoredKey, str]:
        """Make a key and audit it; the secret is returned here and never again.

        Args:
            name: 1 to 64 of ``a-z 0-9 . _ -``, unique for ever (revoked names stay taken).
            role: ``platform``, ``hr`` or ``ops``.
            expires_at: When the key stops working (timezone-aware, in the future); None:
                never.
            actor_id: Who made it, for the audit entry (an operator's id, no name).

        Returns:
            The stored key, and its secret: ``efk_`` and 32 random bytes in base64url.

        Raises:
            pydantic.ValidationError: Naming ``name``, ``role`` or ``expires_at``.
            KeyNameTaken: When the name is or was in use.
        """
        at = self._clock()
        request = NewKey.model_validate(
            {"name": name, "role": role, "expires_at": expires_at}, context={"now": at}
        )
        secret = KEY_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        row = ApiKeyRow(
            name=request.name,
            role=request.role,
            secret_hash=hash_secret(secret),
            created_at=at,
            expires_at=request.expires_at,
        )
        facts: dict[str, Any] = {"key_name": request.name, "role": request.role}
        facts["expires_at"] = iso_utc(request.expires_at) if request.expires_at else None
        async with self._writing() as session:
            if await session.get(ApiKeyRow, request.name) is not None:
                raise KeyNameTaken(request.name)
            session.add(row)
            await session.flush()
            await append_entry(
                session,
                event_id=f"{KEY_CREATED}:{request.name}",
                type=KEY_CREATED,
                at=at,
                facts={**facts, "actor_id": actor_id},
            )
        return StoredKey.model_validate(row), secret

    async def list(self) -> list[StoredKey]:
        """Every key ever made, revoked ones too, oldest first (keys are made by hand: few)."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.name)
        async with self._reads() as session:
            rows = (await session.scalars(query)).all()
        return [StoredKey.model_validate(row) for row in rows]

    async def revoke(self, name: str, *, actor_id: str = "") -> bool:
        """Revoke the key at once and audit it; its row and name stay.

        Returns:
            False when no key has this name or it was revoked already (nothing changed).
        """
        at = self._clock()
        async with self._writing() as session:
            row = await session.get(ApiKeyRow, name)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = at
            await session.flush()
            await append_entry(
                session,
                event_id=f"{KEY_REVOKED}:{name}",
                type=KEY_REVOKED,
                at=at,
                facts={"key_name": name, "role": row.role, "actor_id": actor_id},
            )
        self._last_noted.pop(name, None)
        return True

    async def find(self, secret: str) -> StoredKey | None:
        """The key whose secret this is, if it is neither revoked nor expired; else None.

        One indexed read by the secret's hash. Looking a hash up is not a timing leak: what
        the lookup's time could tell about is the hash, which a caller cannot steer.
        """
        if not secret.startswith(KEY_PREFIX) or len(secret) > _MAX_SECRET_CHARS:
            return None
        query = select(ApiKeyRow).where(ApiKeyRow.secret_hash == hash_secret(secret))
        async with self._reads() as session:
            row = await session.scalar(query)
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= self._clock():
            return None
        return StoredKey.model_validate(row)

    async def note_use(self, name: str) -> None:
        """Note that the key was just used: written at most once a minute per key.

        The time of this process's last write is kept in memory, so a busy key costs one
        write a minute, not one per request; several processes each write their own, and
        the stored time only ever moves forward.
        """
        at = self._clock()
        last = self._last_noted.get(name)
        if last is not None and at - last < NOTE_USE_INTERVAL:
            return
        if len(self._last_noted) >= _MAX_REMEMBERED_USES:
            self._last_noted.clear()
        # Remembered before the write, so that requests arriving meanwhile do not write too.
        self._last_noted[name] = at
        async with self._writes() as session, session.begin():
            await session.execute(
                update(ApiKeyRow)
                .where(ApiKeyRow.name == name)
                .where(or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < at))
                .values(last_used_at=at)
            )
