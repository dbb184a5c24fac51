"""``exitflow policies list``, ``show`` and ``set`` against a real database."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sessions.refusals import SessionRefused
from starter import cli, policy_commands
from tests.fixtures.cli import run_json_command


def _file(tmp_path: Path, values: Any) -> str:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(values))
    return str(path)


async def test_set_saves_a_version_that_list_and_show_print(
    store_terminal: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``set`` saves version 1 of a new policy, unverified, by the named actor; ``list``
    shows it beside ``default``; ``show`` lists its versions newest first."""
    path = _file(tmp_path, {"job_ids": ["job-cto"], "resume_window_hours": 48})
    argv = ["policies", "set", "senior", "--file", path, "--actor-id", "hr-3"]

    saved = await run_json_command(
        policy_commands.add_to, [*argv, "--actor-name", "Dana Whitfield"], capsys
    )
    same = await run_json_command(policy_commands.add_to, argv, capsys)
    listed = await run_json_command(policy_commands.add_to, ["policies", "list"], capsys)
    shown = await run_json_command(policy_commands.add_to, ["policies", "show", "senior"], capsys)

    assert (saved["version"], saved["new_version"]) == (1, True)
    assert saved["author"] == {"id": "hr-3", "name": "Dana Whitfield", "verified": False}
    assert saved["fields"]["resume_window_hours"] == 48
    assert (same["version"], same["new_version"]) == (1, False)
    assert [policy["policy_id"] for policy in listed] == ["default", "senior"]
    assert [version["version"] for version in shown["versions"]] == [1]


async def test_set_refuses_a_bad_file_naming_the_field(
    store_terminal: None, tmp_path: Path
) -> None:
    """A file that is no JSON object is refused naming ``file``; a bad field by its name; an
    unknown policy in ``show`` answers ``policy_not_found``."""
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("[1, 2")

    def parsed(argv: list[str]) -> argparse.Namespace:
        return cli._parser().parse_args(argv)

    with pytest.raises(SessionRefused) as not_json:
        args = parsed(["policies", "set", "default", "--file", str(bad_json)])
        await args.run(args)
    with pytest.raises(ValidationError) as bad_field:
        args = parsed(
            ["policies", "set", "default", "--file", _file(tmp_path, {"risk_threshold": 2})]
        )
        await args.run(args)
    with pytest.raises(SessionRefused) as unknown:
        args = parsed(["policies", "show", "nobody"])
        await args.run(args)

    assert not_json.value.details["fields"][0]["field"] == "file"
    assert [error["loc"] for error in bad_field.value.errors()] == [("risk_threshold",)]
    assert unknown.value.code == "policy_not_found"
