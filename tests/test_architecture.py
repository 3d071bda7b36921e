"""The engine's layout (issue 16): packages for the flow, no import cycle anywhere in mlxstudio.core, thin pages."""

from __future__ import annotations

import importlib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ["runtime", "models", "data", "hub", "training", "inference"]


def test_core_has_no_import_cycle() -> None:
    graph = grimp.build_graph("mlxstudio")
    core = sorted(m for m in graph.modules if m.startswith("mlxstudio.core."))
    cycles = [(a, b) for a in core for b in graph.find_modules_directly_imported_by(a)
              if b.startswith("mlxstudio.core.") and b != a and graph.chain_exists(importer=b, imported=a)]
    assert not cycles, f"import cycles in the engine: {cycles}"


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_says_what_it_owns_and_exposes_its_surface(name: str) -> None:
    pkg = importlib.import_module(f"mlxstudio.core.{name}")
    assert pkg.__doc__ and len(pkg.__doc__.strip()) > 60, f"{name}/__init__ has no docstring"
    surface = getattr(pkg, "__all__", [])
    assert surface, f"mlxstudio.core.{name} exposes no public surface"
    missing = [n for n in surface if not hasattr(pkg, n)]
    assert not missing, f"mlxstudio.core.{name}.__all__ names what it lacks: {missing}"


def test_the_core_top_level_is_only_the_shared_pieces() -> None:
    modules = sorted(p.stem for p in (ROOT / "mlxstudio" / "core").glob("*.py") if p.stem != "__init__")
    assert modules == ["demo", "errors", "events", "fsutil", "i18n", "logs", "paths", "resources"]


def test_no_page_file_over_500_lines() -> None:
    long = {p.name: n for p in (ROOT / "mlxstudio" / "gui" / "pages").glob("*_page.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, f"page files over 500 lines (move controller logic into the page's folder): {long}"
