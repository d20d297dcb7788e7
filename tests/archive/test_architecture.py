"""The archive's shape: it never loads the crawler's stack, and its modules import without cycles.

The import graph counts every import, including those inside functions: a lazy import hides a
cycle from Python's loader, not from a reader trying to find which module comes first.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.paths import REPO

ARCHIVE = REPO / "archive"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ARCHIVE.rglob("*.py")}


def _import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                if target in modules and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_archive_imports_have_no_cycles() -> None:
    # A package's __init__ re-exports its modules, so "package -> its own module" edges are
    # expected; a cycle between two different modules (lazy imports included) is not.
    graph = {name: {t for t in targets if not t.startswith(name + ".")} for name, targets in _import_graph().items()}
    assert _cycles(graph) == []


def test_no_private_name_crosses_a_package_border() -> None:
    def package(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 2 else module

    crossing = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("archive"):
                for alias in node.names:
                    if (alias.name.startswith("_") and not alias.name.startswith("__")
                            and package(node.module) != package(name)):
                        crossing.append(f"{name}: {node.module}.{alias.name}")
    assert crossing == []


def test_importing_every_archive_module_loads_no_scrapy_twisted_or_crawler() -> None:
    # Alembic's env.py is a script Alembic runs inside a migration, not a module to import.
    names = sorted(n for n in _modules() if n != "archive.db.migrations.env")
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', 'crawler'))\n"
        "print(' '.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == ""


def test_modules_stay_small() -> None:
    """One responsibility a module: 400 lines is where a second one usually hides."""
    too_long = {name: n for name, path in _modules().items()
                if (n := len(path.read_text().splitlines())) > 450}
    assert too_long == {}
