"""Tests for the package layout (issue 25): each stage subpackage imports only its own floor or the floors below it,
every module says what it owns, and no module but a data table grows past ~500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "scripts" / "radtune"
# Floors, bottom up; a subpackage may import its own floor and every floor below (data and deid sit side by side).
FLOORS = {"core": 0, "data": 1, "deid": 1, "train": 2, "evaluate": 3, "serve": 4}
MAX_LINES = 520
# Data tables: the recognizers' RULES table (one regex per identifier shape, read top to bottom by its editors).
TABLES = {"deid/recognizers/rules.py"}
MODULES = sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def radtune_imports(path: Path) -> set[str]:
    """The radtune subpackages a module imports (anywhere in the file, functions included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + ([f"radtune.{a.name}" for a in node.names] if node.module == "radtune" else [])
        found |= {n.split(".")[1] for n in names if n.startswith("radtune.")}
    return found


def test_every_module_lives_in_a_stage_subpackage():
    top = {p.name for p in PKG.glob("*.py")}
    assert top == {"__init__.py"}
    assert {p.name for p in PKG.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(FLOORS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_down_or_sideways(path: Path):
    rel = path.relative_to(PKG)
    if len(rel.parts) == 1:
        return
    floor = FLOORS[rel.parts[0]]
    up = {sub for sub in radtune_imports(path) if FLOORS.get(sub, 99) > floor}
    assert not up, f"radtune/{rel} (floor {rel.parts[0]}) imports {sorted(up)}, a floor above it"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PKG)))
def test_module_says_what_it_owns_and_stays_small(path: Path):
    rel = path.relative_to(PKG).as_posix()
    text = path.read_text()
    if text.strip():
        assert ast.get_docstring(ast.parse(text)), f"radtune/{rel} has no docstring saying what it owns"
    if rel not in TABLES:
        assert len(text.splitlines()) <= MAX_LINES, f"radtune/{rel}: {len(text.splitlines())} lines"


def test_the_checks_see_a_violation(tmp_path: Path):
    bad = tmp_path / "m.py"
    bad.write_text('"""x"""\nfrom radtune.serve import export\nfrom radtune import train\n')
    assert radtune_imports(bad) == {"serve", "train"}
