"""The bounded building blocks of every input the contract accepts.

Each text, time and number that enters exitflow — over HTTP, over Temporal, from the CLI —
is one of these, so that every entrance refuses the same things with a message naming the
field, instead of a later activity failing on them (a CR/LF in an email header, a year-1
time that overflows the database, a window of 1e-300 hours):

- ``Annotated[str, SingleLine(max_length=...)]``: one line of text, e.g. a name or a title.
  No control character at all (C0 including CR, LF and TAB; DEL; C1), no line or paragraph
  separator (U+2028, U+2029) and no lone surrogate.
- ``Annotated[str, Text(max_length=...)]``: free text that may span lines, e.g. a comment.
  Line feeds and tabs are kept, CR LF and lone CRs become LF; every other control character,
  and lone surrogates, are refused.
- ``AwareTime``: a timestamp with its UTC offset, from 2000-01-01 (inclusive) to 2100-01-01
  (exclusive) UTC, kept in UTC. The range is fixed, not relative to now, so a payload valid
  once stays valid when a recorded workflow history is replayed years later.

Numbers are finite (``allow_inf_nan=False`` on every input model) and carry their own
``ge``/``le`` bounds where they are declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, AwareDatetime, GetCoreSchemaHandler
from pydantic_core import core_schema

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""The earliest timestamp any input may carry."""
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""The first timestamp no input may carry any more."""

_NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CARRIAGE_RETURN = re.compile(r"\r\n?")
T = TypeVar("T")


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def single_line(value: str) -> str:
    """Refuse ``value`` unless it is one line free of control characters.

    Raises:
        ValueError: Naming the first character refused (by code point, never the text).
    """
    found = _NOT_IN_A_LINE.search(value)
    if found is not None:
        raise ValueError(
            f"must be a single line without control characters (found {_codepoint(found[0])})"
        )
    return value


def free_text(value: str) -> str:
    """``value`` with line ends as LF; refused if it holds other control characters.

    Raises:
        ValueError: Naming the first character refused (by code point, never the text).
    """
    value = _CARRIAGE_RETURN.sub("\n", value)
    found = _NOT_IN_TEXT.search(value)
    if found is not None:
        raise ValueError(
            "must not contain control characters other than line feed and tab "
            f"(found {_codepoint(found[0])})"
        )
    return value


@dataclass(frozen=True)
class _BoundedText:
    max_length: int
    min_length: int = 0

    def check(self, value: str) -> str:
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        """The string schema with these bounds, then this kind's check."""
        # The length bounds go on the string schema itself, before the check: a constraint
        # given after a validator would be dropped silently by pydantic.
        schema = dict(handler(str))
        schema.update(min_length=self.min_length, max_length=self.max_length)
        return core_schema.no_info_after_validator_function(self.check, schema)


class SingleLine(_BoundedText):
    """Marks a ``str`` as one bounded line: ``Annotated[str, SingleLine(max_length=200)]``."""

    def check(self, value: str) -> str:
        """See :func:`single_line`."""
        return single_line(value)


class Text(_BoundedText):
    """Marks a ``str`` as bounded free text: ``Annotated[str, Text(max_length=2000)]``."""

    def check(self, value: str) -> str:
        """See :func:`free_text`."""
        return free_text(value)


def distinct(items: list[T], *, what: str) -> list[T]:
    """``items``, refused if any of them repeats.

    Raises:
        ValueError: Saying that ``what`` must not repeat.
    """
    if len(set(items)) != len(items):
        raise ValueError(f"{what} must not repeat")
    return items


def in_range_utc(value: datetime) -> datetime:
    """``value`` in UTC, if it lies inside the range every input timestamp must.

    Raises:
        ValueError: When it lies before ``EARLIEST`` or at or after ``LATEST``.
    """
    # Compared before converting: converting year 1 at +14:00 to UTC overflows.
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must lie from {EARLIEST:%Y-%m-%d} up to {LATEST:%Y-%m-%d} (UTC)")
    return value.astimezone(UTC)


AwareTime = Annotated[AwareDatetime, AfterValidator(in_range_utc)]
"""A timezone-aware timestamp from 2000 up to 2100, normalised to UTC."""
