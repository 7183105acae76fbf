"""The nightly DAG in real Airflow: api-server, scheduler, dag-processor and triggerer as processes."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.models import summarize_result
from tests.e2e.cluster import AirflowComponents
from tests.e2e.support import AUDIO_DIR, EXAMPLE_DAGS, mono_samples, spoken_text

DAG_ID = "example_aimlstt_nightly"
RUN_ID = "e2e_nightly"
PARSE_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 240.0


def _xcom_text(raw: str) -> str:
    """A string XCom as SQLite stores it (JSON text)."""
    value = json.loads(raw)
    assert isinstance(value, str) and value, f"not a non-empty string XCom: {raw!r}"
    return value


@pytest.mark.e2e
def test_nightly_dag_runs_in_real_airflow_with_the_wait_in_the_triggerer(
    emulator: Any, tmp_path: Path
) -> None:
    # Jobs take longer than a task takes to start, so each sensor finds its job unfinished and defers.
    emulator.config.queued_seconds = 2.0
    emulator.config.processing_seconds = 8.0
    output_dir = tmp_path / "transcripts"
    samples = mono_samples()
    extra_env = {
        "AIRFLOW_CONN_AIMLSTT_DEFAULT": os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"],  # set by `emulator`
        "AIMLSTT_INPUT_DIR": str(AUDIO_DIR),
        "AIMLSTT_OUTPUT_DIR": str(output_dir),
    }
    started = time.monotonic()
    airflow_home = tmp_path / "airflow"
    with AirflowComponents(airflow_home, EXAMPLE_DAGS, extra_env) as airflow:
        airflow.wait_for(
            f"{DAG_ID} parsed and unpaused",
            lambda: airflow.query("SELECT 1 FROM dag WHERE dag_id = ? AND is_paused = 0", DAG_ID) or None,
            PARSE_TIMEOUT_SECONDS,
        )
        parsed = time.monotonic()
        airflow.airflow("dags", "trigger", DAG_ID, "--run-id", RUN_ID)
        state = airflow.wait_for(
            f"end of run {RUN_ID}",
            lambda: next(
                (
                    row[0]
                    for row in airflow.query("SELECT state FROM dag_run WHERE run_id = ?", RUN_ID)
                    if row[0] in ("success", "failed")
                ),
                None,
            ),
            RUN_TIMEOUT_SECONDS,
        )
        finished = time.monotonic()
        tasks = airflow.query(
            "SELECT task_id, map_index, rendered_map_index, state FROM task_instance WHERE run_id = ? "
            "ORDER BY task_id, map_index",
            RUN_ID,
        )
        assert state == "success", f"{tasks}\n{airflow.log_tails()}"
        generation_ids = dict(
            airflow.query(
                "SELECT map_index, value FROM xcom WHERE run_id = ? AND task_id = 'submit' "
                "AND key = 'return_value'",
                RUN_ID,
            )
        )
    print(
        f"\nreal Airflow: components up and DAG parsed in {parsed - started:.1f} s, run took "
        f"{finished - parsed:.1f} s, {time.monotonic() - started:.1f} s in all with start and stop"
    )

    for sample in samples:
        assert (output_dir / f"{sample.stem}.txt").read_text(encoding="utf-8").strip() == spoken_text(sample)
        result = json.loads((output_dir / f"{sample.stem}.json").read_text(encoding="utf-8"))
        assert summarize_result(result).text == spoken_text(sample)

    names_in_ui = {(task_id, map_index): name for task_id, map_index, name, _ in tasks}
    for map_index, sample in enumerate(samples):
        assert names_in_ui[("submit", map_index)] == sample.name
        assert names_in_ui[("write_transcript", map_index)] == sample.name

    assert sorted(generation_ids) == list(range(len(samples)))
    sensor_logs = (
        airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={RUN_ID}" / "task_id=wait_for_transcript"
    )
    for map_index, raw_id in generation_ids.items():
        trigger_logs = sorted((sensor_logs / f"map_index={map_index}").glob("attempt=*.log.trigger.*.log"))
        assert trigger_logs, f"no trigger log for map_index={map_index} in {sensor_logs}"
        assert _xcom_text(raw_id) in trigger_logs[0].read_text(errors="replace")
