"""API keys made at run time (``Store.keys``), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from store import ApiKeys, KeyNameTaken, Store
from store.api_keys import KEY_NAME_PATTERN, KEY_PREFIX, NewKey
from tests.store.helpers import fetch

_NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = _NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    """The time every ``keys`` call sees; starts at ``_NOW``."""
    return _Clock()


@pytest.fixture
def keys(store: Store, clock: _Clock) -> ApiKeys:
    """The store's API keys, on ``clock``'s time."""
    return ApiKeys(store.engine, clock=clock)


async def test_a_created_key_is_found_by_its_secret_and_listed_without_it(
    store: Store, keys: ApiKeys
) -> None:
    """``create`` returns an ``efk_`` secret once; ``find`` knows it; ``list`` never shows it."""
    made, secret = await keys.create("platform-2026", "platform")

    found = await keys.find(secret)
    listed = await store.keys.list()

    assert secret.startswith(KEY_PREFIX) and len(secret) == len(KEY_PREFIX) + 43
    assert found == made
    assert (made.name, made.role, made.created_at) == ("platform-2026", "platform", _NOW)
    assert listed == [made]
    assert secret not in made.model_dump_json()


async def test_the_table_holds_the_hash_not_the_secret(store: Store, keys: ApiKeys) -> None:
    """The stored row holds SHA-256(secret) and no column holds the secret itself."""
    _, secret = await keys.create("scripts", "ops")

    rows = await fetch(store, "SELECT * FROM api_keys")

    assert len(rows) == 1
    assert rows[0]["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in rows[0].values())


async def test_unknown_and_malformed_secrets_find_nothing(keys: ApiKeys) -> None:
    """A secret never made, one without the prefix and an oversized one find no key."""
    _, secret = await keys.create("platform-a", "platform")

    assert await keys.find(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert await keys.find(secret.removeprefix(KEY_PREFIX)) is None
    assert await keys.find(secret + "x" * 1000) is None
    assert await keys.find("") is None


async def test_two_keys_of_one_role_work_until_one_is_revoked(keys: ApiKeys) -> None:
    """Rotation: both platform keys work; revoking the old one leaves the new one working."""
    _, old = await keys.create("platform-old", "platform")
    _, new = await keys.create("platform-new", "platform")
    both = (await keys.find(old), await keys.find(new))

    revoked = await keys.revoke("platform-old")

    assert all(key is not None and key.role == "platform" for key in both)
    assert revoked is True
    assert await keys.find(old) is None
    assert await keys.find(new) is not None


async def test_a_revoked_key_is_listed_revoked_and_revoking_again_changes_nothing(
    keys: ApiKeys, clock: _Clock
) -> None:
    """Revoking stamps ``revoked_at`` once; a second revoke and an unknown name are False."""
    await keys.create("hr-tool", "hr")
    clock.now = _NOW + timedelta(hours=1)

    first = await keys.revoke("hr-tool")
    clock.now = _NOW + timedelta(hours=2)
    again = await keys.revoke("hr-tool")
    unknown = await keys.revoke("no-such-key")

    assert (first, again, unknown) == (True, False, False)
    [listed] = await keys.list()
    assert listed.revoked_at == _NOW + timedelta(hours=1)


async def test_a_revoked_name_stays_taken(keys: ApiKeys) -> None:
    """A name is never reused, even once its key is revoked, so the audit names one key."""
    await keys.create("platform-1", "platform")
    await keys.revoke("platform-1")

    with pytest.raises(KeyNameTaken) as refused:
        await keys.create("platform-1", "platform")

    assert refused.value.field == "name"
    assert len(await keys.list()) == 1


async def test_a_key_stops_working_when_it_expires(keys: ApiKeys, clock: _Clock) -> None:
    """An expiring key is found before ``expires_at`` and not from then on."""
    _, secret = await keys.create("short-lived", "ops", _NOW + timedelta(days=1))

    clock.now = _NOW + timedelta(days=1) - timedelta(seconds=1)
    before = await keys.find(secret)
    clock.now = _NOW + timedelta(days=1)
    at_expiry = await keys.find(secret)

    assert before is not None and before.expires_at == _NOW + timedelta(days=1)
    assert at_expiry is None


@pytest.mark.parametrize(
    ("name", "role", "expires_at", "field"),
    [
        ("Platform", "platform", None, "name"),
        ("-platform", "platform", None, "name"),
        ("a" * 65, "platform", None, "name"),
        ("", "platform", None, "name"),
        ("has space", "platform", None, "name"),
        ("platform-1", "admin", None, "role"),
        ("platform-1", "platform", _NOW, "expires_at"),
        ("platform-1", "platform", datetime(2027, 1, 1), "expires_at"),
    ],
)
async def test_bad_input_is_refused_naming_its_field(
    keys: ApiKeys, name: str, role: str, expires_at: datetime | None, field: str
) -> None:
    """A bad name, an unknown role, or an expiry not in the future (or naive) is refused,
    naming the field, and nothing is stored."""
    with pytest.raises(ValidationError) as refused:
        await keys.create(name, role, expires_at)

    assert [error["loc"] for error in refused.value.errors()] == [(field,)]
    assert await keys.list() == []


async def test_last_use_is_written_at_most_once_a_minute(
    store: Store, keys: ApiKeys, clock: _Clock
) -> None:
    """A busy key writes its last use once a minute: uses within the minute are not written.

    Guards the write load of a busy key: ``note_use`` on every request must not write."""
    made, _ = await keys.create("busy", "platform")

    async def stored_last_use() -> datetime | None:
        [row] = await fetch(store, "SELECT last_used_at FROM api_keys")
        value = row["last_used_at"]
        return value if isinstance(value, datetime | None) else datetime.fromisoformat(value)

    clock.now = _NOW + timedelta(seconds=5)
    await keys.note_use("busy")
    first = await stored_last_use()
    clock.now = _NOW + timedelta(seconds=64)
    await keys.note_use("busy")
    within_minute = await stored_last_use()
    clock.now = _NOW + timedelta(seconds=65)
    await keys.note_use("busy")
    after_minute = await stored_last_use()

    assert made.last_used_at is None
    assert _utc(first) == _NOW + timedelta(seconds=5)
    assert _utc(within_minute) == _NOW + timedelta(seconds=5)
    assert _utc(after_minute) == _NOW + timedelta(seconds=65)
    [listed] = await keys.list()
    assert listed.last_used_at == _NOW + timedelta(seconds=65)


async def test_last_use_never_moves_back(store: Store, keys: ApiKeys, clock: _Clock) -> None:
    """A process whose note is older than the stored one (another process wrote later)
    leaves the later time in place."""
    await keys.create("shared", "platform")
    other_process = ApiKeys(store.engine, clock=lambda: _NOW + timedelta(minutes=10))
    await other_process.note_use("shared")

    clock.now = _NOW + timedelta(minutes=5)
    await keys.note_use("shared")

    [listed] = await keys.list()
    assert listed.last_used_at == _NOW + timedelta(minutes=10)


async def test_creating_and_revoking_are_in_the_audit_chain(store: Store, keys: ApiKeys) -> None:
    """Each creation and revocation is one chain entry naming the key, never its secret;
    the chain still verifies."""
    _, secret = await keys.create("platform-x", "platform", actor_id="ops-7")
    await keys.revoke("platform-x", actor_id="ops-8")

    page = await store.audit_entries()
    verified = await store.verify_audit_chain()

    assert [entry.type for entry in page.items] == ["api_key.created", "api_key.revoked"]
    created, revoked = (entry.facts for entry in page.items)
    assert (created["key_name"], created["role"], created["actor_id"]) == (
        "platform-x",
        "platform",
        "ops-7",
    )
    assert (revoked["key_name"], revoked["actor_id"]) == ("platform-x", "ops-8")
    assert all(secret not in entry.model_dump_json() for entry in page.items)
    assert verified.ok and verified.events == 2


async def test_store_keys_is_the_one_front_door(store: Store) -> None:
    """``Store.keys`` makes keys on the store's own database, at the real time."""
    before = datetime.now(UTC)
    made, secret = await store.keys.create("front-door", "hr", before + timedelta(days=30))

    assert await store.keys.find(secret) == made
    assert made.created_at >= before


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@settings(max_examples=200, deadline=None)
@given(
    name=st.one_of(
        st.from_regex(KEY_NAME_PATTERN.removesuffix("$") + r"\Z"),
        st.text(max_size=70),
        st.text(alphabet="abc-._Z 0\n", max_size=70),
    )
)
def test_a_name_is_accepted_exactly_when_it_fits_the_pattern(name: str) -> None:
    """Any string is accepted as a key name exactly when it is 1-64 of ``a-z 0-9 . _ -``
    with a letter or digit at each end; otherwise the refusal names ``name``."""
    fits = re.fullmatch(KEY_NAME_PATTERN.strip("^$"), name) is not None
    try:
        NewKey.model_validate({"name": name, "role": "platform"})
    except ValidationError as err:
        assert not fits, err
        assert [error["loc"] for error in err.errors()] == [("name",)]
    else:
        assert fits
