"""System faults by cause and by client setup: browser and version, OS, device, latency."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from contract.codes import ExitKind
from reports._common import Report, ReportFilter, share
from store.tables import ExitRow

UNKNOWN = "unknown"
LATENCY_BANDS_MS = (100, 300, 1000, 3000)
"""Upper bounds (exclusive) of the latency bands; the last band is open-ended."""


class FaultShare(BaseModel):
    """How many faults share one value of a dimension, and their share of all faults."""

    value: str
    count: int
    share: float


class FaultBreakdown(Report):
    """The faults of the window, broken down along each dimension, largest first."""

    faults: int
    by_cause: list[FaultShare]
    by_browser: list[FaultShare]
    """``browser version`` together, e.g. ``Chrome 88.0``: old versions show up on their own."""
    by_os: list[FaultShare]
    by_device: list[FaultShare]
    by_latency: list[FaultShare]
    """Bands in order, from the fastest: ``<100ms``, ``100-300ms``, ... ``>=3000ms``, unknown."""

    def rows(self) -> list[dict[str, Any]]:
        """One row per dimension and value."""
        dimensions = {
            "cause": self.by_cause,
            "browser": self.by_browser,
            "os": self.by_os,
            "device": self.by_device,
            "latency": self.by_latency,
        }
        return [
            {"dimension": name, "value": item.value, "count": item.count, "share": item.share}
            for name, items in dimensions.items()
            for item in items
        ]


def latency_band_labels() -> list[str]:
    """The band labels, fastest first, then ``unknown``."""
    bounds = LATENCY_BANDS_MS
    labels = [f"<{bounds[0]}ms"]
    labels += [f"{low}-{high}ms" for low, high in itertools.pairwise(bounds)]
    return [*labels, f">={bounds[-1]}ms", UNKNOWN]


async def fault_breakdown(conn: AsyncConnection, report_filter: ReportFilter) -> FaultBreakdown:
    """One GROUP BY over every dimension at once; the per-dimension sums are folded in a
    worker thread (the groups are distinct client setups: usually few, but not bounded).
    """
    labels = latency_band_labels()
    latency = ExitRow.client_network_latency_ms
    band = case(
        *[(latency < bound, labels[i]) for i, bound in enumerate(LATENCY_BANDS_MS)],
        (latency >= LATENCY_BANDS_MS[-1], labels[-2]),
        else_=UNKNOWN,
    )
    dimensions = (
        ExitRow.fault_cause,
        ExitRow.client_browser,
        ExitRow.client_browser_version,
        ExitRow.client_os,
        ExitRow.client_device,
        band,
    )
    query = (
        select(*dimensions, func.count())
        .where(
            ExitRow.kind == ExitKind.SYSTEM_FAULT.value,
            *report_filter.where(ExitRow.at, ExitRow.job_id),
        )
        .group_by(*dimensions)
    )
    return await asyncio.to_thread(_fold, report_filter, await conn.execute(query))


def _fold(report_filter: ReportFilter, groups: Iterable[Any]) -> FaultBreakdown:
    labels = latency_band_labels()
    band_order = {label: i for i, label in enumerate(labels)}
    sums: list[dict[str, int]] = [{} for _ in range(5)]
    total = 0
    for cause, browser, version, os, device, band_label, count in groups:
        total += count
        browser_label = " ".join(part for part in (browser, version) if part) or UNKNOWN
        for i, value in enumerate((cause, browser_label, os, device, band_label)):
            key = value or UNKNOWN
            sums[i][key] = sums[i].get(key, 0) + count
    by_cause, by_browser, by_os, by_device, by_band = (_ranked(s, total) for s in sums)
    by_band.sort(key=lambda item: band_order[item.value])
    return FaultBreakdown(
        filter=report_filter,
        faults=total,
        by_cause=by_cause,
        by_browser=by_browser,
        by_os=by_os,
        by_device=by_device,
        by_latency=by_band,
    )


def _ranked(counts: dict[str, int], total: int) -> list[FaultShare]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [FaultShare(value=value, count=n, share=share(n, total)) for value, n in ranked]
