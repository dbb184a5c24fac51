"""A report as text: an aligned table, indented JSON or CSV, as ``exitflow report`` prints it."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from reports._common import Report

FORMATS = ("table", "json", "csv")
"""Every format ``render`` knows, the first the default."""
JSON_CHUNK = 500
"""``json_bytes`` serialises a long list this many items at a time."""
_ITEMS = TypeAdapter(list[Any])


def render(report: Report, fmt: str) -> str:
    """The report as an aligned table, indented JSON or CSV (table and CSV: its flat rows).

    Raises:
        ValueError: When ``fmt`` is not one of ``FORMATS``.
    """
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt == "csv":
        return csv_text(report.rows())
    if fmt == "table":
        return table(report.rows())
    raise ValueError(f"no report format {fmt!r}; one of {', '.join(FORMATS)}")


def json_bytes(report: Report) -> bytes:
    """The report as compact JSON, equal to ``model_dump_json``, long lists a chunk at a time.

    One pydantic call holds the GIL from start to end: serialising a funnel of 20,000
    stages at once kept an event loop in another thread waiting a quarter of a second.
    """
    fields = []
    for name, value in report:
        if isinstance(value, list) and len(value) > JSON_CHUNK:
            chunks = (
                _ITEMS.dump_json(value[i : i + JSON_CHUNK])[1:-1]
                for i in range(0, len(value), JSON_CHUNK)
            )
            dumped = b"[" + b",".join(chunks) + b"]"
        else:
            dumped = report.model_dump_json(include={name}).encode()[len(name) + 4 : -1]
        fields.append(json.dumps(name).encode() + b":" + dumped)
    return b"{" + b",".join(fields) + b"}"


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV with a header line; nothing at all when there are no rows."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def table(rows: list[dict[str, Any]]) -> str:
    """Rows as a plain aligned text table; numbers right-aligned."""
    if not rows:
        return "(no rows)\n"
    columns = list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row.get(c)) for row in rows) for c in columns]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(columns), rule, *(line(values) for values in cells)]) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
