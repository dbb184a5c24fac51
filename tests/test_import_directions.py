"""Imports point one way: entry points → services → what they stand on → the contract.

Each top-level unit lists the units it may import. The lists form no cycle, so neither can
the imports; ``../shared/tools/import_graph.py`` checks module-level cycles inside a unit.
"""

from __future__ import annotations

import ast
from graphlib import TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# unit -> the project units it may import (besides itself)
MAY_IMPORT: dict[str, set[str]] = {
    "contract": set(),
    "config": set(),
    "links": {"contract", "config"},
    "identity": {"contract", "config"},
    "workflows": {"contract", "activities"},
    "store": {"contract", "config"},
    "activities": {"contract", "config", "store", "links"},
    "reports": {"contract", "config", "store"},
    "runtime": {"contract", "config", "store", "activities", "workflows"},
    "sessions": {"contract", "config", "store", "links", "runtime", "workflows"},
    "devstack": {"contract", "config", "activities", "runtime", "workflows"},
    "starter": {
        "contract",
        "config",
        "links",
        "identity",
        "workflows",
        "store",
        "activities",
        "reports",
        "runtime",
        "sessions",
        "devstack",
    },
    "worker": {"runtime"},
    "bench": {
        "contract",
        "config",
        "workflows",
        "store",
        "activities",
        "reports",
        "runtime",
        "sessions",
        "devstack",
        "starter",
    },
}


def _units() -> dict[str, list[Path]]:
    units: dict[str, list[Path]] = {}
    for name in MAY_IMPORT:
        package = ROOT / name
        if package.is_dir():
            units[name] = sorted(package.rglob("*.py"))
        else:
            units[name] = [ROOT / f"{name}.py"]
    return units


def _imported_units(path: Path) -> set[str]:
    """The project units one file imports, at any depth (including inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in MAY_IMPORT)
    return found


def test_every_top_level_package_has_a_place_in_the_map() -> None:
    packages = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "docs"}
    }
    assert packages <= set(MAY_IMPORT), packages - set(MAY_IMPORT)


def test_the_allowed_directions_have_no_cycle() -> None:
    TopologicalSorter(MAY_IMPORT).static_order()  # raises CycleError on a cycle


def test_imports_point_only_the_allowed_way() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {target}"
        for unit, paths in _units().items()
        for path in paths
        for target in sorted(_imported_units(path) - MAY_IMPORT[unit] - {unit})
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_outside_the_entry_points_imports_them() -> None:
    entry_points = {"starter", "devstack", "bench", "worker"}
    for unit, allowed in MAY_IMPORT.items():
        if unit not in entry_points:
            assert not allowed & entry_points, unit
    assert MAY_IMPORT["worker"].isdisjoint({"starter"})
