"""``exitflow report``: every report in table, JSON and CSV, read from the configured database."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import AsyncIterator

import pytest

from config import get_settings
from starter import report_commands
from store import Store
from tests.reports.pathological import slow_report
from tests.reports.world import record_world


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="exitflow")
    report_commands.add_to(parser.add_subparsers())
    return parser.parse_args(argv)


@pytest.fixture
async def configured(
    store: Store, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The known month in the database that ``EXITFLOW_DATABASE_URL`` names."""
    await record_world(store)
    monkeypatch.setenv("EXITFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    args = _parse(argv)
    code = await args.run(args)
    return code, capsys.readouterr().out


_MAY = ["--since", "2024-05-01", "--until", "2024-06-01"]


async def test_report_prints_an_aligned_table(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The funnel as a table: one line per stage, the worst one marked."""
    code, out = await _run(["report", "funnel", *_MAY], capsys)

    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[:4] == ["stage", "reached", "lost", "loss_rate"]
    assert lines[3].split()[:4] == ["skill_test", "5", "2", "0.4"]
    assert lines[3].endswith("<- worst")


async def test_report_prints_json_and_csv_with_the_job_filter(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON is the whole report; CSV is its rows; --job narrows both."""
    _, as_json = await _run(
        ["report", "reasons", *_MAY, "--job", "job-b", "--format", "json"], capsys
    )
    _, as_csv = await _run(["report", "faults", *_MAY, "--format", "csv"], capsys)

    report = json.loads(as_json)
    assert report["filter"]["job_id"] == "job-b"
    assert [(j["job_id"], j["withdrawals"]) for j in report["jobs"]] == [("job-b", 1)]
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert rows[0].keys() == {"dimension", "value", "count", "share"}
    browser = [r for r in rows if r["dimension"] == "browser"]
    assert (browser[0]["value"], browser[0]["count"], browser[0]["share"]) == (
        "Chrome 88.0",
        "2",
        "0.6667",
    )


async def test_every_report_runs_from_the_command_line(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each report prints in each format; recruiting takes --change-at, tags --candidate."""
    extra = {"recruiting": ["--change-at", "2024-05-10T08:00"], "tags": ["--candidate", "c-2"]}
    for what in report_commands.REPORTS:
        for fmt in report_commands.FORMATS:
            code, out = await _run(
                ["report", what, *_MAY, "--format", fmt, *extra.get(what, [])], capsys
            )
            assert code == 0 and out, (what, fmt)


async def test_recruiting_without_a_split_says_what_is_missing(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --change-at and no window: exit status 2 and an error naming change_at."""
    code, out = await _run(["report", "recruiting"], capsys)

    assert code == 2
    assert "change_at" in json.loads(out)["error"]["message"]


async def test_bad_report_options_name_the_option(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """A year-1 time, a limit over 10,000 or a zero floor: status 2 naming it, no traceback."""
    for argv, option in [
        (["report", "funnel", "--since", "0001-01-01T00:00:00+14:00"], "--since"),
        (["report", "funnel", "--since", "2024-06-01", "--until", "2024-05-01"], "--until"),
        (["report", "tags", "--limit", "10001"], "--limit"),
        (["report", "interviewers", "--min-sessions", "0"], "--min-sessions"),
    ]:
        code, out = await _run(argv, capsys)

        error = json.loads(out)["error"]
        assert (code, error["code"]) == (2, "invalid_field"), argv
        assert error["message"].startswith(f"{option} "), error


async def test_a_report_past_its_time_limit_says_so(
    configured: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: past EXITFLOW_REPORT_TIMEOUT_SECONDS the report stops with status 2."""
    monkeypatch.setitem(report_commands.REPORTS, "funnel", slow_report)
    monkeypatch.setenv("EXITFLOW_REPORT_TIMEOUT_SECONDS", "0.2")
    get_settings.cache_clear()

    code, out = await _run(["report", "funnel"], capsys)

    error = json.loads(out)["error"]
    assert (code, error["code"]) == (2, "report_timeout")
    assert error["message"].startswith("the funnel report ran longer than 0.2 s")
