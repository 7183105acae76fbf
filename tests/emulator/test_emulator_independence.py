"""The emulator stands apart: a distribution of its own that imports neither the provider nor Airflow.

Imports are read from the source (``ast``), wherever they are: at the top, in functions, under
``TYPE_CHECKING``, or as ``importlib.import_module("...")`` calls. What it imports from outside the
standard library must be what the ``aimlstt-emulator`` distribution declares. And in a fresh interpreter
where neither the provider nor Airflow can be imported, the emulator starts and answers requests.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import aimlstt_emulator as emulator_package
from aimlstt_emulator.api_paths import CREATE_PATH, FETCH_PATH
from aimlstt_emulator.openapi import CREATE_DOCUMENTS, FETCH_DOCUMENTS, document_names, load_document
from airflow_provider_aimlstt import protocol

PACKAGE = "aimlstt_emulator"
# Never imported by the emulator: the provider, and Airflow (with its providers and SDK).
FORBIDDEN = ("airflow_provider_aimlstt", "airflow")
ROOT = Path(emulator_package.__file__).parent
# The import name of each distribution the emulator may declare (where the two names differ).
IMPORT_NAMES = {"python-multipart": "python_multipart"}


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


def forbidden_imports(imports: list[tuple[str, set[str]]]) -> list[str]:
    """The imports of the provider or of Airflow among a module's imports.

    :param imports: the module's ``(module, imported names)``.
    """
    return [
        f"{imported} {sorted(names)}"
        for imported, names in imports
        if any(imported == root or imported.startswith(f"{root}.") for root in FORBIDDEN)
    ]


def third_party_roots(imports: dict[str, list[tuple[str, set[str]]]]) -> set[str]:
    """The top-level names of everything imported that is neither the standard library nor the emulator.

    :param imports: the imports of every module, by module name.
    """
    roots = {module.split(".")[0] for found in imports.values() for module, _ in found if module}
    return {root for root in roots if root != PACKAGE and root not in sys.stdlib_module_names}


def declared_import_names() -> set[str]:
    """The import names of the runtime dependencies the installed ``aimlstt-emulator`` declares."""
    names = set()
    for requirement in metadata.requires("aimlstt-emulator") or []:
        if "extra ==" in requirement:
            continue
        distribution = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert distribution is not None, requirement
        name = distribution.group().lower()
        names.add(IMPORT_NAMES.get(name, name.replace("-", "_")))
    return names


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


def test_the_emulator_imports_neither_the_provider_nor_airflow() -> None:
    imports = package_imports()
    assert len(imports) > 30  # every module of the package was read
    offending = {name: forbidden_imports(found) for name, found in imports.items()}
    assert {name: bad for name, bad in offending.items() if bad} == {}


def test_the_emulator_imports_only_what_its_distribution_declares() -> None:
    assert (
        third_party_roots(package_imports()) == declared_import_names() == {"jsonschema", "python_multipart"}
    )


def test_the_emulator_paths_are_the_documents_and_the_providers() -> None:
    for name in document_names(CREATE_DOCUMENTS):
        assert CREATE_PATH in load_document(CREATE_DOCUMENTS, name)["paths"], name
    for name in document_names(FETCH_DOCUMENTS):
        assert FETCH_PATH in load_document(FETCH_DOCUMENTS, name)["paths"], name
    assert (CREATE_PATH, FETCH_PATH) == (protocol.CREATE_PATH, protocol.FETCH_PATH)


# Run in a fresh interpreter: importing the provider or Airflow fails there, as if neither were
# installed; the emulator serves a create (a multipart upload, checked against its schema) and a fetch.
WITHOUT_PROVIDER_OR_AIRFLOW = textwrap.dedent(
    r"""
    import importlib.abc, io, json, sys, urllib.request, uuid, wave

    class Absent(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("airflow", "airflow_provider_aimlstt"):
                raise ModuleNotFoundError(f"No module named {name!r}")
            return None

    sys.meta_path.insert(0, Absent())
    from aimlstt_emulator import EmulatorConfig, EmulatorServer

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1); writer.setsampwidth(2); writer.setframerate(16000)
        writer.writeframes(bytes(2 * 16000))
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n#g1_nova-2-general\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"audio\"; filename=\"a.wav\"\r\n"
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + buffer.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    config = EmulatorConfig(api_key="independence-key", queued_seconds=0, processing_seconds=0)
    with EmulatorServer(config) as server:
        headers = {"Authorization": "Bearer independence-key"}
        create = urllib.request.Request(
            server.base_url + "/v1/stt/create", data=body, method="POST",
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(create, timeout=30) as answer:
            created = json.load(answer)
        job_url = server.base_url + "/v1/stt/" + created["generation_id"]
        fetch = urllib.request.Request(job_url, headers=headers)
        with urllib.request.urlopen(fetch, timeout=30) as answer:
            fetched = json.load(answer)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("airflow", "airflow_provider_aimlstt"))
    print(json.dumps({"created": created, "status": fetched["status"], "loaded": loaded}))
    """
)


def test_the_emulator_serves_where_neither_the_provider_nor_airflow_can_be_imported(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PROVIDER_OR_AIRFLOW],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert set(report["created"]) >= {"generation_id"}
    assert report["status"] in ("queued", "processing", "completed")
    assert report["loaded"] == []


def test_the_emulator_has_no_import_cycle() -> None:
    graph = import_graph(package_imports())
    assert f"{PACKAGE}.urls" in graph[f"{PACKAGE}.server"]  # the graph does see the package's own imports
    assert find_cycle(graph) is None


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from airflow_provider_aimlstt.protocol import CREATE_PATH, FETCH_PATH\n"
        "from airflow.sdk import BaseHook\n"
        "import airflow\n"
        "import airflowish, jsonschema, json\n"
        "import importlib\n"
        "if False:\n"
        "    importlib.import_module('airflow_provider_aimlstt.transcripts')\n",
        encoding="utf-8",
    )
    found = imports_of(sample, None)
    assert forbidden_imports(found) == [
        "airflow_provider_aimlstt.protocol ['CREATE_PATH', 'FETCH_PATH']",
        "airflow.sdk ['BaseHook']",
        "airflow []",
        "airflow_provider_aimlstt.transcripts []",
    ]
    assert third_party_roots({"sample": found}) == {
        "airflow_provider_aimlstt",
        "airflow",
        "airflowish",
        "jsonschema",
    }
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
