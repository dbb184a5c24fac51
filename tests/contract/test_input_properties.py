"""Properties of every input model: valid input round-trips, hostile input is refused by name.

Each model is driven in both ways a payload arrives: as Python values (the API's parsed
JSON, the CLI) and as raw JSON bytes (the Temporal data converter's ``validate_json``).
Whatever is generated, the only exception a model may raise is a ``ValidationError``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from contract.contests import ContestDecision, ContestDecisionInput, ContestInput
from contract.data_rights import ErasureInput, HoldInput, LiftHoldInput, RetentionInput
from contract.sessions import (
    Actor,
    Candidate,
    ClientInfo,
    CompleteInput,
    Consent,
    DownstreamStep,
    FaultInput,
    HeartbeatInput,
    Job,
    ResumeInput,
    SegmentInput,
    SessionPolicy,
    StartSession,
    TerminateInput,
    WithdrawInput,
)

PROPERTIES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Valid building blocks.

_LINE_CHARS = st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"])
_TEXT_CHARS = st.one_of(_LINE_CHARS, st.sampled_from("\n\t\r"))


def _line(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    text = st.text(_LINE_CHARS, min_size=min_size, max_size=max_size)
    return text.filter(lambda s: len(s.strip()) >= min_size) if min_size else text


def _text(max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    text = st.text(_TEXT_CHARS, min_size=min_size, max_size=min(max_size, min_size + 300))
    return text.filter(lambda s: len(s.strip()) >= min_size) if min_size else text


def _pattern(regex: str) -> st.SearchStrategy[str]:
    return st.from_regex(regex, fullmatch=True)


_IDS = _pattern(r"[A-Za-z0-9._:@/-]{0,20}[A-Za-z0-9_:@/-][A-Za-z0-9._:@/-]{0,19}")
_STAGES = _pattern(r"[A-Za-z0-9_.-]{1,64}")
_EMAILS = st.builds(
    "{}.{}@{}.{}".format,
    _pattern(r"[a-z0-9]{1,12}"),
    _pattern(r"[a-z0-9]{1,12}"),
    _pattern(r"[a-z]{1,12}"),
    st.sampled_from(["com", "org", "cn", "io"]),
)
_OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
_TIMES = st.builds(
    lambda moment, offset: moment.replace(tzinfo=offset).isoformat(),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    _OFFSETS,
)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def _fields(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(required, optional=optional)


_ACTORS = _fields({"id": _IDS, "name": _line(200, min_size=1)}, {})
_CLIENTS = _fields(
    {},
    {
        **{key: _optional(_line(64)) for key in ("ip", "browser", "browser_version", "os")},
        "device": _optional(_line(64)),
        "network_latency_ms": _optional(st.floats(0, 86_400_000)),
    },
)
_CANDIDATES = _fields(
    {"id": _IDS, "name": _line(200, min_size=1), "email": _EMAILS},
    {
        "phone": _optional(_pattern(r"\+?[0-9]{5,20}")),
        "locale": st.sampled_from(["zh-CN", "en"]),
    },
)
_JOBS = _fields({"id": _IDS, "title": _line(200, min_size=1)}, {})
_STEPS = _fields(
    {
        "step_id": _IDS,
        "kind": st.sampled_from(["assessment", "written_test", "onsite_interview", "other"]),
        "scheduled_at": _TIMES,
    },
    {},
)
_CONSENTS = _fields(
    {"notice_version": _line(64, min_size=1), "accepted_at": _TIMES},
    {"text_sha256": _optional(_pattern(r"[0-9A-Fa-f]{64}"))},
)
_SECOND = 1 / 3600


@st.composite
def _policies(draw: st.DrawFn) -> dict[str, Any]:
    window = draw(st.floats(_SECOND, 720))
    reminder = draw(
        st.one_of(
            st.just(0),
            st.just(2.0),
            st.floats(_SECOND, window, exclude_max=True) if window > _SECOND else st.just(0),
        )
    )
    optional = {
        "heartbeat_timeout_seconds": st.floats(5, 86_400),
        "channels": st.lists(st.sampled_from(["email", "sms"]), max_size=2, unique=True),
        "can_reapply": st.booleans(),
        "contest_window_days": st.one_of(st.just(0), st.floats(1 / 86400, 365)),
    }
    policy = {"resume_window_hours": window, "reminder_before_deadline_hours": reminder}
    return {**policy, **draw(_fields({}, optional))}


_STARTS = _fields(
    {
        "session_id": _pattern(r"[A-Za-z0-9._:-]{0,64}[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,63}"),
        "candidate": _CANDIDATES,
        "job": _JOBS,
        "interviewer_id": _IDS,
    },
    {
        "stages": st.lists(_STAGES, min_size=1, max_size=50, unique=True),
        "downstream": st.lists(_STEPS, max_size=20, unique_by=lambda step: step["step_id"]),
        "policy": _policies(),
        "consent": _optional(_CONSENTS),
    },
)


@st.composite
def _segments(draw: st.DrawFn) -> dict[str, Any]:
    answered = draw(_optional(st.integers(0, 10_000)))
    correct = draw(_optional(st.integers(0, answered or 0)))
    optional = {
        "video_seconds": _optional(st.floats(0, 86_400)),
        "artifact_uri": _optional(_line(2048)),
    }
    body = {
        "stage": draw(_STAGES),
        "segment_id": draw(_IDS),
        "kind": draw(st.sampled_from(["video", "assessment"])),
        "questions_answered": answered,
        "questions_correct": correct,
    }
    return {**body, **draw(_fields({}, optional))}


_TERMINATE_REASONS = [
    "resume_misrepresentation",
    "answer_misconduct",
    "position_filled",
    "not_qualified",
    "duplicate_application",
    "other",
]
_DECISIONS = _fields(
    {
        "outcome": st.sampled_from(["upheld", "overturned"]),
        "explanation": _text(2000, min_size=20),
        "actor": _ACTORS,
    },
    {},
)

VALID: dict[type[BaseModel], st.SearchStrategy[dict[str, Any]]] = {
    StartSession: _STARTS,
    Candidate: _CANDIDATES,
    Job: _JOBS,
    DownstreamStep: _STEPS,
    SessionPolicy: _policies(),
    Consent: _CONSENTS,
    ClientInfo: _CLIENTS,
    SegmentInput: _segments(),
    HeartbeatInput: _fields({}, {"client": _optional(_CLIENTS)}),
    FaultInput: _fields(
        {"cause": st.sampled_from(["network", "device", "browser", "server", "other"])},
        {"detail": _optional(_text(2000)), "client": _optional(_CLIENTS)},
    ),
    ResumeInput: _fields({"resume_token": _line(512, min_size=1)}, {}),
    WithdrawInput: _fields(
        {"reason_code": st.sampled_from(["lost_interest", "other", "process_too_long"])},
        {"comment": _optional(_text(2000))},
    ),
    Actor: _ACTORS,
    TerminateInput: _fields(
        {
            "reason_code": st.sampled_from(_TERMINATE_REASONS),
            "explanation": _text(2000, min_size=20),
            "actor": _ACTORS,
        },
        {},
    ),
    CompleteInput: st.just({}),
    ContestInput: _fields(
        {"contest_token": _line(512, min_size=1), "statement": _text(4000, min_size=1)}, {}
    ),
    ContestDecision: _DECISIONS,
    ContestDecisionInput: st.builds(lambda d, cid: {**d, "contest_id": cid}, _DECISIONS, _IDS),
    HoldInput: _fields({"reason": _text(2000, min_size=1), "actor": _ACTORS}, {}),
    LiftHoldInput: _fields({"actor": _ACTORS}, {"reason": _optional(_text(2000))}),
    ErasureInput: _fields({"actor": _ACTORS}, {"reason": _optional(_text(2000))}),
    RetentionInput: _fields(
        {},
        {
            "older_than_days": st.integers(1, 36_500),
            "dry_run": st.booleans(),
            "batch_size": st.integers(1, 5000),
        },
    ),
}


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("model", list(VALID), ids=lambda model: model.__name__)
@PROPERTIES
@given(data=st.data())
def test_valid_input_is_accepted_and_round_trips(model: type[BaseModel], data: Any) -> None:
    """What a valid sender sends is accepted, and its JSON dump decodes to the same value."""
    body = data.draw(VALID[model])

    parsed = model.model_validate(body)

    assert model.model_validate(parsed.model_dump(mode="json")) == parsed
    assert model.model_validate_json(parsed.model_dump_json()) == parsed
    assert model.model_validate_json(_json(body)) == parsed


# Hostile values, each aimed at one field of a valid body.

_CONTROLS = [
    *map(chr, range(0x20)),
    "\x7f",
    *map(chr, range(0x80, 0xA0)),
    "\u2028",
    "\u2029",
    "\ud800",
    "\udfff",
]
_TEXT_CONTROLS = [char for char in _CONTROLS if char not in "\n\t\r"]
_WORDS = _pattern(r"[A-Za-z]{1,20}")


def _embedded(controls: list[str]) -> st.SearchStrategy[str]:
    # Between two words: a control at either end would only be stripped as whitespace.
    return st.builds(lambda a, c, b: a + c + b, _WORDS, st.sampled_from(controls), _WORDS)


def _oversize(max_length: int) -> st.SearchStrategy[str]:
    return st.sampled_from([max_length + 1, max_length * 3, 200_000]).map(lambda n: "x" * n)


_NOT_TEXT = st.one_of(st.integers(), st.floats(), st.lists(st.integers(), max_size=2))


def _hostile_line(max_length: int) -> st.SearchStrategy[Any]:
    return st.one_of(_embedded(_CONTROLS), _oversize(max_length), _NOT_TEXT)


def _hostile_text(max_length: int) -> st.SearchStrategy[Any]:
    return st.one_of(_embedded(_TEXT_CONTROLS), _oversize(max_length), _NOT_TEXT)


_NAIVE_TIMES = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30))
_OUT_OF_RANGE = st.one_of(
    # A day clear of the range, so that no UTC offset brings them back inside it.
    st.datetimes(max_value=datetime(1999, 12, 30)),
    st.datetimes(min_value=datetime(2100, 1, 2)),
)
_HOSTILE_TIMES = st.one_of(
    _NAIVE_TIMES.map(datetime.isoformat),
    st.builds(lambda m, tz: m.replace(tzinfo=tz).isoformat(), _OUT_OF_RANGE, _OFFSETS),
    st.sampled_from(
        [
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "1999-12-31T23:59:59.999999Z",
            "2100-01-01T00:00:00Z",
            "2099-12-31T23:00:00-14:00",
            "2024-05-12T09:00:00+25:00",
            "tomorrow",
            "",
            1e300,
            -1e300,
            10**30,
        ]
    ),
)
_NON_FINITE = st.sampled_from([float("inf"), float("-inf"), float("nan"), 10**400, 1e309])


def _hostile_number(low: float, high: float) -> st.SearchStrategy[Any]:
    below = st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = st.floats(min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False)
    return st.one_of(_NON_FINITE, below, above, st.just(10**100), st.just(-(10**100)))


_HUGE_LISTS = st.sampled_from([51, 500, 100_000]).map(lambda n: [f"s{i}" for i in range(n)])

Target = tuple[type[BaseModel], str, st.SearchStrategy[Any]]
TARGETS: list[Target] = [
    (StartSession, "session_id", _hostile_line(128)),
    (StartSession, "candidate.name", _hostile_line(200)),
    (StartSession, "candidate.email", _hostile_line(254)),
    (StartSession, "candidate.id", _hostile_line(128)),
    (StartSession, "job.title", _hostile_line(200)),
    (StartSession, "interviewer_id", _hostile_line(128)),
    (StartSession, "stages", st.one_of(_HUGE_LISTS, st.just(["a", "a"]), st.just([]))),
    (StartSession, "stages.0", _hostile_line(64)),
    (StartSession, "downstream.0.scheduled_at", _HOSTILE_TIMES),
    (StartSession, "downstream.0.step_id", _hostile_line(128)),
    (StartSession, "consent.accepted_at", _HOSTILE_TIMES),
    (StartSession, "consent.notice_version", _hostile_line(64)),
    (StartSession, "policy.resume_window_hours", _hostile_number(1 / 3600, 720)),
    (StartSession, "policy.heartbeat_timeout_seconds", _hostile_number(5, 86_400)),
    (StartSession, "policy.reminder_before_deadline_hours", _hostile_number(0, 720)),
    (StartSession, "policy.contest_window_days", _hostile_number(0, 365)),
    (StartSession, "policy.channels", st.just(["email", "email"])),
    (SegmentInput, "stage", _hostile_line(64)),
    (SegmentInput, "segment_id", _hostile_line(128)),
    (SegmentInput, "artifact_uri", _hostile_line(2048)),
    (SegmentInput, "video_seconds", _hostile_number(0, 86_400)),
    (SegmentInput, "questions_answered", _hostile_number(0, 10_000)),
    (HeartbeatInput, "client.browser", _hostile_line(64)),
    (HeartbeatInput, "client.network_latency_ms", _hostile_number(0, 86_400_000)),
    (FaultInput, "detail", _hostile_text(2000)),
    (FaultInput, "client.ip", _hostile_line(64)),
    (FaultInput, "client.os", _hostile_line(64)),
    (FaultInput, "client.device", _hostile_line(64)),
    (FaultInput, "client.browser_version", _hostile_line(64)),
    (ResumeInput, "resume_token", _hostile_line(512)),
    (WithdrawInput, "comment", _hostile_text(2000)),
    (TerminateInput, "explanation", _hostile_text(2000)),
    (TerminateInput, "actor.name", _hostile_line(200)),
    (TerminateInput, "actor.id", _hostile_line(128)),
    (ContestInput, "contest_token", _hostile_line(512)),
    (ContestInput, "statement", _hostile_text(4000)),
    (ContestDecisionInput, "explanation", _hostile_text(2000)),
    (ContestDecisionInput, "actor.name", _hostile_line(200)),
    (ContestDecisionInput, "contest_id", _hostile_line(128)),
    (HoldInput, "reason", _hostile_text(2000)),
    (HoldInput, "actor.name", _hostile_line(200)),
    (LiftHoldInput, "reason", _hostile_text(2000)),
    (ErasureInput, "reason", _hostile_text(2000)),
    (ErasureInput, "actor.name", _hostile_line(200)),
    (RetentionInput, "older_than_days", _hostile_number(1, 36_500)),
    (RetentionInput, "batch_size", _hostile_number(1, 5000)),
]

_FILLERS: dict[str, Callable[[], Any]] = {
    "consent": lambda: {"notice_version": "v1", "accepted_at": "2024-05-10T08:58:00Z"},
    "downstream": lambda: [
        {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T09:00:00Z"}
    ],
    "client": dict,
    "stages": lambda: ["self_intro"],
    "actor": lambda: {"id": "hr-1", "name": "Kim"},
}


_KIM = {"id": "hr-1", "name": "Kim"}
_EXPLANATION = "The recording was reviewed in full by two people."
BASES: dict[type[BaseModel], dict[str, Any]] = {
    StartSession: {
        "session_id": "s-1",
        "candidate": {"id": "c-1", "name": "Ann Lee", "email": "ann@example.com"},
        "job": {"id": "job-1", "title": "Sales Manager"},
        "interviewer_id": "iv-7",
    },
    SegmentInput: {"stage": "self_intro", "segment_id": "seg-1", "kind": "video"},
    HeartbeatInput: {},
    FaultInput: {"cause": "network"},
    ResumeInput: {"resume_token": "abc"},
    WithdrawInput: {"reason_code": "other"},
    TerminateInput: {"reason_code": "other", "explanation": _EXPLANATION, "actor": _KIM},
    ContestInput: {"contest_token": "abc", "statement": "I did nothing wrong."},
    ContestDecisionInput: {
        "contest_id": "ct-1",
        "outcome": "upheld",
        "explanation": _EXPLANATION,
        "actor": _KIM,
    },
    HoldInput: {"reason": "A claim was filed.", "actor": _KIM},
    LiftHoldInput: {"actor": _KIM},
    ErasureInput: {"actor": _KIM},
    RetentionInput: {},
}


def _aimed(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``body`` with ``value`` at ``path``, making the containers on the way as needed."""
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        if isinstance(node, list):
            node = node[int(part)]
            continue
        if node.get(part) is None or (isinstance(node[part], list) and not node[part]):
            node[part] = _FILLERS[part]() if part in _FILLERS else {}
        node = node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return body


def _named(err: ValidationError, path: str) -> bool:
    locs = [".".join(str(part) for part in item["loc"]) for item in err.errors()]
    return any(loc == path or loc.startswith(f"{path}.") for loc in locs)


def test_the_bases_are_valid() -> None:
    """Each hostile value below is aimed at a body that is valid without it."""
    for model, body in BASES.items():
        model.model_validate(body)


@pytest.mark.parametrize(
    ("model", "path", "hostile"), TARGETS, ids=[f"{m.__name__}.{p}" for m, p, _ in TARGETS]
)
@PROPERTIES
@given(data=st.data())
def test_hostile_values_are_refused_naming_the_field(
    model: type[BaseModel], path: str, hostile: st.SearchStrategy[Any], data: Any
) -> None:
    """Control characters, oversize text, naive or extreme times, non-finite or absurd numbers
    and oversize lists are refused with a ``ValidationError`` that names the field."""
    body = _aimed(BASES[model], path, data.draw(hostile))

    with pytest.raises(ValidationError) as as_values:
        model.model_validate(body)
    with pytest.raises(ValidationError) as as_json:
        model.model_validate_json(_json(body))

    assert _named(as_values.value, path)
    # Raw JSON with a lone surrogate is not UTF-8 at all: refused whole, before any field.
    raw = _json(body)
    if raw.decode("utf-8", "replace") == raw.decode("utf-8", "surrogatepass"):
        assert _named(as_json.value, path)


_STRICT = [model for model in BASES if model is not RetentionInput]


@pytest.mark.parametrize("model", _STRICT, ids=lambda model: model.__name__)
@settings(max_examples=20, deadline=None)
@given(key=_pattern(r"[a-z_]{1,20}"))
def test_unknown_fields_are_refused_by_name(model: type[BaseModel], key: str) -> None:
    """A field the model does not have is refused, named, never dropped."""
    if key in model.model_fields:
        return
    body = {**BASES[model], key: "x"}

    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)

    assert _named(caught.value, key)


@PROPERTIES
@given(
    anything=st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_any_json_value_is_accepted_or_refused_never_crashes(anything: Any) -> None:
    """Arbitrary JSON thrown at each model ends in a value or a ValidationError, nothing else."""
    for model in VALID:
        try:
            model.model_validate(anything)
            model.model_validate_json(_json(anything))
        except ValidationError:
            pass


def test_utc_normalisation_keeps_the_instant() -> None:
    """A timestamp with an offset is kept as the same instant in UTC."""
    step = DownstreamStep.model_validate(
        {"step_id": "wt-1", "kind": "written_test", "scheduled_at": "2024-05-12T17:00:00+08:00"}
    )

    assert step.scheduled_at == datetime(2024, 5, 12, 9, tzinfo=UTC)
    assert step.scheduled_at.utcoffset() == timedelta(0)
