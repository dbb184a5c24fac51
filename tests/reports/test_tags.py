"""Candidate preference tags, kept in sync with exits by ``record_event``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contract.codes import EventType
from reports import CandidateTags, ReportFilter, ReportOptions, run_report
from store import Store
from tests.reports.script import SessionScript
from tests.reports.world import MAY
from tests.store.helpers import count, fetch

_FIVE = timedelta(minutes=5)
"""``SessionScript.withdraw`` records the exit five minutes after the start."""


def _utc(value: datetime | str | None) -> datetime | None:
    # Raw SQL reads: SQLite hands back text without a zone, PostgreSQL an aware datetime.
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def _tags(store: Store, report_filter: ReportFilter, **options: object) -> CandidateTags:
    report = await run_report(store.engine, "tags", report_filter, ReportOptions(**options))  # type: ignore[arg-type]
    assert isinstance(report, CandidateTags)
    return report


async def test_each_telling_withdrawal_tags_its_candidate(world: Store) -> None:
    """c-2 left once over salary and once over the process; s3's candidate over requirements."""
    report = await _tags(world, MAY)

    assert [(t.candidate_id, t.tag, t.exits, t.jobs) for t in report.tags] == [
        ("c-2", "process_length_sensitive", 1, 1),
        ("c-2", "salary_expectation_above_range", 1, 1),
        ("c-s3", "job_requirements_mismatch", 1, 1),
    ]
    assert [(c.tag, c.candidates) for c in report.summary] == [
        ("job_requirements_mismatch", 1),
        ("process_length_sensitive", 1),
        ("salary_expectation_above_range", 1),
    ]
    assert not report.truncated


async def test_tags_are_queryable_per_candidate_and_limited(world: Store) -> None:
    """One candidate's tags over all time; a limit of 1 says it truncated."""
    mine = await _tags(world, ReportFilter(), candidate_id="c-2")
    first = await _tags(world, ReportFilter(), limit=1)

    assert {t.tag for t in mine.tags} == {
        "process_length_sensitive",
        "salary_expectation_above_range",
    }
    assert len(first.tags) == 1 and first.truncated


async def test_tags_follow_exits_once_even_when_an_event_is_recorded_again(store: Store) -> None:
    """A retried record writes no second tag; 'other' and non-withdrawals tag nothing."""
    script = await SessionScript(store, "again", candidate_id="c-again").start()
    event = script.event(EventType.WITHDRAWN, 5)
    assert await store.record_event(event)
    assert not await store.record_event(event)
    await (await SessionScript(store, "other").start()).withdraw("other")
    await (await SessionScript(store, "term").start()).terminate()

    assert await count(store, "candidate_tags") == 1
    report = await _tags(store, ReportFilter(), candidate_id="c-again")
    assert [(t.tag, t.exits) for t in report.tags] == [("job_requirements_mismatch", 1)]


async def test_the_summary_counts_a_candidate_once_per_window_whatever_the_order(
    store: Store,
) -> None:
    """c-x's three salary exits, recorded out of order, count once in any window or job."""
    day = [datetime(2024, 5, d, 9, tzinfo=UTC) for d in (1, 2, 3)]
    lives = [("x3", "c-x", "job-a", day[2]), ("x1", "c-x", "job-a", day[0])]
    lives += [("y2", "c-y", "job-b", day[1]), ("x2", "c-x", "job-b", day[1])]
    for sid, candidate, job, started_at in lives:
        script = SessionScript(
            store, sid, candidate_id=candidate, job_id=job, started_at=started_at
        )
        await (await script.start()).withdraw("salary_expectation")

    links = await fetch(
        store, "SELECT session_id, previous_at FROM candidate_tags WHERE candidate_id = 'c-x'"
    )
    previous = {row["session_id"]: _utc(row["previous_at"]) for row in links}
    assert previous == {"x1": None, "x2": day[0] + _FIVE, "x3": day[1] + _FIVE}

    def window(since: int | None, until: int | None, job: str | None = None) -> ReportFilter:
        start = day[since - 1] - timedelta(hours=1) if since else None
        end = day[until - 1] - timedelta(hours=1) if until else None
        return ReportFilter(since=start, until=end, job_id=job)

    expected = [
        (window(None, None), 2),
        (window(2, None), 2),
        (window(3, None), 1),
        (window(None, 2), 1),
        (window(2, 3), 2),
        (window(None, None, "job-a"), 1),
        (window(None, None, "job-b"), 2),
    ]
    for report_filter, candidates in expected:
        report = await _tags(store, report_filter)
        assert [(c.tag, c.candidates) for c in report.summary] == [
            ("salary_expectation_above_range", candidates)
        ], report_filter
