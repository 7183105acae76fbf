"""The package's import arrows point one way: no module, and no subpackage, is in an import cycle;
the batch's run one way, operators -> batch -> triggers.

Read from the source with ``ast`` (every import, those under ``TYPE_CHECKING`` and inside
functions too), so a cycle fails here before it fails an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import airflow_provider_aimlstt

PACKAGE = "airflow_provider_aimlstt"
ROOT = Path(airflow_provider_aimlstt.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of the package's modules."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_no_module_of_the_package_is_in_an_import_cycle() -> None:
    assert _cycles(_imports(_modules())) == []


def test_no_subpackage_is_in_an_import_cycle() -> None:
    def package(name: str) -> str:
        return ".".join(name.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for name, targets in _imports(_modules()).items():
        graph.setdefault(package(name), set()).update(
            package(target) for target in targets if package(target) != package(name)
        )
    assert _cycles(graph) == []


def test_the_batch_trigger_imports_nothing_of_the_batch_or_the_operators() -> None:
    imported = _imports(_modules())[f"{PACKAGE}.triggers.batch"]
    assert (
        sorted(name for name in imported if name.startswith((f"{PACKAGE}.batch", f"{PACKAGE}.operators")))
        == []
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
