"""JSON bodies are I-JSON (RFC 7493): UTF-8, unique keys, no lone surrogates, finite numbers.

Python's ``json`` keeps the last of two equal keys, decodes ``"\\ud800"`` into a string no
database or response can encode, and reads ``NaN`` and ``1e400``. The API refuses each of
these, naming where in the body it is, instead of acting on a value the caller did not mean
or failing later with a 500. :func:`loads_i_json` is the one parser; :func:`refuse_non_i_json`
applies it to every API route's JSON body.
"""

from __future__ import annotations

import email.message
import json
import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError


class NotIJson(ValueError):
    """A JSON text that is not I-JSON; ``path`` is where (keys and indexes), or None."""

    def __init__(self, message: str, path: list[str] | None = None) -> None:
        """Keep the reason and, when the text parsed, where in it the problem is."""
        super().__init__(message)
        self.message = message
        self.path = path


class _Object(dict[str, Any]):
    """A JSON object that remembers the first key it was given twice."""

    duplicate: str | None = None


class _NonFinite:
    """Stands in for ``NaN``, ``Infinity`` or a number too large for a double."""


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                obj.duplicate = key
                break
            seen.add(key)
    return obj


def _number(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite()


def loads_i_json(body: bytes) -> Any:
    """Parse ``body`` as I-JSON.

    Raises:
        NotIJson: The body is not UTF-8 or not JSON (``path`` None), or it holds a duplicate
            key, a lone surrogate or a non-finite number (``path`` says where).
    """
    try:
        text = body.decode("utf-8")
        parsed = json.loads(
            text, object_pairs_hook=_object, parse_float=_number, parse_constant=_refuse_constant
        )
    except UnicodeDecodeError as err:
        raise NotIJson("The request body is not UTF-8.") from err
    except (ValueError, RecursionError) as err:
        raise NotIJson("The request body is not valid JSON.") from err
    problem = _first_problem(parsed)
    if problem is not None:
        raise NotIJson(problem[1], problem[0])
    return parsed


def _refuse_constant(name: str) -> _NonFinite:
    return _NonFinite()


def _first_problem(parsed: Any) -> tuple[list[str], str] | None:
    """Where the first I-JSON violation is, and what it is; None when there is none."""
    stack: list[tuple[list[str], Any]] = [([], parsed)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _NonFinite):
            return path, "Numbers must be finite (no NaN, Infinity, or values beyond 1.8e308)."
        if isinstance(value, str) and not _is_unicode(value):
            return path, "Text may not contain a lone UTF-16 surrogate."
        if isinstance(value, _Object):
            if value.duplicate is not None:
                return [*path, value.duplicate], f"The key {value.duplicate!r} appears twice."
            for key, item in reversed(value.items()):
                if not _is_unicode(key):
                    return [*path, key.encode("utf-8", "replace").decode()], (
                        "Keys may not contain a lone UTF-16 surrogate."
                    )
                stack.append(([*path, key], item))
        elif isinstance(value, list):
            stack.extend(([*path, str(i)], item) for i, item in reversed(list(enumerate(value))))
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type")
    if content_type is None:
        return True  # FastAPI reads a body without a type as JSON.
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def refuse_non_i_json(request: Request) -> None:
    """Refuse a JSON body that is not I-JSON: 422 naming the field, 400 when not JSON at all.

    Runs before the route's key check; the error handler checks the key first, so a caller
    without one still learns that rather than what was wrong with its body.

    Raises:
        RequestValidationError: ``json_invalid`` (400 ``malformed_json``) or a field error
            (422 ``invalid_field``).
    """
    if not _is_json(request):
        return
    body = await request.body()
    if not body:
        return
    try:
        loads_i_json(body)
    except NotIJson as err:
        if err.path is None:
            error = {"type": "json_invalid", "loc": ("body",), "msg": err.message}
        else:
            error = {"type": "value_error", "loc": ("body", *err.path), "msg": err.message}
        raise RequestValidationError([error]) from None
