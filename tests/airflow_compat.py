"""What the tests read of Airflow's internals, on every supported version (2.11 to 3.3), in one place.

The package itself imports what moved from ``airflow.providers.common.compat.sdk``; the tests also
reach into what no provider should (the metadata database's models, the DAG bag, the providers
manager), and those differ between Airflow 2 and 3. Each difference is settled here, by the
package's version flags, so that no test carries its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_aimlstt.version_compat import (
    AIRFLOW_V_3_0_PLUS,
    AIRFLOW_V_3_1_PLUS,
    AIRFLOW_V_3_2_PLUS,
    AIRFLOW_V_3_3_PLUS,
)


def dag_bag(folder: str) -> Any:
    """Airflow's DAG bag of ``folder``: every DAG its files define, and their import errors. On
    Airflow 3.0 its DAGs are also written to the metadata database, when there is one.

    :param folder: the folder to parse.
    """
    if AIRFLOW_V_3_2_PLUS:
        from airflow.dag_processing.dagbag import DagBag
    else:
        from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=folder)  # examples are off: AIRFLOW__CORE__LOAD_EXAMPLES (tests/conftest.py)
    if AIRFLOW_V_3_0_PLUS and not AIRFLOW_V_3_1_PLUS:
        _write_to_the_database(bag)
    return bag


def _write_to_the_database(bag: Any) -> None:
    """Write the DAG bag's DAGs and their assets to the metadata database, as a dag-processor does.

    ``dag.test()`` on 3.0 writes neither (3.1 and later do), and its task runner refuses a task
    whose asset outlets were never written ("inactive assets"). Nothing without a database.
    """
    from airflow.dag_processing.bundles.manager import DagBundlesManager

    if not _has_database():
        return
    DagBundlesManager().sync_bundles_to_db()
    bag.sync_to_db("dags-folder", None)


def _has_database() -> bool:
    from airflow.utils.session import create_session
    from sqlalchemy import inspect

    with create_session() as session:
        return inspect(session.get_bind()).has_table("dag_bundle")


DAG_CONTEXT_MODULE = (
    "airflow.sdk.definitions._internal.contextmanager" if AIRFLOW_V_3_0_PLUS else "airflow.models.dag"
)
"""The module of ``DagContext``, which collects the DAGs a file defines while the DAG bag parses it."""


DAG_AUTHORING_MODULES = (
    ("airflow.sdk",) if AIRFLOW_V_3_0_PLUS else ("airflow.models.dag", "airflow.models.baseoperator")
)
"""What every DAG file imports of Airflow to define a DAG and its tasks: the task SDK (Airflow 3),
the DAG and operator models (Airflow 2)."""


def task_listener_manager() -> Any:
    """The listener manager a task's run tells of the try (Airflow 3.2+: the task SDK's; before: the
    one manager), made after the core one, so that both integrate the plugins known now."""
    from airflow.listeners.listener import get_listener_manager as core_listener_manager

    core = core_listener_manager()
    if not AIRFLOW_V_3_2_PLUS:
        return core
    from airflow.sdk.listener import get_listener_manager

    return get_listener_manager()


def prepared_for_test(dag: Any) -> Any:
    """The DAG, ready for ``dag.test()``: Airflow 2's does not write the DAG's dataset aliases to the
    metadata database, where an alias's events need them; writing the DAG does.

    :param dag: a DAG from :func:`dag_bag`.
    """
    if not AIRFLOW_V_3_0_PLUS:
        dag.sync_to_db()
    return dag


def give_failure_callbacks_the_exception_in_dag_test() -> None:
    """Make ``dag.test()`` on Airflow 3.0 to 3.2 hand a failed try's exception to its callbacks.

    A worker's task process puts the exception in the context before the failure and retry
    callbacks run, on every Airflow; ``dag.test()``'s in-process runner of 3.0 to 3.2 does not (3.3
    does), so there a callback that reports the cause (the example DAGs' ``record_failure``) sees
    none. The tests run what a worker runs: this wraps the task SDK's ``finalize``, which the
    in-process runner imports when it runs a task, to do as the worker's does. Nothing on 2.11 or 3.3.
    """
    if not AIRFLOW_V_3_0_PLUS or AIRFLOW_V_3_3_PLUS:
        return
    from airflow.sdk.execution_time import task_runner

    finalize = task_runner.finalize
    if getattr(finalize, "puts_the_exception_in_the_context", False):
        return

    def finalize_with_the_exception(ti: Any, state: Any, context: Any, log: Any, error: Any = None) -> Any:
        context["exception"] = error
        return finalize(ti, state, context, log, error)

    finalize_with_the_exception.puts_the_exception_in_the_context = True  # type: ignore[attr-defined]
    task_runner.finalize = finalize_with_the_exception  # type: ignore[assignment]


def reuse_the_in_process_execution_api_in_dag_test() -> None:
    """Make ``dag.test()`` on Airflow 3.1 and 3.2 build its in-process execution API once, as 3.3 does.

    Their in-process runner builds the whole FastAPI app anew for every try it runs (about 2 s on a
    2-core machine: most of a ``dag.test()`` test's time there); 3.3 builds it once per process.
    What a task does is the same either way. Not on 3.0, whose second ``dag.test()`` of a batch in
    one process then loses the task runner's ``SUPERVISOR_COMMS``; nothing on 2.11 or 3.3.
    """
    if not AIRFLOW_V_3_1_PLUS or AIRFLOW_V_3_3_PLUS:
        return
    from airflow.sdk.execution_time import supervisor

    if not hasattr(supervisor.in_process_api_server, "cache_info"):
        supervisor.in_process_api_server = functools.lru_cache(maxsize=1)(supervisor.in_process_api_server)


def stored_xcom(dag_run: Any, task_id: str, key: str = "return_value", map_index: int = -1) -> Any:
    """The XCom a task instance of ``dag_run`` stored under ``key``, deserialized; None if none.

    :param dag_run: the run.
    :param task_id: the task.
    :param key: the XCom's key.
    :param map_index: the mapped instance (-1: not mapped).
    """
    if not AIRFLOW_V_3_0_PLUS:
        from airflow.models.xcom import XCom

        return XCom.get_one(
            key=key, dag_id=dag_run.dag_id, task_id=task_id, run_id=dag_run.run_id, map_index=map_index
        )
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(
            select(XComModel.value).where(
                XComModel.key == key,
                XComModel.dag_id == dag_run.dag_id,
                XComModel.run_id == dag_run.run_id,
                XComModel.task_id == task_id,
                XComModel.map_index == map_index,
            )
        ).first()
    return None if row is None else XComModel.deserialize_value(row)


def return_value(dag_run: Any, task_id: str, map_index: int = -1) -> Any:
    """A task instance's return value in a run, or None when it has none.

    :param dag_run: the run.
    :param task_id: the task.
    :param map_index: the mapped instance; -1 for a task that is not mapped.
    """
    return stored_xcom(dag_run, task_id, "return_value", map_index)


def link_url_in_ui(dag_run: Any, task_id: str, link: Any) -> Any:
    """The URL the UI shows for a task instance's extra link: Airflow 3 asks the link on the worker
    when the try ends and keeps the answer in XCom (read here); Airflow 2's webserver asks it when
    the page is shown (asked here, as it would).

    :param dag_run: the run.
    :param task_id: the task.
    :param link: the operator's link.
    """
    if AIRFLOW_V_3_0_PLUS:
        return stored_xcom(dag_run, task_id, link.xcom_key)
    task_instance = dag_run.get_task_instance(task_id)
    return link.get_link(None, ti_key=task_instance.key)


def asset_events_of_run(run_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The asset events (Airflow 2: dataset events) the tasks of a run emitted: (URI, extra) each.

    :param run_id: the run whose events are read.
    """
    from airflow.utils.session import create_session

    if AIRFLOW_V_3_0_PLUS:
        from airflow.models.asset import AssetEvent as Event
    else:
        from airflow.models.dataset import DatasetEvent as Event
    with create_session() as session:
        events = session.query(Event).filter(Event.source_run_id == run_id).all()
        target = "asset" if AIRFLOW_V_3_0_PLUS else "dataset"
        return [(getattr(event, target).uri, dict(event.extra or {})) for event in events]


def start_stats(factory: Callable[[], Any] | None = None) -> None:
    """Set up Airflow's ``Stats`` as the task runner does when a task starts: its backend made by
    ``factory``, or when None the one ``[metrics]`` configures (read now, from the environment too).

    :param factory: makes the backend (a ``StatsLogger``), e.g. a recorder in a test.
    """
    if AIRFLOW_V_3_2_PLUS:
        from airflow.providers.common.compat.sdk import conf
        from airflow.sdk.observability import stats
        from airflow.sdk.observability.metrics import stats_utils

        if AIRFLOW_V_3_3_PLUS:  # a module-level backend
            stats.initialize(
                factory=factory or stats_utils.get_stats_factory(),
                export_legacy_names=conf.getboolean("metrics", "legacy_names_on"),
            )
        else:  # 3.2: the Stats class holds it
            stats.Stats.initialize(factory=factory or stats_utils.get_stats_factory(stats.Stats))
        return
    import os

    from airflow.stats import Stats

    # Up to 3.1, Stats builds its backend on first use (again in another process: 3.x keeps the
    # pid it was built in), with the factory [metrics] chose at import.
    Stats.instance = None if factory is None else factory()  # type: ignore[attr-defined]
    Stats._instance_pid = os.getpid()  # type: ignore[attr-defined]


def stop_stats() -> None:
    """Put ``Stats`` back as in a process without metrics."""
    if AIRFLOW_V_3_2_PLUS:
        from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
    else:
        from airflow.metrics.base_stats_logger import NoStatsLogger
    start_stats(NoStatsLogger)


def use_variables(monkeypatch: pytest.MonkeyPatch, variables: Any) -> None:
    """Make the package's ``Variable`` (imported from common-compat's sdk module when used) be
    ``variables`` for the test.

    :param monkeypatch: the test's ``pytest.MonkeyPatch``, which puts the real one back.
    :param variables: the stand-in, with ``get`` and ``set``.
    """
    import airflow.providers.common.compat.sdk as compat_sdk

    monkeypatch.setattr(compat_sdk, "Variable", variables, raising=False)


def attach_store(protocol: str) -> Any:
    """Airflow's object store of ``protocol`` (its ``fs`` may be replaced), as ``ObjectStoragePath``
    finds it.

    :param protocol: e.g. ``memory``.
    """
    if AIRFLOW_V_3_0_PLUS:
        from airflow.sdk.io import attach
    else:
        from airflow.io.store import attach
    return attach(protocol)


def template_macros() -> Any:
    """The ``macros`` module templates see."""
    if AIRFLOW_V_3_2_PLUS:
        from airflow.sdk import macros
    else:
        from airflow import macros
    return macros


def hook_class_name(conn_type: str) -> str | None:
    """The hook class Airflow registered for a connection type, as task runners look it up.

    :param conn_type: the connection type.
    """
    if AIRFLOW_V_3_2_PLUS:
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

        hooks: Any = ProvidersManagerTaskRuntime().hooks
    else:
        from airflow.providers_manager import ProvidersManager

        hooks = ProvidersManager().hooks
    hook = hooks[conn_type]
    return None if hook is None else str(hook.hook_class_name)


def needs(flag: bool, what: str) -> Callable[[Any], Any]:
    """Skip a test on an Airflow without ``what`` (``flag`` false), saying so.

    :param flag: one of the package's version flags.
    :param what: what the test needs, and from which version.
    """
    return pytest.mark.skipif(not flag, reason=f"needs {what}")
