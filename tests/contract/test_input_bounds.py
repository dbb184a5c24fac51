"""Issue 14's input findings, at the models every entrance shares (API, Temporal, CLI)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from contract.contests import ContestDecisionInput
from contract.refusals import field_errors
from contract.sessions import (
    SegmentInput,
    SessionPolicy,
    StartSession,
    TerminateInput,
    WithdrawInput,
)
from tests.fixtures.temporal import session_body


def _start(**changes: Any) -> dict[str, Any]:
    body = session_body().model_dump(mode="json")
    for path, value in changes.items():
        node = body
        *parents, last = path.split("__")
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[last] = value
    return body


def _refused(model: type[Any], body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return [item["field"] for item in field_errors(caught.value)]


@pytest.mark.parametrize(
    "accepted_at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z"],
)
def test_a_consent_time_outside_the_sane_range_is_refused(accepted_at: str) -> None:
    """finding 1: a year-1 (or year-9999) consent time, which overflowed the database, is
    refused naming consent.accepted_at."""
    body = _start(consent={"notice_version": "v1", "accepted_at": accepted_at})

    assert _refused(StartSession, body) == ["consent.accepted_at"]


def test_times_are_kept_in_utc_as_the_same_instant() -> None:
    """finding 1: an accepted time is normalised to UTC, so no later conversion can overflow."""
    body = _start(consent={"notice_version": "v1", "accepted_at": "2024-05-10T23:30:00+14:00"})

    consent = StartSession.model_validate(body).consent

    assert consent is not None
    assert consent.accepted_at.isoformat() == "2024-05-10T09:30:00+00:00"


def test_a_hundred_thousand_stages_are_refused() -> None:
    """finding 2: 100,000 stages, which stalled the funnel report, are refused naming stages."""
    body = _start(stages=[f"stage-{i}" for i in range(100_000)])

    assert _refused(StartSession, body) == ["stages"]


def test_fifty_stages_are_still_a_session() -> None:
    """finding 2: the bound leaves room for any real interview (up to 50 stages)."""
    body = _start(stages=[f"stage-{i}" for i in range(50)])

    assert len(StartSession.model_validate(body).stages) == 50


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("candidate__name", "Ann\r\nBcc: everyone@example.com"),
        ("candidate__name", "Ann\nLee"),
        ("candidate__name", "Ann\u2028Lee"),
        ("candidate__name", "Ann\x85Lee"),
        ("candidate__name", "Ann\tLee"),
        ("job__title", "Sales\r\nManager"),
        ("job__title", "Sales\x1bManager"),
    ],
)
def test_line_breaks_in_names_and_titles_are_refused(path: str, value: str) -> None:
    """finding 4: CR/LF (or any control or line separator) in a candidate's name or a job
    title, which broke every email of the session, is refused naming the field."""
    assert _refused(StartSession, _start(**{path: value})) == [path.replace("__", ".")]


def test_line_breaks_in_an_actor_name_are_refused() -> None:
    """finding 4: the HR actor's name goes into messages too: one line only."""
    actor = {"id": "hr-1", "name": "Kim\r\nX-Injected: yes"}
    explanation = "The recording was reviewed in full by two people."

    terminate = _refused(
        TerminateInput, {"reason_code": "other", "explanation": explanation, "actor": actor}
    )
    decide = _refused(
        ContestDecisionInput,
        {"contest_id": "c-1", "outcome": "upheld", "explanation": explanation, "actor": actor},
    )

    assert terminate == decide == ["actor.name"]


def test_free_text_keeps_its_lines_but_no_other_control_characters() -> None:
    """finding 4: a comment may span lines (CR LF becomes LF); an escape code may not."""
    kept = WithdrawInput.model_validate({"reason_code": "other", "comment": "one\r\ntwo\tthree"})

    assert kept.comment == "one\ntwo\tthree"
    assert _refused(WithdrawInput, {"reason_code": "other", "comment": "a\x1b[31mb"}) == ["comment"]


@pytest.mark.parametrize("scheduled_at", ["2024-05-12T09:00:00", "2024-05-12 09:00"])
def test_a_naive_downstream_time_is_refused(scheduled_at: str) -> None:
    """finding 5: a scheduled_at without a UTC offset, on which the step workflow failed
    forever, is refused naming downstream.0.scheduled_at."""
    body = _start(downstream__0__scheduled_at=scheduled_at)

    assert _refused(StartSession, body) == ["downstream.0.scheduled_at"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resume_window_hours", 1e-300),
        ("resume_window_hours", float("inf")),
        ("resume_window_hours", float("nan")),
        ("heartbeat_timeout_seconds", 1e309),
        ("reminder_before_deadline_hours", 1e-300),
        ("contest_window_days", 1e-300),
    ],
)
def test_durations_are_finite_and_at_least_a_second(field: str, value: float) -> None:
    """A window of 1e-300 hours, Infinity or NaN is refused naming the field."""
    assert _refused(SessionPolicy, {field: value}) == [field]


def test_a_reminder_must_fall_inside_its_window() -> None:
    """A reminder at or before the window opens is refused; 0 turns it off; the default
    two-hour reminder stays valid for shorter windows (it is then not sent)."""
    assert _refused(
        SessionPolicy, {"resume_window_hours": 1, "reminder_before_deadline_hours": 1}
    ) == ["reminder_before_deadline_hours"]
    SessionPolicy.model_validate({"resume_window_hours": 1, "reminder_before_deadline_hours": 0})
    SessionPolicy.model_validate({"resume_window_hours": 0.002})


def test_questions_correct_beyond_answered_names_the_field() -> None:
    """A cross-field refusal still names the field at fault, not the whole body."""
    body = {"stage": "x", "segment_id": "s", "kind": "assessment", "questions_answered": 1}

    assert _refused(SegmentInput, {**body, "questions_correct": 2}) == ["questions_correct"]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("session_id", "."),
        ("session_id", ".."),
        ("session_id", "s" * 129),
        ("candidate__id", ".."),
        ("job__id", "."),
        ("interviewer_id", "..."),
    ],
)
def test_ids_of_dots_only_or_too_long_are_refused(path: str, value: str) -> None:
    """An id of dots only could never be addressed (a URL drops ``.`` and ``..`` as dot
    segments), so it is refused at the start, naming the field."""
    assert _refused(StartSession, _start(**{path: value})) == [path.replace("__", ".")]


@pytest.mark.parametrize("value", ["a.", ".a", "..a..", "s-20240510.0042", "x" * 128])
def test_ids_with_dots_beside_other_characters_are_kept(value: str) -> None:
    """Dots stay allowed wherever the id has another character too."""
    assert StartSession.model_validate(_start(session_id=value)).session_id == value
