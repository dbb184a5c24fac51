"""Candidate preference tags, kept in sync with exits by ``record_event``."""

from __future__ import annotations

from activities.database import Store
from activities.database.reports import CandidateTags, ReportFilter, ReportOptions, run_report
from tests.activities.database.helpers import count
from tests.activities.database.reports.script import SessionScript
from tests.activities.database.reports.world import MAY
from workflows.codes import EventType


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
