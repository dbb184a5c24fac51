"""One known month of sessions, recorded through ``Store.record_event``.

Eight sessions start on 2024-05-10 (inside ``MAY``), one on 2024-04-20 (outside it):

=====  =====  ====  ===================================================================
id     job    iv    life
=====  =====  ====  ===================================================================
s1     job-a  iv-1  completes
s2     job-a  iv-1  reaches skill_test, withdraws: salary_expectation (candidate c-2)
s3     job-a  iv-1  withdraws at self_intro: job_requirements
s4     job-a  iv-2  skill_test, network fault (Chrome 88.0, 850 ms), resumed 10 min later,
                    completes
s5     job-b  iv-2  scenario_simulation, device fault (Safari 17.4, 50 ms), expires
s6     job-b  iv-2  abandoned at self_intro, resumed 30 min later, withdraws:
                    process_too_long (candidate c-2)
s7     job-b  iv-1  skill_test, terminated
s8     job-b  iv-2  browser fault at self_intro (Chrome 88.0, no latency), still suspended
s9     job-a  iv-1  April: withdraws at self_intro: lost_interest
=====  =====  ====  ===================================================================
"""

from __future__ import annotations

from datetime import UTC, datetime

from contract.codes import FaultCause
from reports import ReportFilter
from store import Store
from tests.reports.script import SessionScript

MAY = ReportFilter(since=datetime(2024, 5, 1, tzinfo=UTC), until=datetime(2024, 6, 1, tzinfo=UTC))
CHROME_88 = {"browser": "Chrome", "browser_version": "88.0", "os": "Windows 10"}


async def record_world(store: Store) -> None:
    """Record the nine sessions of the table above."""

    def script(sid: str, job: str, iv: str, **kw: object) -> SessionScript:
        return SessionScript(store, sid, job_id=job, interviewer_id=iv, **kw)  # type: ignore[arg-type]

    await (await script("s1", "job-a", "iv-1").start()).complete()
    s2 = await script("s2", "job-a", "iv-1", candidate_id="c-2").start()
    await (await s2.reach("skill_test")).withdraw("salary_expectation")
    await (await script("s3", "job-a", "iv-1").start()).withdraw("job_requirements")
    s4 = await (await script("s4", "job-a", "iv-2").start()).reach("skill_test")
    await s4.fault(FaultCause.NETWORK, 5, device="desktop", network_latency_ms=850, **CHROME_88)
    await (await s4.resume(15)).complete(40)
    s5 = await (await script("s5", "job-b", "iv-2").start()).reach("scenario_simulation")
    await s5.fault(
        FaultCause.DEVICE,
        40,
        browser="Safari",
        browser_version="17.4",
        os="macOS 14",
        device="laptop",
        network_latency_ms=50,
    )
    await s5.expire(100)
    s6 = await script("s6", "job-b", "iv-2", candidate_id="c-2").start()
    await (await (await s6.abandon(5)).resume(35)).withdraw("process_too_long", 50)
    await (await (await script("s7", "job-b", "iv-1").start()).reach("skill_test")).terminate()
    s8 = await script("s8", "job-b", "iv-2").start()
    await s8.fault(FaultCause.BROWSER, 20, device="desktop", **CHROME_88)
    april = datetime(2024, 4, 20, 9, tzinfo=UTC)
    await (await script("s9", "job-a", "iv-1", started_at=april).start()).withdraw("lost_interest")
