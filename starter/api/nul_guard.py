"""Text the database cannot keep is refused at the door.

PostgreSQL's ``text`` cannot hold U+0000, so a NUL in any query parameter or JSON string
would fail deep in the exit record (a 500, or an activity retried in vain). The API refuses
it with 422 naming the field, before anything is sent to a session.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

_NUL = "\x00"
_MESSAGE = "Text may not contain the NUL character (U+0000)."


async def refuse_nul_characters(request: Request) -> None:
    """Refuse a request whose query or JSON body holds U+0000 anywhere.

    Raises:
        RequestValidationError: Naming the first such field (422 ``invalid_field``).
    """
    for name, value in request.query_params.multi_items():
        if _NUL in name or _NUL in value:
            _refuse(["query", name.replace(_NUL, "")])
    body = await request.body()
    if b"\\u0000" not in body:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # FastAPI answers malformed JSON itself.
    path = _nul_path(parsed, [])
    if path is not None:
        _refuse(["body", *path])


def _nul_path(value: Any, path: list[str]) -> list[str] | None:
    if isinstance(value, str):
        return path if _NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _NUL in key:
                return [*path, key.replace(_NUL, "")]
            found = _nul_path(item, [*path, key])
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, [*path, str(index)])
            if found is not None:
                return found
    return None


def _refuse(loc: list[str]) -> None:
    raise RequestValidationError([{"type": "value_error", "loc": tuple(loc), "msg": _MESSAGE}])
