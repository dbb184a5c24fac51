"""Reports stay bounded whatever the store holds: linear, time-limited, with checked filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import insert

from reports import REPORTS, ReportFilter, ReportOptions, ReportTimeout, run_report
from reports.charts import MAX_BARS, Bar, bar_chart
from reports.funnel import StageFunnel
from store import Store
from store.tables import SessionRow
from tests.reports.pathological import session_row, slow_report, stage_names


async def _plant(store: Store, *rows: dict[str, object]) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(insert(SessionRow), list(rows))


async def test_the_funnel_over_thousands_of_stages_counts_each_stage_once(store: Store) -> None:
    """finding 2: a stage list of 9,000 names is folded in one pass (the quadratic
    look-ups took ~70 s for 100,000), and a stage named twice counts its sessions once."""
    names = stage_names(9_000)
    twice = ["x", "y", "x", "z"]
    await _plant(
        store,
        session_row("stopped", names, names[4_999], "withdrawn"),
        session_row("finished", names, names[0], "completed"),
        session_row("repeats", twice, "z", "active"),
        session_row("lost-track", twice, "not-in-its-list", "active"),
    )

    funnel = await run_report(store.engine, "funnel", ReportFilter(), ReportOptions(limit=10_000))

    assert isinstance(funnel, StageFunnel) and not funnel.truncated
    table = {row.stage: (row.reached, row.lost) for row in funnel.stages}
    assert len(table) == 9_000 + 3
    assert [table[names[i]] for i in (0, 4_999, 5_000, 8_999)] == [(2, 0), (2, 1), (1, 0), (1, 0)]
    assert (table["x"], table["y"], table["z"]) == ((2, 0), (1, 0), (1, 0))
    assert [row.stage for row in funnel.stages if row.stage.startswith("stage-")] == names
    assert funnel.worst_stage == names[4_999]


async def test_the_funnel_lists_its_first_stages_and_finds_the_worst_among_all(
    store: Store,
) -> None:
    """A funnel of 30,000 stages lists the first 500 in order, says it was cut, and still
    names the worst stage, which lies past the cut."""
    names = stage_names(30_000)
    await _plant(store, session_row("lost-late", names, names[20_000], "withdrawn"))

    funnel = await run_report(store.engine, "funnel", ReportFilter())

    assert isinstance(funnel, StageFunnel)
    assert (funnel.limit, funnel.truncated) == (500, True)
    assert [row.stage for row in funnel.stages] == names[:500]
    assert funnel.worst_stage == names[20_000]
    assert not any(row.worst for row in funnel.stages)


async def test_a_report_past_its_time_limit_is_stopped_and_the_connection_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: the database stops a report at its limit (PostgreSQL statement_timeout,
    SQLite an interrupt) as ReportTimeout; the next report runs on the same pool."""
    monkeypatch.setitem(REPORTS, "slow", slow_report)

    with pytest.raises(ReportTimeout) as stopped:
        await run_report(store.engine, "slow", ReportFilter(), timeout_seconds=0.2)
    after = await run_report(store.engine, "funnel", ReportFilter(), timeout_seconds=0.2)

    assert (stopped.value.name, stopped.value.timeout_seconds) == ("slow", 0.2)
    assert str(stopped.value) == "the slow report ran longer than 0.2 s and was stopped"
    assert isinstance(after, StageFunnel) and after.sessions == 0


@settings(max_examples=150, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offset_minutes=st.none() | st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59),
)
def test_a_report_time_is_utc_inside_the_range_or_refused(
    when: datetime, offset_minutes: int | None
) -> None:
    """Any time at any offset is either kept, in UTC, or refused naming ``since``."""
    if offset_minutes is not None:
        when = when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    try:
        kept = ReportFilter(since=when).since
    except ValidationError as err:
        assert [e["loc"] for e in err.errors()] == [("since",)]
        return
    assert kept is not None and kept.tzinfo is UTC
    assert datetime(2000, 1, 1, tzinfo=UTC) <= kept < datetime(2100, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"since": datetime(2024, 6, 1), "until": datetime(2024, 5, 1)}, "until"),
        ({"since": datetime(2024, 5, 1), "until": datetime(2024, 5, 1, tzinfo=UTC)}, "until"),
        ({"until": datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))}, "until"),
        ({"job_id": "j" * 129}, "job_id"),
    ],
)
def test_bad_report_filters_name_their_field(values: dict[str, object], field: str) -> None:
    """A reversed or empty window (naive and aware mixed too), a year-1 time, a long job."""
    with pytest.raises(ValidationError) as refused:
        ReportFilter(**values)  # type: ignore[arg-type]

    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 10_001}, "limit"),
        ({"min_sessions": 0}, "min_sessions"),
        ({"min_sessions": 10**12}, "min_sessions"),
        ({"change_at": datetime(1999, 12, 31, tzinfo=UTC)}, "change_at"),
        ({"candidate_id": "c" * 129}, "candidate_id"),
    ],
)
def test_bad_report_options_name_their_field(values: dict[str, object], field: str) -> None:
    """Row limits, the interviewer floor, the split time and the candidate are bounded."""
    with pytest.raises(ValidationError) as refused:
        ReportOptions(**values)  # type: ignore[arg-type]

    assert [e["loc"] for e in refused.value.errors()] == [(field,)]


def test_a_chart_draws_at_most_its_bars_and_counts_the_rest() -> None:
    """10,000 stages make a chart of MAX_BARS bars and a line saying how many were left out."""
    bars = [Bar(label=f"stage-{i}", fraction=0.5, text="1") for i in range(10_000)]

    svg = bar_chart(bars, title="funnel")

    assert svg.count('<rect class="bar') == MAX_BARS
    assert f"{10_000 - MAX_BARS} more not drawn" in svg
