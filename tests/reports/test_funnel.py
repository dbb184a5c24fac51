"""Exit rate per stage, on the known month."""

from __future__ import annotations

from datetime import UTC, datetime

from reports import ReportFilter, StageFunnel, run_report
from store import Store
from tests.reports.world import MAY


async def _funnel(store: Store, report_filter: ReportFilter) -> StageFunnel:
    report = await run_report(store.engine, "funnel", report_filter)
    assert isinstance(report, StageFunnel)
    return report


async def test_funnel_counts_reach_losses_and_exit_kinds_per_stage(world: Store) -> None:
    """Sessions started in May: reached, lost and exits by kind per stage; skill_test worst."""
    funnel = await _funnel(world, MAY)

    assert funnel.sessions == 8
    table = {row.stage: (row.reached, row.lost, row.loss_rate) for row in funnel.stages}
    assert table == {
        "self_intro": (8, 2, 0.25),
        "skill_test": (5, 2, 0.4),
        "scenario_simulation": (3, 1, 0.3333),
    }
    kinds = {row.stage: {k: n for k, n in row.exits_by_kind.items() if n} for row in funnel.stages}
    assert kinds == {
        "self_intro": {"withdrawn": 2, "abandoned": 1, "system_fault": 1},
        "skill_test": {"withdrawn": 1, "system_fault": 1, "terminated": 1},
        "scenario_simulation": {"system_fault": 1, "expired": 1},
    }
    assert funnel.stages[1].exit_rate_by_kind["terminated"] == 0.2
    assert funnel.worst_stage == "skill_test"
    assert [row.worst for row in funnel.stages] == [False, True, False]


async def test_funnel_without_a_window_counts_every_session(world: Store) -> None:
    """No window: April's session and its withdrawal at self_intro count too."""
    funnel = await _funnel(world, ReportFilter())

    first = funnel.stages[0]
    assert (funnel.sessions, first.reached, first.lost) == (9, 9, 3)
    assert first.exits_by_kind["withdrawn"] == 3


async def test_funnel_filters_by_job(world: Store) -> None:
    """job-b alone: 4 sessions, one lost at each stage; scenario_simulation loses its only one."""
    funnel = await _funnel(world, MAY.model_copy(update={"job_id": "job-b"}))

    table = {row.stage: (row.reached, row.lost) for row in funnel.stages}
    assert table == {"self_intro": (4, 1), "skill_test": (2, 1), "scenario_simulation": (1, 1)}
    assert funnel.worst_stage == "scenario_simulation"


async def test_funnel_follows_a_sessions_own_stages(store: Store) -> None:
    """A session with its own stage list shows those stages, in its order, after the defaults."""
    from tests.reports.script import SessionScript

    custom = SessionScript(store, "own", stages=("warmup", "coding"))
    await (await (await custom.start()).reach("coding")).withdraw("other")

    funnel = await _funnel(store, ReportFilter())

    assert [(row.stage, row.reached, row.lost) for row in funnel.stages] == [
        ("warmup", 1, 0),
        ("coding", 1, 1),
    ]


async def test_an_exit_counts_in_the_window_its_session_started_in(store: Store) -> None:
    """A session started on 30 April that withdraws on 1 May belongs to April's cohort."""
    from tests.reports.script import SessionScript

    late = SessionScript(store, "late", started_at=datetime(2024, 4, 30, 23, 58, tzinfo=UTC))
    await (await late.start()).withdraw("other")
    april = ReportFilter(since=datetime(2024, 4, 1, tzinfo=UTC), until=MAY.since)

    may_funnel, april_funnel = await _funnel(store, MAY), await _funnel(store, april)

    assert (may_funnel.sessions, may_funnel.stages) == (0, [])
    assert april_funnel.sessions == 1
    assert april_funnel.stages[0].exits_by_kind["withdrawn"] == 1
