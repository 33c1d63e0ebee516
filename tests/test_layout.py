"""The source tree reads as the pipeline: video <- pose <- analysis <- report <- pipeline.

Parses every module's imports (no import is executed) and checks the rules of the
layout in the README's "Architecture" section.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "formcam"
STAGES = ("video", "pose", "analysis", "report")
# Rank of each part of formcam: a module may import only from parts of lower or equal rank.
RANK = {"errors": 0, "series": 0, "": 0, "video": 1, "pose": 2, "analysis": 3, "report": 4, "options": 5,
        "pipeline": 5, "batch": 6, "live": 6, "verify": 6, "app": 6, "phantom": 6, "cli": 7, "__main__": 8}
APPLICATIONS = {"cli", "verify", "app", "phantom", "__main__"}  # may import formcam.phantom


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    """'formcam.pose.backends.base' -> 'pose'; 'formcam' -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, *, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found: list[str] = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "formcam":
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.split(".")[0] == "formcam")
    return found


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def test_top_level_holds_few_modules() -> None:
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 8, f"expected at most 8 top-level modules, got {len(top)}: {top}"
    for stage in STAGES:
        assert (PKG / stage / "__init__.py").is_file(), f"stage package formcam.{stage} is missing"


def _violations(module: str) -> list[str]:
    """What ``module``'s imports (anywhere in it, lazy ones included) break of the layout."""
    mine, found = _part(module), []
    for target in _imports(MODULES[module], top_level_only=False):
        theirs = _part(target)
        if RANK[theirs] > RANK[mine]:
            found.append(f"{module} imports {target}: a higher stage than {mine or 'formcam'}")
        if theirs == "phantom" and mine not in APPLICATIONS:
            found.append(f"library module {module} imports the test-video generator {target}")
        if theirs in STAGES and theirs != mine and target != f"formcam.{theirs}":
            found.append(f"{module} imports {target}: expected the stage's package formcam.{theirs}")
    return found


def test_imports_follow_the_stages() -> None:
    """No import from a higher stage; other stages only through their package's exports;
    only applications (CLI, verify, app) import the phantom."""
    found = [v for m in sorted(MODULES) for v in _violations(m)]
    assert not found, "\n".join(found)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph (as a path that returns to its start), or None."""
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> list[str] | None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return [*stack[stack.index(t):], t]
            if t not in state and (found := visit(t, [*stack, t])):
                return found
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m, [m])):
            return found
    return None


def test_no_import_cycle() -> None:
    """Module-level imports only (those run at import time); a package's __init__ importing its
    submodules is an edge like any other, so a submodule importing its own package's exports
    (a partly initialised module) shows up as a cycle."""
    graph = {m: {t for t in _imports(p, top_level_only=True) if t in MODULES} for m, p in MODULES.items()}
    found = _cycle(graph)
    assert found is None, "import cycle: " + " -> ".join(found or [])


def test_layout_checks_can_fail() -> None:
    """The rank table flags an upward import and the cycle finder finds a planted cycle."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert RANK[_part("formcam.report.cues")] > RANK[_part("formcam.analysis.metrics")]
    assert _part("formcam.pose.backends.onnx.roi") == "pose" and _part("formcam") == ""
