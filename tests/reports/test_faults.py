"""Faults by cause and client setup, on the known month."""

from __future__ import annotations

from reports import FaultBreakdown, run_report
from store import Store
from tests.reports.world import MAY


async def test_faults_break_down_by_cause_browser_os_device_and_latency(world: Store) -> None:
    """Three faults: two on Chrome 88.0 / Windows 10 / desktop; one per cause and band."""
    report = await run_report(world.engine, "faults", MAY)
    assert isinstance(report, FaultBreakdown)

    def pairs(items: list) -> list[tuple[str, int, float]]:  # type: ignore[type-arg]
        return [(item.value, item.count, item.share) for item in items]

    assert report.faults == 3
    assert pairs(report.by_cause) == [
        ("browser", 1, 0.3333),
        ("device", 1, 0.3333),
        ("network", 1, 0.3333),
    ]
    assert pairs(report.by_browser) == [("Chrome 88.0", 2, 0.6667), ("Safari 17.4", 1, 0.3333)]
    assert pairs(report.by_os) == [("Windows 10", 2, 0.6667), ("macOS 14", 1, 0.3333)]
    assert pairs(report.by_device) == [("desktop", 2, 0.6667), ("laptop", 1, 0.3333)]
    assert pairs(report.by_latency) == [
        ("<100ms", 1, 0.3333),
        ("300-1000ms", 1, 0.3333),
        ("unknown", 1, 0.3333),
    ]


async def test_faults_of_one_job(world: Store) -> None:
    """job-a had only the network fault."""
    report = await run_report(world.engine, "faults", MAY.model_copy(update={"job_id": "job-a"}))
    assert isinstance(report, FaultBreakdown)

    assert report.faults == 1
    assert [(item.value, item.share) for item in report.by_cause] == [("network", 1.0)]
