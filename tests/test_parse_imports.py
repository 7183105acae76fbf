"""Parsing a DAG file imports nothing of what only running a task needs.

A fresh interpreter imports what every DAG file with a deferrable task imports anyway
(``airflow.sdk``, Airflow 2's DAG and operator modules; ``airflow.triggers.base``): the
baseline. Another one imports the same, then what DAG files take of the provider (its declared
operator and sensor modules, ``KNOWN_MODELS``, its provider info): everything that adds over the
baseline is judged, so Airflow's own imports (``httpx``, ``pydantic``) are never blamed on us.

Then it parses the example DAGs and the test DAGs. An ``Asset`` with a URI makes Airflow load
the asset URI handlers of every installed provider (the Amazon one brings ``botocore``,
``urllib3`` and ``requests``), so that is done once before parsing, and only what parsing adds
after it is judged: none of our execution modules, and no pydantic model of ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.get_provider_info import get_provider_info
from tests.airflow_compat import DAG_AUTHORING_MODULES, DAG_CONTEXT_MODULE
from tests.conftest import REPO

BASELINE = (*DAG_AUTHORING_MODULES, "airflow.triggers.base")
DAG_FILES = sorted([*(REPO / "example_dags").glob("*.py"), *(REPO / "tests" / "dags").glob("*.py")])

FORBIDDEN_PREFIXES = (
    "requests",
    "urllib3",
    "charset_normalizer",
    "httpx",
    "airflow_provider_aimlstt.protocol",
    "airflow_provider_aimlstt.hooks",
    "airflow_provider_aimlstt.triggers",
    "airflow_provider_aimlstt.tracing",
    "airflow_provider_aimlstt.models.request",
    "airflow_provider_aimlstt.models.responses",
    "airflow_provider_aimlstt.models.submission",
    "airflow_provider_aimlstt.models.events",
    "airflow_provider_aimlstt.models.usage_log",
    "airflow_provider_aimlstt.models.options",
    "airflow_provider_aimlstt.models.option_base",
    "airflow_provider_aimlstt.models.option_check",
    "airflow_provider_aimlstt.transcripts.model",
    "airflow_provider_aimlstt.batch.manifest",
)
"""Modules (and their submodules) only execution needs: HTTP clients, the wire protocol, the
hooks and triggers, and the modules that build pydantic models."""
PROVIDER_INFO_MODULES = {"airflow_provider_aimlstt.hooks", "airflow_provider_aimlstt.hooks.connection_form"}
"""The connection form's home, which the provider info reads: no execution module. Airflow 3 imports
it with ``airflow.sdk`` (the baseline); Airflow 2 when a process first reads the provider info."""

_CHILD = """
import importlib, importlib.util, json, sys
for name in {baseline!r}:
    importlib.import_module(name)
phases, dags = {{}}, {{}}
if {parse!r}:
    import airflow_provider_aimlstt
    from airflow_provider_aimlstt.get_provider_info import get_provider_info
    from airflow_provider_aimlstt.models.families import KNOWN_MODELS
    get_provider_info()
    for name in {modules!r}:
        importlib.import_module(name)
    phases["tasks"] = sorted(sys.modules)
    from airflow.providers.common.compat.sdk import Asset
    from {dag_context} import DagContext  # how DagBag collects DAGs
    Asset(uri="s3://bucket/warm_up")  # Airflow loads the providers' asset URI handlers
    phases["assets"] = sorted(sys.modules)
    for number, path in enumerate({dag_files!r}):
        name = f"parsed_dag_{{number}}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        DagContext.current_autoregister_module_name = name
        spec.loader.exec_module(module)
        dags[path] = sorted(dag.dag_id for dag, home in DagContext.autoregistered_dags if home is module)
    dags["package"] = [airflow_provider_aimlstt.__file__]
phases["parsed"] = sorted(sys.modules)
from pydantic import BaseModel
model_modules = sorted(
    name for name, module in list(sys.modules.items())
    if name.startswith("airflow_provider_aimlstt") and any(
        isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == name
        for value in vars(module).values()
    )
)
print(json.dumps({{"phases": phases, "dags": dags, "models": model_modules}}))
"""


def _forbidden(modules: set[str]) -> list[str]:
    return sorted(
        name
        for name in modules - PROVIDER_INFO_MODULES
        if any(name == p or name.startswith(f"{p}.") for p in FORBIDDEN_PREFIXES)
    )


def _declared_task_modules() -> list[str]:
    info = get_provider_info()
    return [
        module
        for kind in ("operators", "sensors")
        for entry in info[kind]
        for module in entry["python-modules"]
    ]


def _child(parse: bool) -> dict[str, Any]:
    """What a fresh interpreter imported: the baseline, and (``parse``) what parsing the DAGs took.

    :param parse: parse the DAG files and import the task modules, or import the baseline only.
    """
    code = _CHILD.format(
        baseline=BASELINE,
        dag_context=DAG_CONTEXT_MODULE,
        parse=parse,
        modules=_declared_task_modules(),
        dag_files=[str(path) for path in DAG_FILES],
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    return _child(parse=False)


@pytest.fixture(scope="module")
def parsed() -> dict[str, Any]:
    return _child(parse=True)


def test_the_dag_files_were_parsed_from_this_checkout(parsed: dict[str, Any]) -> None:
    assert Path(parsed["dags"]["package"][0]).is_relative_to(REPO)
    found = {Path(path).name: dag_ids for path, dag_ids in parsed["dags"].items() if path != "package"}
    assert len(found) == len(DAG_FILES) >= 10
    assert all(found.values()), {name: ids for name, ids in found.items() if not ids}


def test_importing_the_task_modules_adds_no_http_client_hook_protocol_or_model_module(
    baseline: dict[str, Any], parsed: dict[str, Any]
) -> None:
    added = set(parsed["phases"]["tasks"]) - set(baseline["phases"]["parsed"])
    assert "airflow_provider_aimlstt.operators.batch" in added
    assert _forbidden(added) == []


def test_parsing_the_dags_adds_none_of_them_either(parsed: dict[str, Any]) -> None:
    added = set(parsed["phases"]["parsed"]) - set(parsed["phases"]["assets"])
    assert any(name.startswith("parsed_dag_") for name in added)
    assert _forbidden(added) == []


def test_no_pydantic_model_is_built_while_parsing(parsed: dict[str, Any]) -> None:
    assert parsed["models"] == []
