"""How the CLI prints: JSON, for people and for scripts alike."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel


def print_json(value: BaseModel | dict[str, Any] | list[Any]) -> None:
    """Print a model or plain data as indented JSON (non-ASCII kept readable)."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    print(text)


async def run_and_print(call: Callable[[], Awaitable[BaseModel | None]]) -> int:
    """Await ``call``, print its result as JSON, and return exit status 0."""
    result = await call()
    if result is not None:
        print_json(result)
    return 0
