"""How fast each exit report runs over 1,000,000 exits, next to a bare GROUP BY scan.

Fills a database (a SQLite file, and/or a PostgreSQL database) with N sessions and N exits
spread over a year — bulk-loaded with the raw driver — then times every report over the
whole year next to a bare ``SELECT <key>, COUNT(*) FROM <table> GROUP BY <key>`` in the
same run, where ``<table>`` is what the report scans and ``<key>`` what it groups on (the
funnel reads two tables, so its baseline is both scans added up):

    .venv/bin/python -m bench.reports_benchmark --rows 1000000 \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test

Each time is the median of ``--repeat`` runs, the report and its baselines taking turns.
``--sqlite-file`` and ``--postgres-database`` keep the filled database and reuse it on the
next run (its indexes brought in line with the tables' first); without them a temporary one
is filled and dropped.

``--healthz`` measures instead whether the API stays alive meanwhile: it serves the API over
the filled database and polls ``/healthz`` from another process while the funnel and the
dashboard run over HTTP (``bench/_healthz_probe.py``); ``--huge-stages 100000`` first plants
one session naming that many stages, as finding 2 of issue 14 did.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url

from bench import _healthz_probe
from reports import REPORTS, ReportFilter, ReportOptions, run_report
from store import Store
from store.tables import Base

YEAR_START = datetime(2024, 1, 1, tzinfo=UTC)
STAGES = ["self_intro", "skill_test", "scenario_simulation"]
KINDS = [("withdrawn", 35), ("system_fault", 25), ("abandoned", 10), ("terminated", 10)]
KINDS += [("expired", 20)]
STATUS_OF_KIND = {
    "withdrawn": "withdrawn",
    "system_fault": "completed",
    "abandoned": "completed",
    "terminated": "terminated",
    "expired": "expired",
}
REASONS = ["salary_expectation", "process_too_long", "job_requirements", "lost_interest", "other"]
TAGS = {
    "salary_expectation": "salary_expectation_above_range",
    "process_too_long": "process_length_sensitive",
    "job_requirements": "job_requirements_mismatch",
    "lost_interest": "low_interest_in_role",
}
CLIENTS = [
    ("Chrome", "124.0", "Windows 11", "desktop"),
    ("Chrome", "88.0", "Windows 10", "desktop"),
]
CLIENTS += [("Safari", "17.4", "macOS 14", "laptop"), ("Safari", "15.6", "iOS 15", "mobile")]
TABLE_SCANS = {
    "sessions": ("sessions", "current_stage, status"),
    "exits": ("exits", "stage, kind"),
    "candidate_tags": ("candidate_tags", "tag"),
}
"""The bare scan of each table: a GROUP BY on two columns that no index of it covers, but
``candidate_tags`` by ``tag`` alone, which its tag index answers in order (stricter)."""
FAULT_SETUP = "fault_cause, client_browser, client_browser_version, client_os, client_device"
BASELINES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "funnel": (("sessions", "exits"), (TABLE_SCANS["sessions"], TABLE_SCANS["exits"])),
    "reasons": (("exits",), (("exits", "job_id, reason_code"),)),
    "faults": (("exits",), (("exits", FAULT_SETUP),)),
    "resume": (("exits",), (("exits", "kind"),)),
    "interviewers": (("sessions",), (("sessions", "interviewer_id"),)),
    "recruiting": (("sessions",), (("sessions", "job_id"),)),
    "tags": (("candidate_tags",), (("candidate_tags", "tag"),)),
    "reengagement": (("exits",), (("exits", "kind"),)),
}
"""Per report: the tables whose bare scans it is held to (the funnel reads two, so both scans
added up), and the stricter GROUP BY on its own key, which an index may answer alone."""


class Result(NamedTuple):
    """One report's median next to its baselines, in ms."""

    database: str
    report: str
    report_ms: float
    scan_ms: float
    key_ms: float


def rows(count: int, seed: int = 1) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """``count`` (session, exit) pairs: 20 jobs, 50 interviewers, a year of starts."""
    rng = random.Random(seed)
    kinds, weights = zip(*KINDS, strict=True)
    for i in range(count):
        started = YEAR_START + timedelta(seconds=rng.randrange(365 * 86400))
        kind = rng.choices(kinds, weights)[0]
        stage_index = rng.randrange(3)
        at = started + timedelta(minutes=rng.randrange(1, 60))
        browser, version, os_name, device = rng.choice(CLIENTS)
        faulty = kind in ("system_fault", "abandoned")
        outcome = rng.random()
        session = {
            "session_id": f"s{i}",
            "candidate_id": f"c{i % 700_000}",
            "job_id": f"job-{i % 20}",
            "interviewer_id": f"iv-{rng.randrange(50)}",
            "status": STATUS_OF_KIND[kind] if rng.random() < 0.9 else "active",
            "current_stage": STAGES[stage_index],
            "started_at": started,
        }
        reason = rng.choice(REASONS) if kind == "withdrawn" else "network"
        exit_row = {
            "exit_id": f"x{i}",
            "session_id": f"s{i}",
            "candidate_id": session["candidate_id"],
            "job_id": session["job_id"],
            "interviewer_id": session["interviewer_id"],
            "kind": kind,
            "reason_code": reason,
            "stage": STAGES[stage_index],
            "at": at,
            "session_started_at": started,
            "fault_cause": "network" if kind == "system_fault" else None,
            "client_browser": browser if faulty else None,
            "client_browser_version": version if faulty else None,
            "client_os": os_name if faulty else None,
            "client_device": device if faulty else None,
            "client_network_latency_ms": rng.randrange(20, 5000) if faulty else None,
            "resumed_at": at + timedelta(seconds=rng.randrange(30, 7200))
            if faulty and outcome < 0.6
            else None,
            "expired_at": at + timedelta(hours=24) if faulty and outcome > 0.85 else None,
        }
        yield session, exit_row


_SESSION_FIXED = {
    "workflow_id": "wf",
    "candidate_name": "Candidate",
    "candidate_email": "c@example.com",
    "candidate_phone": "+14155550100",
    "locale": "en",
    "job_title": "Job",
    "stages": json.dumps(STAGES),
    "stage_list": ",".join(STAGES),
    "policy": json.dumps({"resume_window_hours": 24}),
    "last_event_seq": 1,
}


def _tag(exit_row: dict[str, Any]) -> dict[str, Any] | None:
    tag = TAGS.get(exit_row["reason_code"]) if exit_row["kind"] == "withdrawn" else None
    if tag is None:
        return None
    keys = ("exit_id", "candidate_id", "session_id", "job_id", "reason_code", "at")
    return {"tag": tag, **{key: exit_row[key] for key in keys}}


def _link_tags(tags: list[dict[str, Any]]) -> None:
    """Set ``previous_at`` as ``record_event`` does (``store/tagging.py``).

    The rows keep their order (the order they are loaded in); only their links are set.
    """
    previous: dict[str, Any] = {}
    for row in sorted(tags, key=lambda t: (t["candidate_id"], t["tag"], t["at"], t["exit_id"])):
        same = (previous.get("candidate_id"), previous.get("tag")) == (
            row["candidate_id"],
            row["tag"],
        )
        row["previous_at"] = previous["at"] if same else None
        previous = row


def fill_sqlite(path: Path, count: int) -> None:
    """Bulk-load with the stdlib driver, one transaction, times as SQLAlchemy writes them."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")

    def iso(value: Any) -> Any:
        return value.replace(tzinfo=None).isoformat(" ", "microseconds") if value else value

    sessions, exits, tags = [], [], []
    for session, exit_row in rows(count):
        session = {**session, **_SESSION_FIXED, "started_at": iso(session["started_at"])}
        session["updated_at"] = session["started_at"]
        sessions.append(session)
        tag = _tag(exit_row)
        exit_row = {k: iso(v) if k.endswith("_at") or k == "at" else v for k, v in exit_row.items()}
        exits.append(exit_row)
        if tag is not None:
            tags.append({**tag, "at": exit_row["at"]})
    _link_tags(tags)
    with db:
        for table, batch in (("sessions", sessions), ("exits", exits), ("candidate_tags", tags)):
            columns = list(batch[0])
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            db.executemany(sql, (tuple(row[c] for c in columns) for row in batch))
    db.execute("ANALYZE")
    db.close()


async def fill_postgres(url: str, count: int) -> None:
    """Bulk-load with COPY."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        sessions, exits, tags = [], [], []
        for session, exit_row in rows(count):
            session = {**session, **_SESSION_FIXED, "updated_at": session["started_at"]}
            sessions.append(session)
            exits.append(exit_row)
            if (tag := _tag(exit_row)) is not None:
                tags.append(tag)
        _link_tags(tags)
        for table, batch in (("sessions", sessions), ("exits", exits), ("candidate_tags", tags)):
            columns = list(batch[0])
            records = [tuple(row[c] for c in columns) for row in batch]
            await conn.copy_records_to_table(table, records=records, columns=columns)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def _time_ms(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000


async def measure(store: Store, label: str, repeat: int, names: list[str]) -> list[Result]:
    """Report, table-scan and own-key medians for each report over the whole year."""
    year = ReportFilter(since=YEAR_START, until=YEAR_START + timedelta(days=366))
    options = ReportOptions(change_at=YEAR_START + timedelta(days=182), min_sessions=20)

    async def bare(table: str, key: str) -> None:
        async with store.engine.connect() as conn:
            await conn.execute(text(f"SELECT {key}, COUNT(*) FROM {table} GROUP BY {key}"))

    async def bare_ms(scans: Iterable[tuple[str, str]]) -> float:
        return sum([await _time_ms(partial(bare, *scan)) for scan in scans])

    results = []
    for name in names:
        tables, keys = BASELINES[name]
        table_scans = [TABLE_SCANS[t] for t in tables]
        await run_report(store.engine, name, year, options)  # warm the cache, as in use
        samples = []
        for _ in range(repeat):  # interleaved, so that load from elsewhere hits all three
            report_ms = await _time_ms(partial(run_report, store.engine, name, year, options))
            samples.append((report_ms, await bare_ms(table_scans), await bare_ms(keys)))
        medians = (statistics.median(column) for column in zip(*samples, strict=True))
        results.append(Result(label, name, *medians))
    return results


def _describe(name: str) -> str:
    tables, keys = BASELINES[name]
    scans = " + ".join(f"{t} by {TABLE_SCANS[t][1]}" for t in tables)
    return f"{scans}; key: " + " + ".join(f"{table} by {key}" for table, key in keys)


async def _reuse(store: Store) -> bool:
    """Whether the database is already filled; if so, align its indexes and re-analyze."""
    async with store.engine.begin() as conn:
        if not (await conn.execute(text("SELECT COUNT(*) FROM exits"))).scalar_one():
            return False
        await conn.run_sync(_sync_indexes)
        await conn.execute(text("ANALYZE"))
    return True


def _sync_indexes(conn: Connection) -> None:
    inspector = inspect(conn)
    for table in Base.metadata.sorted_tables:
        wanted = {index.name: index for index in table.indexes}
        for found in inspector.get_indexes(table.name):
            name = found["name"] or ""
            if name.startswith("ix_") and name not in wanted:
                conn.execute(text(f'DROP INDEX "{name}"'))
        for index in wanted.values():
            index.create(conn, checkfirst=True)


async def main() -> None:
    """Fill (or reuse), measure and print one table for every database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", help="a server URL to run on as well")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--sqlite-file", type=Path, help="fill this file once, then reuse it")
    parser.add_argument("--postgres-database", help="fill this database once, then reuse it")
    parser.add_argument("--only", nargs="+", choices=list(REPORTS), help="these reports only")
    parser.add_argument("--healthz", action="store_true", help="poll /healthz meanwhile")
    parser.add_argument("--huge-stages", type=int, default=0, help="--healthz: plant a session")
    args = parser.parse_args()
    names = args.only or list(REPORTS)

    async def work(store: Store, label: str) -> Sequence[Any]:
        if not args.healthz:
            return await measure(store, label, args.repeat, names)
        return await _healthz_probe.probe(
            store,
            label,
            since=YEAR_START,
            until=YEAR_START + timedelta(days=366),
            huge_stages=args.huge_stages,
            repeat=args.repeat,
        )

    results: list[Any] = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_file or Path(tmp) / "bench.db"
            results += await _on_sqlite(path, args.rows, work)
    if args.postgres:
        results += await _on_postgres(args.postgres, args.postgres_database, args.rows, work)
    if args.healthz:
        _healthz_probe.print_probes(results)
        return
    print(
        f"\n{'database':<10} {'report':<13} {'report ms':>9} {'scan ms':>8} {'ratio':>5}"
        f" {'key ms':>7} {'ratio':>5}  baselines"
    )
    for r in results:
        print(
            f"{r.database:<10} {r.report:<13} {r.report_ms:>9.1f} {r.scan_ms:>8.1f}"
            f" {r.report_ms / r.scan_ms:>5.2f} {r.key_ms:>7.1f} {r.report_ms / r.key_ms:>5.2f}"
            f"  {_describe(r.report)}"
        )


Work = Callable[[Store, str], Awaitable[Sequence[Any]]]
"""What runs over a filled database: ``measure`` or the ``/healthz`` probe."""


async def _on_sqlite(path: Path, count: int, work: Work) -> Sequence[Any]:
    store = Store.from_url(f"sqlite+aiosqlite:///{path}")
    try:
        await store.create_schema()
        if await _reuse(store):
            print(f"sqlite: reusing {path}")
        else:
            await store.dispose()  # the loader writes through its own connection
            started = time.perf_counter()
            await asyncio.to_thread(fill_sqlite, path, count)
            print(f"sqlite: {count:,} exits loaded in {time.perf_counter() - started:.0f}s")
        return await work(store, "sqlite")
    finally:
        await store.dispose()


async def _on_postgres(server_url: str, keep: str | None, count: int, work: Work) -> Sequence[Any]:
    server = make_url(server_url)
    name = keep or f"exitflow_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server.set(drivername="postgresql").render_as_string(False))
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    store = Store.from_url(url)
    try:
        await store.create_schema()
        if await _reuse(store):
            print(f"postgresql: reusing database {name}")
        else:
            started = time.perf_counter()
            await fill_postgres(url, count)
            print(f"postgresql: {count:,} exits loaded in {time.perf_counter() - started:.0f}s")
        return await work(store, "postgresql")
    finally:
        await store.dispose()
        if keep is None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
