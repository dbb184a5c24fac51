"""JSON bodies are I-JSON (RFC 7493): duplicate keys, lone surrogates and non-finite numbers
are refused naming where they are, text that is not UTF-8 is malformed; nothing changes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from starter.api.strict_json import NotIJson, loads_i_json
from tests.starter.api.helpers import HR, PLATFORM, started

JSON = {**PLATFORM, "Content-Type": "application/json"}


async def _status(api: httpx.AsyncClient, sid: str) -> str:
    view = await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)
    status: str = view.json()["status"]
    return status


def _fields(response: httpx.Response) -> list[str]:
    return [item["field"] for item in response.json()["error"]["details"]["fields"]]


async def test_a_duplicate_key_is_refused_not_last_wins(api: httpx.AsyncClient) -> None:
    """I-JSON: ``{"reason_code": "lost_interest", "reason_code": "other"}`` is 422 naming
    ``reason_code``, where Python's parser kept the last one and the withdrawal went through."""
    sid = (await started(api))["session_id"]
    body = b'{"reason_code": "lost_interest", "reason_code": "other"}'

    response = await api.post(f"/v1/sessions/{sid}/withdraw", content=body, headers=JSON)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_field"
    assert _fields(response) == ["reason_code"]
    assert "twice" in response.json()["error"]["message"]
    assert await _status(api, sid) == "active"


async def test_a_nested_duplicate_key_is_named_by_its_path(api: httpx.AsyncClient) -> None:
    """I-JSON: a duplicate inside an object inside the body is named ``actor.id``."""
    sid = (await started(api))["session_id"]
    body = (
        b'{"reason_code": "other", "explanation": "The candidate asked us to stop today.",'
        b' "actor": {"id": "hr-1", "name": "Ann", "id": "hr-2"}}'
    )
    hr = {**HR, "Content-Type": "application/json"}

    response = await api.post(f"/v1/sessions/{sid}/terminate", content=body, headers=hr)

    assert (response.status_code, _fields(response)) == (422, ["actor.id"])
    assert await _status(api, sid) == "active"


async def test_a_lone_surrogate_is_422_naming_the_field(api: httpx.AsyncClient) -> None:
    """I-JSON: a lone UTF-16 surrogate escape, in a value or a key, is 422 naming where, not
    a 500 when the text is later encoded."""
    sid = (await started(api))["session_id"]
    bodies = {
        b'{"reason_code": "other", "comment": "\\ud800"}': "comment",
        b'{"reason_code": "other", "comment": "ok \\udc00 not ok"}': "comment",
        b'{"reason_code": "other", "\\udfff": 1}': "?",
    }

    for body, field in bodies.items():
        response = await api.post(f"/v1/sessions/{sid}/withdraw", content=body, headers=JSON)
        assert (response.status_code, _fields(response)) == (422, [field]), body

    assert await _status(api, sid) == "active"


async def test_a_non_finite_number_is_422_naming_the_field(api: httpx.AsyncClient) -> None:
    """I-JSON: ``NaN``, ``Infinity`` and numbers beyond a double are 422 naming the field."""
    sid = (await started(api))["session_id"]
    body = b'{"stage": "self_intro", "segment_id": "a", "kind": "video", "video_seconds": %s}'

    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1.5e999"):
        response = await api.post(
            f"/v1/sessions/{sid}/progress", content=body % number, headers=JSON
        )
        assert (response.status_code, _fields(response)) == (422, ["video_seconds"]), number

    assert (await api.get(f"/v1/sessions/{sid}", headers=PLATFORM)).json()[
        "completed_segments"
    ] == []


async def test_text_that_is_not_utf_8_is_malformed(api: httpx.AsyncClient) -> None:
    """I-JSON: a body in CESU-8, UTF-16 or led by a byte order mark is 400
    ``malformed_json``, where Python's parser took each of them."""
    sid = (await started(api))["session_id"]
    bodies = [
        b'{"reason_code": "other", "comment": "\xed\xa0\x80"}',  # a surrogate as UTF-8 bytes
        '{"reason_code": "other"}'.encode("utf-16"),
        b'\xef\xbb\xbf{"reason_code": "other"}',  # a byte order mark
    ]

    for body in bodies:
        response = await api.post(f"/v1/sessions/{sid}/withdraw", content=body, headers=JSON)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "malformed_json"

    assert await _status(api, sid) == "active"


async def test_the_key_is_checked_before_the_json(api: httpx.AsyncClient) -> None:
    """A body with a duplicate key and no key, or another role's, is 401 or 403 first."""
    body = b'{"reason_code": "other", "reason_code": "other"}'
    no_key = {"Content-Type": "application/json"}
    hr = {**HR, "Content-Type": "application/json"}

    anonymous = await api.post("/v1/sessions/s-x/withdraw", content=body, headers=no_key)
    wrong_role = await api.post("/v1/sessions/s-x/withdraw", content=body, headers=hr)

    assert anonymous.status_code == 401
    assert wrong_role.status_code == 403


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(value=_JSON_VALUES)
def test_every_i_json_value_parses_as_json_does(value: Any) -> None:
    """I-JSON: any JSON value free of the refused forms reads back as ``json`` reads it."""
    body = json.dumps(value, ensure_ascii=False).encode()
    assert loads_i_json(body) == json.loads(body)


@settings(max_examples=100, deadline=None)
@given(value=st.dictionaries(_TEXT, _JSON_VALUES, min_size=1, max_size=3), data=st.data())
def test_a_repeated_key_anywhere_is_named(value: dict[str, Any], data: st.DataObject) -> None:
    """I-JSON: repeating any key of an object, at any depth inside a list, is refused with
    that key's path."""
    key = data.draw(st.sampled_from(sorted(value)))
    repeated = json.dumps(value)[:-1] + f", {json.dumps(key)}: null}}"
    depth = data.draw(st.integers(0, 3))
    body = ("[" * depth + repeated + "]" * depth).encode()

    with pytest.raises(NotIJson) as refused:
        loads_i_json(body)

    assert refused.value.path == ["0"] * depth + [key]
