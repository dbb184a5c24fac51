"""Finding 8: query-string times and the dashboard's Basic header never make a 500.

A time without an offset is UTC, so it can bound a window with one that has an offset; a
time outside 1970-2100 UTC (year 1 at +14:00 and year 9999 at -14:00 have no UTC form at
all) is 422 naming the parameter; a Basic header that is not base64 of UTF-8 is a wrong password.
"""

from __future__ import annotations

import httpx

from tests.starter.api.helpers import HR

_WINDOWED = ["/v1/exits", "/v1/reports/funnel", "/v1/reports/recruiting", "/v1/reports/dashboard"]


def _field(response: httpx.Response) -> str:
    field: str = response.json()["error"]["details"]["fields"][0]["field"]
    return field


async def test_naive_and_aware_bounds_together_are_one_window(api: httpx.AsyncClient) -> None:
    """Finding 8: ``since`` without an offset and ``until`` with one are both read as UTC
    (the funnel echoes them so), where comparing them was a 500."""
    window = {"since": "2024-05-01", "until": "2024-06-01T02:00:00+02:00"}

    responses = {path: await api.get(path, params=window, headers=HR) for path in _WINDOWED}

    assert {path: r.status_code for path, r in responses.items()} == dict.fromkeys(_WINDOWED, 200)
    assert responses["/v1/reports/funnel"].json()["filter"] == {
        "since": "2024-05-01T00:00:00Z",
        "until": "2024-06-01T00:00:00Z",
        "job_id": None,
    }


async def test_times_out_of_range_are_422_naming_the_parameter(api: httpx.AsyncClient) -> None:
    """Finding 8: year 1 at +14:00 and year 9999 at -14:00 (no UTC form at all), or 1900, in
    every time parameter, are 422 ``invalid_field`` naming it, where converting them to UTC
    was a 500."""
    extremes = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01"]
    calls = [
        (path, name, value)
        for path in _WINDOWED
        for name in ("since", "until")
        for value in extremes
    ]
    calls += [("/v1/reports/recruiting", "change_at", value) for value in extremes]

    for path, name, value in calls:
        response = await api.get(path, params={name: value}, headers=HR)
        assert response.status_code == 422, (path, name, value, response.text)
        assert response.json()["error"]["code"] == "invalid_field"
        assert _field(response) == name, (path, name, value)


async def test_a_non_ascii_basic_header_is_a_wrong_password(api: httpx.AsyncClient) -> None:
    """Finding 8: ``Authorization: Basic é`` (and base64 of bytes that are not UTF-8) on the
    dashboard is 401 with the Basic challenge, where decoding it was a 500."""
    headers = [b"Basic \xe9", b"Basic \xff\xfe", b"Basic /w==", b"Basic =", b"Basic"]

    for header in headers:
        response = await api.get("/v1/reports/dashboard", headers={b"Authorization": header})
        assert response.status_code == 401, (header, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Basic")
