"""`config.py` and `risk/` import in one direction only: the settings validate the RISK_* values
against the hard limits (config imports `risk/limits.py`), and nothing in `risk/` imports the
settings. Read from the source (every import, also inside functions and under TYPE_CHECKING), so
a lazy import cannot bring the circle back; and each side imports alone in a fresh interpreter."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CONFIG = "trading_bot.config"


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "trading_bot").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _import_graph() -> dict[str, set[str]]:
    """Module → the trading_bot modules it imports anywhere in its source."""
    modules = _modules()

    def owner(name: str) -> str | None:  # `from a.b import c`: module a.b.c, or a.b's name c
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
        graph[module] = {target for name in names if (target := owner(name)) not in (None, module)}
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph[module]
    return seen


def test_nothing_in_risk_imports_the_settings_and_config_is_in_no_circle() -> None:
    graph = _import_graph()
    assert "trading_bot.risk.limits" in graph[CONFIG], "the settings validate RISK_* against the hard limits"
    assert [m for m, targets in graph.items() if m.startswith("trading_bot.risk.") and CONFIG in targets] == []
    assert CONFIG not in _reachable(graph, CONFIG), "an import path leads from config.py back to it"


def test_config_imports_alone() -> None:
    _fresh_interpreter("import trading_bot.config")


def test_the_hard_limits_import_without_the_settings() -> None:
    _fresh_interpreter("import sys, trading_bot.risk.limits; assert 'trading_bot.config' not in sys.modules")


def _fresh_interpreter(script: str) -> None:
    subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, timeout=60)
