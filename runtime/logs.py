"""structlog for exitflow's own logs: JSON lines when not on a terminal, readable when on one.

The standard library's records (Temporal's workflow and activity loggers, uvicorn) go
through the same processors, so one process writes one format, and every line passes
:func:`mask_personal_data` last: no log line carries a candidate's email, phone or name.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from pydantic import BaseModel
from temporalio import activity

MASK = "***"
_PERSONAL_KEYS = frozenset(
    {"name", "candidate_name", "full_name", "first_name", "last_name", "to", "recipient"}
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# International numbers (+86 138 0000 0000), and national 10-11 digit runs (13800000000,
# 555-123-4567); not dates, times, uuids or ids glued to letters.
_PHONE = re.compile(
    r"(?<![\w.:/-])(?:\+\d[\d ().-]{6,18}\d|\d{3}[ -]?\d{3,4}[ -]?\d{4})(?![\w:/-])"
)
_UNMASKED_KEYS = frozenset({"timestamp", "level", "logger", "request_id"})
# Where exception texts quote the values they refused, whatever those values are (a name is
# no pattern): pydantic's ``input_value=...``, SQLAlchemy's ``[parameters: ...]`` (off with
# ``hide_parameters``, masked anyway) and asyncpg's ``query argument $5: ...``.
_QUOTED_VALUES = (
    (re.compile(r"input_value=[^\n]*, input_type="), f"input_value={MASK}, input_type="),
    (re.compile(r"\[parameters: [^\n]*"), f"[parameters: {MASK}]"),
    (re.compile(r"(query argument \$\d+: )[^\n]*"), rf"\g<1>{MASK}"),
)


def mask_text(text: str) -> str:
    """``text`` with every email reduced to its domain and every phone number masked, and
    every value an exception text quotes (pydantic, SQLAlchemy, asyncpg) masked whole."""
    for pattern, replacement in _QUOTED_VALUES:
        text = pattern.sub(replacement, text)
    text = _EMAIL.sub(lambda match: f"{MASK}@{match.group(1)}", text)
    return _PHONE.sub(MASK, text)


def _mask(key: str, value: Any) -> Any:
    lowered = key.lower()
    if value is None or lowered in _UNMASKED_KEYS:
        return value
    if lowered in _PERSONAL_KEYS or lowered.endswith(("email", "phone", "mobile")):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _mask(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(key, item) for item in value]
    return value


def mask_personal_data(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """structlog processor: mask candidates' emails, phones and names in every field.

    Fields named like personal data (``email``, ``phone``, ``name``, ``candidate_name``,
    ``*_email``, ...) are replaced outright, at any depth; emails and phone numbers inside
    any other string (the message, an error text, a rendered exception) are masked.
    """
    return {key: _mask(str(key), value) for key, value in event_dict.items()}


def add_temporal_context(
    _logger: Any, _method: str, event_dict: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """structlog processor: inside an activity, name the workflow and activity it serves."""
    if activity.in_activity():
        info = activity.info()
        event_dict.setdefault("workflow_id", info.workflow_id)
        event_dict.setdefault("activity", info.activity_type)
    return event_dict


_SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    add_temporal_context,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_logging(level: str = "INFO", *, json: bool | None = None) -> None:
    """Route structlog and the standard library through one renderer.

    Args:
        level: The minimum level, e.g. ``INFO``.
        json: Force JSON (True) or console (False) output; by default JSON unless stderr
            is a terminal.
    """
    as_json = json if json is not None else not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *_SHARED_PROCESSORS,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED_PROCESSORS,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                mask_personal_data,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "mail.log", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
