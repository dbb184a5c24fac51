"""The small chaos run: faults everywhere, and still every exit recorded and told exactly once."""

from __future__ import annotations

from pathlib import Path

from bench.chaos import ChaosConfig, print_result, run_chaos


async def test_small_chaos_run_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    """84 sessions of every exit kind survive worker SIGKILLs, an SMTP outage, a flaky HR system
    and a Temporal restart: final states, exit records, webhooks, emails and the audit chain hold.
    """
    config = ChaosConfig(
        sessions=84,
        concurrency=20,
        kills=3,
        kill_every_seconds=(4.0, 8.0),
        smtp_outage_at_seconds=5.0,
        smtp_outage_seconds=10.0,
        hris_error_share=0.3,
        hris_slow_share=0.05,
        restart_server_at_seconds=20.0,
        settle_seconds=170.0,
    )

    result = await run_chaos(config, tmp_path)

    print_result(result)
    assert result.injected["worker SIGKILLs"] == 3
    assert result.report.ok, dict(result.report.misses)
