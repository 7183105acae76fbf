"""Helpers for the end-to-end tests: the speech samples, and reading the runs of example DAGs.

(A task's return value in a run: :func:`tests.airflow_compat.return_value`.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS

if TYPE_CHECKING:
    from airflow.models.dagrun import DagRun

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "example_dags"
AUDIO_DIR = EXAMPLE_DAGS / "audio"


def day_named_now() -> str:
    """The day folder (``2026/12/06``) a run of the nightly DAG triggered now transcribes: the day
    before its data interval ends, and a manual run's interval ends when it is triggered (with a
    logical date: :meth:`~tests.e2e.cluster.AirflowComponents.trigger_dag`). Computed just before the
    trigger, it is the run's unless midnight UTC passes in between."""
    return (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y/%m/%d")


def mono_samples() -> list[Path]:
    """The speech samples the nightly DAG picks up by default, sorted by name."""
    return sorted(AUDIO_DIR.glob("*.wav"))


def spoken_text(audio: Path) -> str:
    """The sentence spoken in a sample: its sidecar ``<stem>.txt``.

    :param audio: the sample's path.
    """
    return audio.with_suffix(".txt").read_text(encoding="utf-8").strip()


def task_states(dag_run: DagRun) -> dict[tuple[str, int], str | None]:
    """Every task instance's state in a run, keyed by (task id, map index).

    :param dag_run: the run.
    """
    return {(ti.task_id, ti.map_index): ti.state for ti in dag_run.get_task_instances()}


def dag_test_at(dag: Any, logical_date: datetime | None, run_conf: dict[str, Any]) -> DagRun:
    """``dag.test()`` of a run with a logical date (Airflow 2: its execution date, its keyword too).

    :param dag: the DAG.
    :param logical_date: the run's logical date; None: Airflow 3 makes a run without one (Airflow 2
        gives every run one: now).
    :param run_conf: the run's conf.
    """
    keyword = "logical_date" if AIRFLOW_V_3_0_PLUS else "execution_date"
    return dag.test(**{keyword: logical_date}, run_conf=run_conf)
