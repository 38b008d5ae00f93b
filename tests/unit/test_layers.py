"""The layout's rules, checked on the real import graph: no import cycle, and no package imports
a later stage of the data flow (import-linter's contracts in pyproject.toml)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
DATA_FLOW = ["dvr", "edge", "vision", "analytics", "alerts", "api", "app"]


def _lint(src: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["id"] == "layers"]
    return [name.strip() for layer in layers["layers"] for name in layer.split("|")]


def test_the_contracts_hold(tmp_path: Path) -> None:
    result = _lint(ROOT / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_backward_import_breaks_the_build(tmp_path: Path) -> None:
    """The contract bites: the edge importing the API (a later stage) is refused by name."""
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "vigil", copy / "vigil", ignore=shutil.ignore_patterns("web"))
    backoff = copy / "vigil" / "edge" / "backoff.py"
    backoff.write_text(backoff.read_text() + "\nimport vigil.api.app  # noqa\n")
    result = _lint(copy, tmp_path)
    assert result.returncode != 0
    assert "vigil.edge.backoff -> vigil.api.app" in result.stdout, result.stdout


def test_the_layers_are_the_data_flow() -> None:
    layers = _layers()
    order = [layers.index(stage) for stage in DATA_FLOW]
    # Listed top (imports most) to bottom: each later stage of the flow sits higher.
    assert order == sorted(order, reverse=True), layers
    packages = {p.name for p in (ROOT / "src" / "vigil").iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "src" / "vigil").glob("*.py")} - {"__init__"}
    assert packages | modules <= set(layers), "every package has its layer"


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            succ = edges.get(node, [])
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.add(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_import_cycle() -> None:
    assert _cycles(grimp.build_graph("vigil", cache_dir=None)) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "loopy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("import loopy.b\n")
    (pkg / "b.py").write_text("import loopy.c\n")
    (pkg / "c.py").write_text("import loopy.a\n")
    (pkg / "d.py").write_text("import loopy.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles(grimp.build_graph("loopy", cache_dir=None)) == [
        {"loopy.a", "loopy.b", "loopy.c"}
    ]
