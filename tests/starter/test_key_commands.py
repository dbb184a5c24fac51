"""``exitflow keys create``, ``keys list`` and ``keys revoke`` against a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from sessions.refusals import SessionRefused
from starter import cli, key_commands
from store import Store
from tests.fixtures.cli import run_json_command
from tests.store.helpers import fetch


async def test_create_prints_the_secret_once_and_list_never_shows_it(
    store_terminal: None, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """``keys create`` prints the key with its secret; ``keys list`` shows name, role and
    times, and neither the secret nor its hash."""
    before = datetime.now(UTC)
    made = await run_json_command(
        key_commands.add_to,
        ["keys", "create", "--name", "platform-2026", "--role", "platform", "--expires-days", "90"],
        capsys,
    )
    listed = await run_json_command(key_commands.add_to, ["keys", "list"], capsys)

    secret = made["secret"]
    assert secret.startswith("efk_")
    assert (made["name"], made["role"], made["revoked_at"]) == ("platform-2026", "platform", None)
    expires_at = datetime.fromisoformat(made["expires_at"])
    assert before + timedelta(days=90) <= expires_at <= datetime.now(UTC) + timedelta(days=90)
    assert [key["name"] for key in listed] == ["platform-2026"]
    assert set(listed[0]) == {
        "name",
        "role",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    [row] = await fetch(store, "SELECT secret_hash FROM api_keys")
    assert secret not in json.dumps(listed) and row["secret_hash"] not in json.dumps(listed)
    assert (await store.keys.find(secret)) is not None


async def test_revoke_stops_the_key_and_says_so_once(
    store_terminal: None, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """``keys revoke`` stamps the key revoked (it is found no more); a second revoke says it
    was revoked already; the entries name the actor."""
    made = await run_json_command(
        key_commands.add_to, ["keys", "create", "--name", "ops-script", "--role", "ops"], capsys
    )

    first = await run_json_command(
        key_commands.add_to, ["keys", "revoke", "ops-script", "--actor-id", "ops-7"], capsys
    )
    again = await run_json_command(key_commands.add_to, ["keys", "revoke", "ops-script"], capsys)

    assert first["revoked_now"] is True and first["revoked_at"] is not None
    assert again["revoked_now"] is False and again["revoked_at"] == first["revoked_at"]
    assert await store.keys.find(made["secret"]) is None
    entries = (await store.audit_entries()).items
    assert [(entry.type, entry.facts["actor_id"]) for entry in entries] == [
        ("api_key.created", ""),
        ("api_key.revoked", "ops-7"),
    ]


async def test_a_taken_name_and_an_unknown_name_are_refused_naming_the_field(
    store_terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Creating a name in use, or revoking one never made, is ``invalid_field`` on ``name``."""
    await run_json_command(
        key_commands.add_to, ["keys", "create", "--name", "hr-tool", "--role", "hr"], capsys
    )

    for argv in (
        ["keys", "create", "--name", "hr-tool", "--role", "hr"],
        ["keys", "revoke", "no-such-key"],
    ):
        args = cli._parser().parse_args(argv)
        with pytest.raises(SessionRefused) as refused:
            await args.run(args)
        assert refused.value.code == "invalid_field"
        assert [item["field"] for item in refused.value.details["fields"]] == ["name"]


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["--name", "Bad Name", "--role", "platform"], "name"),
        (["--name", "good-name", "--role", "admin"], "role"),
        (["--name", "good-name", "--role", "hr", "--actor-id", "a b"], "actor_id"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    store_terminal: None, store: Store, argv: list[str], field: str
) -> None:
    """A bad name, role or actor id is refused before anything is stored, naming the field."""
    args = cli._parser().parse_args(["keys", "create", *argv])

    with pytest.raises(ValidationError) as refused:
        await args.run(args)

    assert [error["loc"] for error in refused.value.errors()] == [(field,)]
    assert await store.keys.list() == []


@pytest.mark.parametrize("days", ["0", "3651", "ten"])
def test_expiry_days_out_of_range_is_a_usage_error(
    days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--expires-days`` must be 1 to 3650; anything else stops argparse naming the option."""
    with pytest.raises(SystemExit):
        cli._parser().parse_args(
            ["keys", "create", "--name", "a", "--role", "hr", "--expires-days", days]
        )

    assert "--expires-days" in capsys.readouterr().err
