"""The architecture, pinned: which part of the library may import which (docs/ARCHITECTURE.md).

Data flows one way: shared modules <- ingest, models <- demand, staffing <- week <- backtest,
report. A module may import its own package, the shared modules and the parts listed for its
package below, nothing else; the library never imports Prefect, the flows or the CLI. The
imports are read from the source (every ``import``, also inside functions), not run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "forecasting"
SHARED = {
    "columns", "config", "errors", "io", "calendar", "series", "layout", "metrics", "workers",
    "progress",
}  # fmt: skip
# part -> the other parts (besides the shared modules and itself) it may import
ALLOWED: dict[str, set[str]] = {
    "ingest": set(),
    "models": set(),
    "demand": set(),
    "staffing": set(),
    "demo": set(),
    "week": {"ingest", "models", "demand", "staffing"},
    "backtest": {"ingest", "models", "demand", "staffing", "week"},
    # reads results (the ingest's manifest, the week's); never models, never the backtest
    "report": {"ingest", "staffing", "week", "planning"},
    # plans from the week's results (shifts, scenarios, regions): it reads forecasts
    # (models' SeriesForecast) and calibrations (demand's), and never fits a model
    "planning": {"models", "demand", "staffing", "week"},
}
# shared module -> the shared modules it may import (they sit below every stage)
SHARED_ALLOWED: dict[str, set[str]] = {
    "columns": set(),
    "errors": set(),
    "io": {"errors"},
    "calendar": set(),
    "workers": set(),
    "progress": set(),
    "config": {"columns", "errors"},
    "metrics": {"columns"},
    "series": {"columns", "calendar"},
    "layout": {"calendar"},
}
FORBIDDEN_TOP = {"prefect", "prefect_dask", "flows", "lymphcast"}


def _modules() -> list[Path]:
    return sorted(
        p for p in LIBRARY.rglob("*.py") if p.name != "__init__.py" or p.parent != LIBRARY
    )


def _part(path: Path) -> str:
    rel = path.relative_to(LIBRARY)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of everything ``path`` imports, ``from x import y`` as ``x.y``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports are not used: absolute names show the layer
                out.append((node.lineno, "." * node.level + (node.module or "")))
            elif node.module:
                out += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return out


def _target(name: str) -> str | None:
    """The library part a dotted name points into (None outside the library)."""
    parts = name.split(".")
    if parts[0] != "forecasting" or len(parts) < 2:
        return None
    return parts[1]


def _violations() -> list[str]:
    found = []
    for path in _modules():
        part = _part(path)
        allowed = SHARED_ALLOWED[part] if part in SHARED else SHARED | ALLOWED[part]
        for line, name in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if name.startswith("."):
                found.append(f"{where} (use the absolute name)")
            elif name.split(".")[0] in FORBIDDEN_TOP:
                found.append(f"{where} (the library never imports Prefect, flows or the CLI)")
            elif (target := _target(name)) is not None and target != part:
                if target not in allowed:
                    found.append(f"{where} ({part} may import only {sorted(allowed)})")
    return found


def test_every_library_module_belongs_to_a_known_part() -> None:
    unknown = {_part(p) for p in _modules()} - SHARED - set(ALLOWED)
    assert not unknown, f"add {sorted(unknown)} to the rules of tests/test_architecture.py"


def test_imports_follow_the_one_way_flow() -> None:
    assert _violations() == []


def test_every_module_opens_with_a_one_line_docstring() -> None:
    missing = []
    for path in [*_modules(), *sorted((ROOT / "flows").glob("*.py"))]:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if not doc or not doc.splitlines()[0].strip():
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import prefect\n", "never imports Prefect"),
        ("from flows import weekly\n", "never imports Prefect"),
        ("from forecasting.models import make_model\n", "report may import only"),
        ("from . import columns\n", "use the absolute name"),
    ],
)
def test_the_rules_catch_a_wrong_import(tmp_path, monkeypatch, source, expected) -> None:
    """The checker itself: a planted import in the report package is reported."""
    lib = tmp_path / "forecasting"
    (lib / "report").mkdir(parents=True)
    (lib / "report" / "planted.py").write_text(f'"""Planted."""\n{source}', encoding="utf-8")
    monkeypatch.setitem(globals(), "LIBRARY", lib)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert any(expected in v for v in _violations())


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _import_graph() -> dict[str, set[str]]:
    """Library module -> library modules it imports (anywhere in the file, functions too)."""
    paths = sorted(LIBRARY.rglob("*.py"))
    names = {_module_name(p) for p in paths}
    graph: dict[str, set[str]] = {}
    for path in paths:
        edges = set()
        for _, name in _imports(path):
            while name and name not in names:
                name = name.rpartition(".")[0]
            if name and name != "forecasting":
                edges.add(name)
        graph[_module_name(path)] = edges - {_module_name(path)}
    return graph


def test_no_import_cycles() -> None:
    """No two modules import each other, directly or round a loop (package __init__s aside:
    a package's face re-exports its own modules)."""
    graph = _import_graph()
    inits = {m for m in graph if (ROOT / m.replace(".", "/") / "__init__.py").exists()}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycles.append([*stack[stack.index(node) :], node])
            return
        if node in done:
            return
        for nxt in sorted(graph.get(node, ())):
            if nxt not in inits:
                visit(nxt, [*stack, node])
        done.add(node)

    for module in sorted(set(graph) - inits):
        visit(module, [])
    assert cycles == []
