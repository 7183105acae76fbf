"""Helpers for the end-to-end tests: the speech samples, and reading the runs of example DAGs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def return_value(dag_run: DagRun, task_id: str, map_index: int = -1) -> Any:
    """A task instance's return value (XCom) in a run, or None when it has none.

    :param dag_run: the run.
    :param task_id: the task.
    :param map_index: the mapped instance; -1 for a task that is not mapped.
    """
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(
            XComModel.get_many(
                key="return_value",
                run_id=dag_run.run_id,
                dag_ids=dag_run.dag_id,
                task_ids=task_id,
                map_indexes=map_index,
            ).with_only_columns(XComModel.value)
        ).first()
    return None if row is None else XComModel.deserialize_value(row)
