"""What a chaos run must prove afterwards, each check reading what arrived or was stored."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from bench._stack import Stack
from contract.sessions import SessionView
from store import Store
from store.tables import ExitRow


@dataclass(frozen=True)
class Expected:
    """How one scenario must end: status, exit kinds, webhooks, emails."""

    status: str
    exits: tuple[str, ...]
    webhooks: frozenset[str]
    emails: frozenset[str]


_S, _SU, _RE = "interview.started", "interview.suspended", "interview.resumed"
_W, _T, _C = "interview.withdrawn", "interview.terminated", "interview.completed"
_X, _D = "interview.expired", "downstream.cancelled"

SCENARIOS: dict[str, Expected] = {
    "withdraw": Expected("withdrawn", ("withdrawn",), frozenset({_S, _W, _D}), frozenset({_W})),
    "fault_withdraw": Expected(
        "withdrawn",
        ("system_fault", "withdrawn"),
        frozenset({_S, _SU, _W, _D}),
        frozenset({_SU, _W}),
    ),
    "terminate": Expected("terminated", ("terminated",), frozenset({_S, _T, _D}), frozenset({_T})),
    "complete": Expected("completed", (), frozenset({_S, _C}), frozenset()),
    "fault_expire": Expected(
        "expired", ("system_fault", "expired"), frozenset({_S, _SU, _X, _D}), frozenset({_SU, _X})
    ),
    "abandon_expire": Expected(
        "expired", ("abandoned", "expired"), frozenset({_S, _SU, _X, _D}), frozenset({_SU, _X})
    ),
    "fault_resume_complete": Expected(
        "completed", ("system_fault",), frozenset({_S, _SU, _RE, _C}), frozenset({_SU})
    ),
}


@dataclass
class Report:
    """Each check's misses (empty means it held) and the counts worth printing."""

    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every check held."""
        return not any(self.misses.values())


def webhooks_pending(stack: Stack, plan: dict[str, str]) -> int:
    """How many expected (session, event type) webhooks have not been accepted yet."""
    got = {(str(d.data.get("session_id")), d.type) for d in stack.inbox.accepted}
    return sum(
        (sid, kind) not in got for sid, name in plan.items() for kind in SCENARIOS[name].webhooks
    )


def emails_pending(stack: Stack, plan: dict[str, str]) -> int:
    """How many expected (session, event type) emails have not arrived yet."""
    got = {(m["X-Exitflow-Session"], m["X-Exitflow-Event"]) for m in stack.mail.messages}
    return sum(
        (sid, kind) not in got for sid, name in plan.items() for kind in SCENARIOS[name].emails
    )


async def check(stack: Stack, plan: dict[str, str], finals: dict[str, SessionView]) -> Report:
    """Run every check of the chaos run over what arrived and what was stored."""
    report = Report()
    _check_states(report, plan, finals)
    await _check_exits(report, stack, plan, finals)
    _check_webhooks(report, stack, plan)
    _check_emails(report, stack, plan)
    store = Store.from_url(stack.database_url)
    try:
        audit = await store.verify_audit_chain()
    finally:
        await store.dispose()
    report.counts["audit events"] = audit.events
    if not audit.ok:
        report.misses["audit chain"].append(f"first bad event {audit.first_bad_event}")
    return report


def _check_states(report: Report, plan: dict[str, str], finals: dict[str, SessionView]) -> None:
    for sid, name in plan.items():
        view = finals.get(sid)
        want = SCENARIOS[name].status
        if view is None or view.status != want:
            got = view.status if view else "no result"
            report.misses["final state"].append(f"{sid} ({name}): {got}, expected {want}")
    report.counts["sessions"] = len(plan)


async def _check_exits(
    report: Report, stack: Stack, plan: dict[str, str], finals: dict[str, SessionView]
) -> None:
    store = Store.from_url(stack.database_url)
    try:
        async with store.engine.connect() as conn:
            rows = (
                await conn.execute(select(ExitRow.session_id, ExitRow.exit_id, ExitRow.kind))
            ).all()
    finally:
        await store.dispose()
    stored: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        stored[row.session_id].append((row.exit_id, row.kind))
    report.counts["exit records"] = len(rows)
    for sid, name in plan.items():
        kinds = sorted(kind for _, kind in stored[sid])
        if kinds != sorted(SCENARIOS[name].exits):
            report.misses["one exit record per exit"].append(f"{sid} ({name}): {kinds}")
        view = finals.get(sid)
        if view is not None and {e.exit_id for e in view.exits} != {i for i, _ in stored[sid]}:
            report.misses["one exit record per exit"].append(f"{sid}: ids differ from workflow")


def _check_webhooks(report: Report, stack: Stack, plan: dict[str, str]) -> None:
    deliveries = stack.inbox.deliveries
    ids: dict[tuple[str, str | None], set[str | None]] = defaultdict(set)
    for d in deliveries:
        ids[(str(d.data.get("session_id")), d.type)].add(d.webhook_id)
        if not d.verified:
            report.misses["webhooks signed"].append(f"{d.webhook_id}: {d.error}")
    accepted = {(str(d.data.get("session_id")), d.type) for d in stack.inbox.accepted}
    for sid, name in plan.items():
        want = SCENARIOS[name].webhooks
        for kind in want:
            if (sid, kind) not in accepted:
                report.misses["every webhook received"].append(f"{sid} ({name}): {kind}")
        got = {kind for (s, kind) in ids if s == sid}
        if got - want:
            report.misses["no unexpected webhook"].append(f"{sid}: {sorted(map(str, got - want))}")
    for key, webhook_ids in ids.items():
        if len(webhook_ids) != 1:
            report.misses["duplicates only with the same webhook-id"].append(
                f"{key}: {webhook_ids}"
            )
    statuses = Counter(d.status_code for d in deliveries)
    report.counts["webhook deliveries"] = len(deliveries)
    report.counts["webhook events"] = len(ids)
    report.counts["webhook 5xx answers"] = sum(n for code, n in statuses.items() if code >= 500)
    report.counts["webhook retries of a received event"] = len(deliveries) - len(ids)


def _check_emails(report: Report, stack: Stack, plan: dict[str, str]) -> None:
    by_event: dict[tuple[str, str], set[str]] = defaultdict(set)
    arrivals: Counter[str] = Counter()
    for message in stack.mail.messages:
        key = (str(message["X-Exitflow-Session"]), str(message["X-Exitflow-Event"]))
        by_event[key].add(str(message["Message-ID"]))
        arrivals[str(message["Message-ID"])] += 1
    for sid, name in plan.items():
        want = SCENARIOS[name].emails
        got = {kind for (s, kind) in by_event if s == sid}
        if got != want:
            report.misses["one email per event"].append(
                f"{sid} ({name}): {sorted(got)}, expected {sorted(want)}"
            )
    for key, message_ids in by_event.items():
        if len(message_ids) != 1:
            report.misses["one email per event"].append(f"{key}: {len(message_ids)} Message-IDs")
    report.counts["emails"] = sum(arrivals.values())
    report.counts["distinct Message-IDs"] = len(arrivals)
    report.counts["email re-sends (same Message-ID)"] = sum(n - 1 for n in arrivals.values())
