"""The facts a candidate message states, worked out once for every locale."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contract.codes import DownstreamKind, DownstreamStatus, EventType
from contract.events import ContestWindow, SessionEvent
from contract.sessions import Contest, ExitRecord
from links.contest import sign_contest_token
from links.resume import sign_resume_token


def candidate_zone(locale: str) -> tzinfo:
    """The time zone a candidate reads times in: Beijing time for zh-CN, UTC otherwise."""
    if locale != "zh-CN":
        return UTC
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:
        # Hosts without tz data still get the right answer: China has had no DST since 1991.
        return timezone(timedelta(hours=8), "CST")


def resume_url(base: str, *, session_id: str, token: str) -> str:
    """The link that brings a candidate back into a suspended session."""
    query = urlencode({"session_id": session_id, "token": token})
    separator = "&" if urlsplit(base).query else "?"
    return f"{base}{separator}{query}"


@dataclass(frozen=True)
class MessageContext:
    """What every template may say about one event, already localised in time."""

    name: str
    job_title: str
    session_id: str
    exit: ExitRecord | None
    saved_by_stage: tuple[tuple[str, int], ...]
    """Stages that hold saved work, in interview order, with their segment counts."""
    resume_url: str | None
    resume_deadline: datetime | None
    """In the candidate's time zone."""
    occurred_at: datetime
    """When the exit happened (or the event, if there is no exit), in the candidate's zone."""
    time_left: timedelta | None
    can_reapply: bool
    emails_candidate: bool
    reference: str
    """The number the candidate quotes when asking: the exit's id (a reminder's is the
    suspending exit's, a contest's the termination's), else the session id."""
    contest: Contest | None = None
    """The contest a ``termination.*`` event is about."""
    contest_url: str | None = None
    """The link to contest the termination, while its window is open."""
    contest_deadline: datetime | None = None
    """When the contest window closes, in the candidate's time zone."""
    called_off: tuple[tuple[DownstreamKind, datetime], ...] = ()
    """On an overturn: the steps the termination cancelled, which come back (kind and time,
    in the candidate's time zone)."""

    @property
    def saved_total(self) -> int:
        """How many segments are saved in all."""
        return sum(count for _, count in self.saved_by_stage)

    def window(self) -> tuple[str, datetime]:
        """The resume link and deadline of a suspended session.

        Raises:
            ValueError: The session has no running resume window to point to.
        """
        if self.resume_url is None or self.resume_deadline is None:
            raise ValueError(f"session {self.session_id} has no resume window to offer")
        return self.resume_url, self.resume_deadline

    def require_exit(self) -> ExitRecord:
        """The exit this message is about.

        Raises:
            ValueError: The event carries no exit record.
        """
        if self.exit is None:
            raise ValueError(f"event of session {self.session_id} carries no exit record")
        return self.exit


def build_context(
    event: SessionEvent,
    *,
    resume_url_base: str,
    resume_token_secret: bytes | None = None,
    contest_url_base: str | None = None,
) -> MessageContext:
    """Gather the facts of one event that a candidate message needs.

    With ``resume_token_secret`` the resume and contest links carry signed tokens, else the
    raw ones. Without ``contest_url_base`` no contest link is offered.
    """
    session = event.session
    zone = candidate_zone(session.candidate.locale)
    counts = Counter(segment.stage for segment in session.segments)
    order = list(session.stages) + sorted(stage for stage in counts if stage not in session.stages)
    suspension = session.suspension
    url = deadline = left = None
    if suspension is not None:
        token = suspension.resume_token
        if resume_token_secret is not None:
            token = sign_resume_token(
                resume_token_secret,
                session_id=session.session_id,
                raw_token=token,
                resume_deadline=suspension.resume_deadline,
            )
        url = resume_url(resume_url_base, session_id=session.session_id, token=token)
        deadline = suspension.resume_deadline.astimezone(zone)
        left = max(suspension.resume_deadline - event.at, timedelta(0))
    occurred = event.exit.at if event.exit else event.at
    window = session.contest_window
    contest_link = _contest_link(event, window, contest_url_base, resume_token_secret)
    return MessageContext(
        name=session.candidate.name,
        job_title=session.job.title,
        session_id=session.session_id,
        exit=event.exit,
        saved_by_stage=tuple((stage, counts[stage]) for stage in order if counts[stage]),
        resume_url=url,
        resume_deadline=deadline,
        occurred_at=occurred.astimezone(zone),
        time_left=left,
        can_reapply=session.policy.can_reapply,
        emails_candidate="email" in session.policy.channels,
        contest=event.contest,
        contest_url=contest_link,
        contest_deadline=window.deadline.astimezone(zone) if contest_link and window else None,
        called_off=_called_off(event, zone),
        reference=(
            event.exit.exit_id
            if event.exit
            else event.contest.exit_id
            if event.contest
            else suspension.exit_id
            if suspension
            else session.session_id
        ),
    )


def _called_off(event: SessionEvent, zone: tzinfo) -> tuple[tuple[DownstreamKind, datetime], ...]:
    if event.type is not EventType.TERMINATION_OVERTURNED:
        return ()
    return tuple(
        (step.kind, step.scheduled_at.astimezone(zone))
        for step in event.session.downstream
        if step.status is DownstreamStatus.CANCELLED
    )


def _contest_link(
    event: SessionEvent, window: ContestWindow | None, base: str | None, secret: bytes | None
) -> str | None:
    if window is None or base is None or event.contest is not None:
        return None
    token = window.contest_token
    if secret is not None:
        token = sign_contest_token(
            secret,
            session_id=event.session.session_id,
            exit_id=window.exit_id,
            raw_token=token,
            deadline=window.deadline,
        )
    # The contest page takes the same two parameters as the resume page.
    return resume_url(base, session_id=event.session.session_id, token=token)


def humanize(code: str) -> str:
    """A readable fallback for a code no map knows, e.g. a session's own stage name."""
    words = code.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def rounded_minutes(left: timedelta) -> int:
    """Minutes left, rounded to the nearest minute and never below one."""
    return max(1, round(left.total_seconds() / 60))
