"""Tiny hand-written SVG charts for the dashboard: no script, no CDN, any browser."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

_LABEL_WIDTH = 170
_VALUE_WIDTH = 150
_ROW_HEIGHT = 26
_BAR_HEIGHT = 16
MAX_BARS = 40
"""A chart draws at most this many bars and counts the rest under it: the report has them all."""


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length as a fraction of the widest, and the text beside it."""

    label: str
    fraction: float
    text: str
    tone: str = "base"
    """``base``, ``alert`` (flagged, worst) or ``muted``."""
    under: float | None = None
    """An optional second, lighter bar behind this one (e.g. reached behind lost)."""


def bar_chart(
    bars: list[Bar],
    *,
    width: int = 560,
    marker: float | None = None,
    marker_label: str = "",
    title: str = "",
    max_bars: int = MAX_BARS,
) -> str:
    """A horizontal bar chart; ``marker`` draws a dashed reference line (e.g. team average).

    Only the first ``max_bars`` bars are drawn, so that a page stays small whatever the data.
    """
    if not bars:
        return '<p class="empty">No data in this window.</p>'
    hidden = len(bars) - max_bars
    bars = bars[:max_bars]
    plot = width - _LABEL_WIDTH - _VALUE_WIDTH
    top = 18 if marker is not None else 4
    height = top + len(bars) * _ROW_HEIGHT + 4
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, bar in enumerate(bars):
        y = top + i * _ROW_HEIGHT
        mid = y + _ROW_HEIGHT / 2
        parts.append(
            f'<text class="label" x="{_LABEL_WIDTH - 8}" y="{mid + 4:.1f}" '
            f'text-anchor="end">{escape(_short(bar.label))}</text>'
        )
        bar_y = mid - _BAR_HEIGHT / 2
        if bar.under is not None:
            parts.append(
                f'<rect class="under" x="{_LABEL_WIDTH}" y="{bar_y:.1f}" '
                f'width="{max(bar.under, 0) * plot:.1f}" height="{_BAR_HEIGHT}" rx="2"/>'
            )
        parts.append(
            f'<rect class="bar {bar.tone}" x="{_LABEL_WIDTH}" y="{bar_y:.1f}" '
            f'width="{max(bar.fraction * plot, 1.5):.1f}" height="{_BAR_HEIGHT}" rx="2"/>'
        )
        parts.append(
            f'<text class="value" x="{_LABEL_WIDTH + plot + 8}" y="{mid + 4:.1f}">'
            f"{escape(bar.text)}</text>"
        )
    if marker is not None:
        x = _LABEL_WIDTH + marker * plot
        parts.append(
            f'<line class="marker" x1="{x:.1f}" y1="12" x2="{x:.1f}" y2="{height - 2}"/>'
            f'<text class="marker-label" x="{x:.1f}" y="10" text-anchor="middle">'
            f"{escape(marker_label)}</text>"
        )
    parts.append("</svg>")
    if hidden > 0:
        parts.append(f'<p class="empty">{hidden} more not drawn: the report lists them.</p>')
    return "".join(parts)


def percent(value: float) -> str:
    """``0.3333`` as ``33.3%``."""
    return f"{value * 100:.1f}%"


def _short(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
