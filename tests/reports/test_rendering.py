"""A report as text: aligned table, CSV and JSON, as ``exitflow report`` prints it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from reports import Report, ReportFilter, StageFunnel, run_report
from reports.rendering import FORMATS, JSON_CHUNK, json_bytes, render, table
from store import Store
from tests.reports.world import MAY


class _Lines(Report):
    """A report whose rows are given, to render exactly what a test needs."""

    lines: list[dict[str, Any]]

    def rows(self) -> list[dict[str, Any]]:
        return self.lines


_AT = datetime(2024, 5, 3, 9, 30, tzinfo=UTC)
_SAMPLE = _Lines(
    filter=ReportFilter(job_id="job-a"),
    lines=[
        {"name": "self_intro", "count": 8, "share": 0.25, "at": _AT, "note": None},
        {"name": "skill_test", "count": 12, "share": 1.0, "at": None, "note": "<- worst"},
    ],
)


def test_table_aligns_numbers_right_and_text_left() -> None:
    """Headers, a rule, then one line per row; empty cells for None, ISO times for datetimes."""
    assert render(_SAMPLE, "table").splitlines() == [
        "name        count  share  at                         note",
        "----------  -----  -----  -------------------------  --------",
        "self_intro      8   0.25  2024-05-03T09:30:00+00:00",
        "skill_test     12    1.0                             <- worst",
    ]


def test_a_table_without_rows_says_so() -> None:
    """No rows is one line, not an empty header."""
    assert table([]) == "(no rows)\n"


def test_csv_has_a_header_and_one_line_per_row() -> None:
    """CSV cells read back as the table shows them; no rows is no text at all."""
    rows = list(csv.DictReader(io.StringIO(render(_SAMPLE, "csv"))))

    assert rows == [
        {"name": "self_intro", "count": "8", "share": "0.25", "at": _AT.isoformat(), "note": ""},
        {"name": "skill_test", "count": "12", "share": "1.0", "at": "", "note": "<- worst"},
    ]
    assert render(_Lines(filter=ReportFilter(), lines=[]), "csv") == ""


def test_json_is_the_whole_report_indented() -> None:
    """JSON carries the filter and every field, not only the flat rows."""
    out = render(_SAMPLE, "json")

    assert out.startswith('{\n  "filter": {') and out.endswith("}\n")
    assert json.loads(out)["filter"]["job_id"] == "job-a"
    assert json.loads(out)["lines"][0]["at"] == "2024-05-03T09:30:00Z"


def test_an_unknown_format_is_refused() -> None:
    """Only the formats in ``FORMATS`` render."""
    with pytest.raises(ValueError, match="html"):
        render(_SAMPLE, "html")


async def test_the_funnel_renders_in_every_format(world: Store) -> None:
    """The real funnel: the table marks the worst stage, CSV and JSON agree on its figures."""
    report = await run_report(world.engine, "funnel", MAY)
    assert isinstance(report, StageFunnel)
    out = {fmt: render(report, fmt) for fmt in FORMATS}

    skill_test = out["table"].splitlines()[3]
    assert skill_test.split()[:4] == ["skill_test", "5", "2", "0.4"]
    assert skill_test.endswith("<- worst")
    assert list(csv.DictReader(io.StringIO(out["csv"])))[1]["lost"] == "2"
    assert json.loads(out["json"])["worst_stage"] == "skill_test"


@pytest.mark.parametrize("stages", [0, 3, JSON_CHUNK * 2 + 1])
def test_json_bytes_are_model_dump_json_however_long_the_lists(stages: int) -> None:
    """The API's chunked JSON is byte for byte pydantic's, short lists and long alike."""
    funnel = StageFunnel(
        filter=ReportFilter(since=_AT, job_id="job-a"),
        sessions=stages,
        stages=[
            {
                "stage": f"s{i}",
                "reached": 1,
                "lost": 0,
                "loss_rate": 0.0,
                "exits_by_kind": {},
                "exit_rate_by_kind": {},
            }
            for i in range(stages)
        ],
        worst_stage=None,
    )

    assert json_bytes(funnel) == funnel.model_dump_json().encode()
