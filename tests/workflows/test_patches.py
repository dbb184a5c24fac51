"""Every patch name the workflows use is a constant of ``workflows/patches.py``, named once."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import workflows
from workflows import patches

WORKFLOWS = Path(workflows.__file__).parent
PATCHES = Path(patches.__file__)
PATCH_CALLS = {"patched", "deprecate_patch"}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _constants() -> list[tuple[str, object]]:
    """Every top-level ``NAME = value`` of patches.py, in order (repeats included)."""
    return [
        (target.id, node.value.value if isinstance(node.value, ast.Constant) else None)
        for node in _tree(PATCHES).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]


def _patch_calls(tree: ast.Module) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in PATCH_CALLS:
            calls.append(node)
    return calls


def _names_from_patches(tree: ast.Module) -> tuple[dict[str, str], set[str]]:
    """Local name -> constant imported from patches.py; local names of the module itself."""
    constants: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "workflows.patches":
            constants.update({alias.asname or alias.name: alias.name for alias in node.names})
        elif isinstance(node, ast.ImportFrom) and node.module == "workflows":
            modules.update(
                alias.asname or alias.name for alias in node.names if alias.name == "patches"
            )
    return constants, modules


def _used_patch_names() -> dict[Path, list[str | None]]:
    """Per workflow module, the patches.py constant each patch call names (None if it names
    anything else: a literal, a local constant)."""
    used: dict[Path, list[str | None]] = {}
    for path in sorted(WORKFLOWS.rglob("*.py")):
        tree = _tree(path)
        constants, modules = _names_from_patches(tree)
        for call in _patch_calls(tree):
            arg = call.args[0] if call.args else None
            name = None
            if isinstance(arg, ast.Name):
                name = constants.get(arg.id)
            elif (
                isinstance(arg, ast.Attribute)
                and isinstance(arg.value, ast.Name)
                and arg.value.id in modules
            ):
                name = arg.attr
            used.setdefault(path, []).append(name)
    return used


def test_every_patch_call_names_a_constant_imported_from_patches() -> None:
    """No ``workflow.patched``/``deprecate_patch`` in workflows/ takes a literal or a local name."""
    declared = {name for name, _ in _constants()}
    used = _used_patch_names()

    assert used, "found no patch call in workflows/: the test no longer sees them"
    strays = {
        str(path.relative_to(WORKFLOWS.parent)): names
        for path, names in used.items()
        if any(name not in declared for name in names)
    }
    assert strays == {}


def test_patch_constants_are_unique_strings() -> None:
    """Each constant is assigned once, to a string no other constant holds."""
    constants = _constants()
    names = Counter(name for name, _ in constants)
    values = Counter(value for _, value in constants)

    assert constants
    assert all(isinstance(value, str) and value for _, value in constants)
    assert [name for name, count in names.items() if count > 1] == []
    assert [value for value, count in values.items() if count > 1] == []


def test_every_patch_constant_says_what_it_guards_and_is_used() -> None:
    """Each constant is followed by a one-line docstring, and some workflow code uses it."""
    body = _tree(PATCHES).body
    undocumented = [
        target.id
        for node, after in zip(body, [*body[1:], None], strict=True)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
        and not (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
            and "\n" not in after.value.value.strip()
        )
    ]
    used = {name for names in _used_patch_names().values() for name in names}

    assert undocumented == []
    assert [name for name, _ in _constants() if name not in used] == []
