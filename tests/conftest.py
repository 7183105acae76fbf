"""Test set-up shared by every test: an isolated Airflow home and a running emulator.

Airflow reads its configuration when first imported, so the environment is set here, at import
time, before any test module imports Airflow.

Under pytest-xdist (``make test`` runs ``pytest -n auto``) every worker is a process of its own that
imports this file: each has its own Airflow home, metadata database, dags folder and emulator
(on a port the OS picks), and its servers' ports come from a range of its own
(:func:`tests.e2e.cluster.free_port`). The tests themselves are put in an order here: the longest
first, so that the run does not end waiting on one long test.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import DAG

REPO = Path(__file__).resolve().parents[1]
AUDIO_DIR = REPO / "example_dags" / "audio"
TEST_API_KEY = "sk-aimlstt-test-5f0c1e9a7b3d4c2e8f6a"

# "gw0", "gw1", ... under pytest-xdist; "main" in a run without workers (and in xdist's controller).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix=f"aimlstt-tests-{WORKER}-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
# The dags folder holds the example DAGs and the test-only DAGs of tests/dags, linked in.
DAGS_FOLDER = _AIRFLOW_HOME / "dags"
DAGS_FOLDER.mkdir()
(DAGS_FOLDER / "example_dags").symlink_to(REPO / "example_dags", target_is_directory=True)
(DAGS_FOLDER / "test_dags").symlink_to(REPO / "tests" / "dags", target_is_directory=True)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_FOLDER)
os.environ.pop("AIRFLOW_CONN_AIMLSTT_DEFAULT", None)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


# How many workers ``-n auto`` starts: most of the suite's time is spent waiting (on the emulator's
# jobs, on Airflow's processes starting, on polls), not computing, so more workers than cores pay
# off, up to the point where the e2e tests' Airflow processes compete for the cores.
# ``-n <number>`` instead of ``-n auto`` chooses another (``make test PYTEST_WORKERS=6``).
MIN_WORKERS = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """The number of workers of ``-n auto``: twice the cores, at least :data:`MIN_WORKERS`."""
    return max(MIN_WORKERS, 2 * (os.cpu_count() or 1))


# The files whose tests take longest, longest first (`pytest --durations=40` tells). They run
# first, then any other e2e or long_running test, then the rest in their order: the many short tests
# fill the workers' time around the long ones, and no long one is left running alone at the end.
LONGEST_FIRST = (
    "tests/e2e/test_nightly_with_faults.py",
    "tests/e2e/test_distributed.py",
    "tests/e2e/test_nightly_real_airflow.py",
    "tests/e2e/test_browser_ui.py",
    "tests/e2e/test_example_dags.py",
    "tests/airflow/test_provider_registration.py",
)


# Tests that must share one xdist worker, run one after the other, by file. The tests that run
# Airflow's processes: at most two deployments at once (the distributed one, and one of the two
# others), because three at once on a small, loaded machine starved each other (a Celery task lost
# its heartbeat three times; the UI took over 20 s to answer a click); test_browser_ui's Airflow is
# module-scoped. test_parse_imports' two child interpreters' findings are module-scoped.
# (pytest-xdist's own xdist_group marker does nothing on pytest 9.2, whose node ids can no longer
# be given the group's suffix: hence this.)
XDIST_GROUPS = {
    "tests/e2e/test_distributed.py": "distributed",
    "tests/e2e/test_nightly_real_airflow.py": "airflow_processes",
    "tests/e2e/test_browser_ui.py": "airflow_processes",
    "tests/test_parse_imports.py": "parse_imports",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """With ``--dist loadgroup`` (pyproject.toml's addopts): a test of :data:`XDIST_GROUPS` goes to
    its group's worker, every other test to whichever worker is free, in the collection's order."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return XDIST_GROUPS.get(nodeid.split("::", 1)[0], nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Put the longest tests first (a stable sort: the rest keep their order)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        if path in LONGEST_FIRST:
            return LONGEST_FIRST.index(path)
        long = item.get_closest_marker("e2e") or item.get_closest_marker("long_running")
        return len(LONGEST_FIRST) + (0 if long else 1)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """A fresh metadata database, made once per test session; ``dag.test()`` on Airflow 3.0 to 3.2 made
    to run tries as 3.3 does (:mod:`tests.airflow_compat`)."""
    from airflow.utils import db

    from tests.airflow_compat import (
        give_failure_callbacks_the_exception_in_dag_test,
        reuse_the_in_process_execution_api_in_dag_test,
    )

    db.resetdb(skip_init=False)
    give_failure_callbacks_the_exception_in_dag_test()
    reuse_the_in_process_execution_api_in_dag_test()
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[object]:
    from aimlstt_emulator import EmulatorConfig, EmulatorServer

    config = EmulatorConfig(
        api_key=TEST_API_KEY, transcripts_dir=AUDIO_DIR, queued_seconds=0.2, processing_seconds=0.4
    )
    with EmulatorServer(config, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture
def emulator(_emulator_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The running emulator, reachable through the ``aimlstt_default`` connection.

    Its configuration and its faults may be changed by the test; they are put back afterwards.
    """
    server = _emulator_server
    saved = replace(server.config)  # type: ignore[attr-defined]
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(server.base_url))  # type: ignore[attr-defined]
    yield server
    server.config.__dict__.update(saved.__dict__)  # type: ignore[attr-defined]
    server.faults.clear()  # type: ignore[attr-defined]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
    """A function returning all log text so far: Airflow's structlog writes to stdout, not to caplog."""
    import logging

    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def text() -> str:
        captured = capsys.readouterr()
        seen.append(captured.out + captured.err)
        return "".join(seen) + caplog.text

    return text


def connection_json(base_url: str, api_key: str = TEST_API_KEY, **extra: object) -> str:
    """An ``aimlstt`` connection in the JSON form Airflow reads from ``AIRFLOW_CONN_*``.

    Retries wait a few milliseconds instead of seconds unless ``extra`` says otherwise.
    """
    import json

    extra = {**FAST_RETRIES, **extra}
    return json.dumps({"conn_type": "aimlstt", "host": base_url, "password": api_key, "extra": extra})


FAST_RETRIES = {"api_retry_backoff": 0.01, "api_retry_max_backoff": 0.05}


@pytest.fixture
def fast_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batch tasks poll fast and never hold a resume back (:func:`tests.helpers.fast_batch_polls`)."""
    from tests.helpers import fast_batch_polls

    fast_batch_polls(monkeypatch)


@pytest.fixture(scope="session")
def load_dag() -> Callable[[str], DAG]:
    """A function that parses the dags folder (once) and returns a copy of the DAG with the given id.

    The folder links ``example_dags`` and the test-only DAGs of ``tests/dags``. Each call gives a
    copy of its own: ``dag.test()`` runs the tasks in this process and renders their templates into
    the operator objects, which would otherwise carry one run's rendered values into the next test.
    """
    from tests.airflow_compat import dag_bag as parse_folder
    from tests.airflow_compat import prepared_for_test

    dag_bag = parse_folder(str(DAGS_FOLDER))
    assert not dag_bag.import_errors, dag_bag.import_errors

    def load(dag_id: str) -> DAG:
        dag = dag_bag.dags.get(dag_id)
        assert dag is not None, f"{dag_id} not found in {DAGS_FOLDER}: {sorted(dag_bag.dag_ids)}"
        return prepared_for_test(copy.deepcopy(dag))

    return load
