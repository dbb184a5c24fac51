"""The CLI's arguments meet the same bounds as the API's bodies, before anything is sent."""

from __future__ import annotations

import argparse

import pytest
from pydantic import ValidationError

from contract.refusals import field_errors
from starter import contest_commands, session_commands


def _parse(add_to: object, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="exitflow")
    add_to(parser.add_subparsers())  # type: ignore[operator]
    return parser.parse_args(argv)


@pytest.mark.parametrize("limit", ["0", "201", "10" * 20, "abc", "-1"])
def test_a_contest_page_size_out_of_range_is_a_usage_error(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``contest list --limit`` takes 1 to 200, as the API does; anything else exits 2."""
    with pytest.raises(SystemExit) as caught:
        _parse(contest_commands.add_to, ["contest", "list", "--limit", limit])

    assert caught.value.code == 2
    assert "from 1 to 200" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--resume-window-hours", "nan", "policy.resume_window_hours"),
        ("--resume-window-hours", "1e-300", "policy.resume_window_hours"),
        ("--heartbeat-timeout-seconds", "inf", "policy.heartbeat_timeout_seconds"),
        ("--interviewer-id", "iv\n7", "interviewer_id"),
    ],
)
async def test_session_start_arguments_are_bounded_before_anything_is_sent(
    flag: str, value: str, field: str
) -> None:
    """``session start`` refuses a NaN or 1e-300-hour window, an infinite timeout or a
    line break in an id, naming the field, before it connects to Temporal."""
    args = _parse(session_commands.add_to, ["session", "start", flag, value])

    with pytest.raises(ValidationError) as caught:
        await args.run(args)

    assert [item["field"] for item in field_errors(caught.value)] == [field]
