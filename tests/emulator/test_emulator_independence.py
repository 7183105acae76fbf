"""The emulator stands apart: it imports nothing of the provider but the API's paths, and has no import cycle.

Imports are read from the source (``ast``), wherever they are: at the top, in functions, under
``TYPE_CHECKING``, or as ``importlib.import_module("...")`` calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import airflow_provider_aimlstt.emulator as emulator_package

PACKAGE = "airflow_provider_aimlstt.emulator"
PROVIDER = "airflow_provider_aimlstt"
ALLOWED_FROM_PROVIDER = {"airflow_provider_aimlstt.protocol": {"CREATE_PATH", "FETCH_PATH"}}
ROOT = Path(emulator_package.__file__).parent


def module_name(path: Path) -> str:
    """The dotted name of an emulator source file."""
    parts = [part for part in path.relative_to(ROOT).with_suffix("").parts if part != "__init__"]
    return ".".join([PACKAGE, *parts])


def imports_of(path: Path, package: str | None) -> list[tuple[str, set[str]]]:
    """Every ``(module, imported names)`` of a file.

    :param path: the source file.
    :param package: the package relative imports start from (None: the file has none).
    """
    found: list[tuple[str, set[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, set()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                assert package is not None, f"{path}: relative import without a package"
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, {alias.name for alias in node.names}))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            found += [(arg.value, set()) for arg in node.args if isinstance(arg, ast.Constant)]
    return found


def package_imports() -> dict[str, list[tuple[str, set[str]]]]:
    """The imports of every emulator module, by module name."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = module_name(path)
        found[name] = imports_of(path, name if path.name == "__init__.py" else name.rpartition(".")[0])
    return found


def provider_imports(imports: list[tuple[str, set[str]]]) -> list[str]:
    """The imports of provider code outside the emulator that are not allowed."""
    offending = []
    for imported, names in imports:
        inside = imported == PACKAGE or imported.startswith(f"{PACKAGE}.")
        if inside or (imported != PROVIDER and not imported.startswith(f"{PROVIDER}.")):
            continue
        if imported in ALLOWED_FROM_PROVIDER and names and names <= ALLOWED_FROM_PROVIDER[imported]:
            continue
        offending.append(f"{imported} {sorted(names)}")
    return offending


def import_graph(imports: dict[str, list[tuple[str, set[str]]]]) -> dict[str, set[str]]:
    """Each module and the modules of the same set it imports (``from package import module`` too)."""
    graph: dict[str, set[str]] = {}
    for name, found in imports.items():
        candidates = {
            target for module, names in found for target in (module, *(f"{module}.{n}" for n in names))
        }
        graph[name] = {target for target in candidates if target in imports and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for target in sorted(graph[module]):
            cycle = visit(target, [*path, module])
            if cycle is not None:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle is not None:
            return cycle
    return None


def test_the_emulator_imports_only_the_api_paths_of_the_provider() -> None:
    offending = {name: provider_imports(found) for name, found in package_imports().items()}
    assert {name: bad for name, bad in offending.items() if bad} == {}


def test_the_emulator_has_no_import_cycle() -> None:
    graph = import_graph(package_imports())
    assert f"{PACKAGE}.urls" in graph[f"{PACKAGE}.server"]  # the graph does see the package's own imports
    assert find_cycle(graph) is None


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from airflow_provider_aimlstt.models import ModelFamily\n"
        "from airflow_provider_aimlstt.protocol import CREATE_PATH, FETCH_PATH\n"
        "from airflow_provider_aimlstt.protocol import parse_fetch\n"
        "import importlib\n"
        "if False:\n"
        "    importlib.import_module('airflow_provider_aimlstt.transcripts')\n",
        encoding="utf-8",
    )
    assert provider_imports(imports_of(sample, None)) == [
        "airflow_provider_aimlstt.models ['ModelFamily']",
        "airflow_provider_aimlstt.protocol ['parse_fetch']",
        "airflow_provider_aimlstt.transcripts []",
    ]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
