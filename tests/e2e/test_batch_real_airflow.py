"""The batch nightly DAG in real Airflow: a batch task killed mid-submission, the triggerer mid-wait.

60 files in two chunks of 30, at most 8 jobs in flight per task. While the first batch task is
sending creates (slowed down by the emulator so that the kill lands among them), its process is
killed with SIGKILL: the retry reads the manifest, finds the creates it never heard back from in
the usage log, and adopts their jobs. Later, while both batch triggers wait, the triggerer is
killed and a new one adopts what is waiting. Every file ends transcribed, with exactly one create.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import AirflowComponents
from tests.e2e.support import EXAMPLE_DAGS
from tests.operator.test_batch_operator import tone

DAG_ID = "example_aimlstt_nightly"
RUN_ID = "e2e_batch"
FILES = 60
HEALTH_CHECK_SECONDS = 10


def _manifest_rows(output_dir: Path, map_index: int) -> list[dict[str, Any]]:
    path = output_dir / "_manifests" / f"{DAG_ID}__{RUN_ID}__transcribe__{map_index}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.e2e
def test_batches_survive_a_killed_task_and_a_killed_triggerer_with_one_create_per_file(
    emulator: Any, tmp_path: Path
) -> None:
    emulator.config.queued_seconds = 1.0
    emulator.config.processing_seconds = 4.0
    emulator.config.usage_log_delay_seconds = 0.5
    input_dir, output_dir = tmp_path / "audio", tmp_path / "out"
    input_dir.mkdir()
    for index in range(FILES):
        tone(input_dir / f"call_{index:03d}.wav", 150 + 9 * index)
    hashes = {path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in input_dir.iterdir()}
    extra_env = {
        "AIRFLOW_CONN_AIMLSTT_DEFAULT": os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"],  # set by `emulator`
        "AIMLSTT_NIGHTLY_SCHEDULE": "",
        "AIMLSTT_RETRY_DELAY_SECONDS": "0",
        "AIMLSTT_POKE_INTERVAL_SECONDS": "0.5",
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(HEALTH_CHECK_SECONDS),
    }
    conf = {"input_dir": str(input_dir), "output_dir": str(output_dir), "chunk_size": 30, "max_in_flight": 8}
    with AirflowComponents(tmp_path / "airflow", EXAMPLE_DAGS, extra_env) as airflow:
        airflow.wait_for(
            f"{DAG_ID} parsed",
            lambda: airflow.query("SELECT 1 FROM dag WHERE dag_id = ? AND is_paused = 0", DAG_ID) or None,
            120.0,
        )
        # Creates answer 1.5 s late: the first wave of 8 is in the air for a while.
        emulator.faults.set(routes=["create"], latency_seconds=1.5, latency_probability=1.0)
        airflow.airflow("dags", "trigger", DAG_ID, "--run-id", RUN_ID, "--conf", json.dumps(conf))

        def sending() -> int | None:
            rows = _manifest_rows(output_dir, 0)
            running = airflow.query(
                "SELECT pid FROM task_instance WHERE run_id = ? AND task_id = 'transcribe' AND map_index = 0 "
                "AND state = 'running' AND pid IS NOT NULL",
                RUN_ID,
            )
            if running and any(row["status"] == "submitting" for row in rows):
                return int(running[0][0])
            return None

        pid = airflow.wait_for("the first batch task sending creates", sending, 120.0)
        os.kill(pid, signal.SIGKILL)
        emulator.faults.clear()

        def waiting() -> bool | None:
            triggers = airflow.query("SELECT id FROM trigger WHERE classpath LIKE '%AimlSttBatchTrigger'")
            return True if triggers else None

        airflow.wait_for("a batch task waiting in the triggerer", waiting, 120.0)
        time.sleep(1.0)
        airflow.kill_and_restart("triggerer")
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
            300.0,
        )
        tries = dict(
            airflow.query(
                "SELECT map_index, try_number FROM task_instance WHERE run_id = ? AND task_id = 'transcribe'",
                RUN_ID,
            )
        )
        trigger_logs = [
            path.read_text(errors="replace")
            for path in (tmp_path / "airflow" / "logs").rglob("*.trigger.*.log")
            if "task_id=transcribe" in str(path)
        ]

    assert state == "success", tries
    assert tries[0] >= 2, tries  # the killed task was retried
    creates = emulator.stats()["creates_by_sha256"]
    assert {stem: creates.get(digest, 0) for stem, digest in hashes.items()} == dict.fromkeys(hashes, 1)
    for stem in hashes:
        assert (output_dir / f"{stem}.json").exists(), stem
    rows = _manifest_rows(output_dir, 0) + _manifest_rows(output_dir, 1)
    assert len(rows) == FILES and all(row["status"] == "transcribed" for row in rows)
    # The waits ran in the triggerers (both of them: before and after the kill), never on a worker.
    assert sum("airflow_provider_aimlstt.triggers.batch" in text for text in trigger_logs) >= 2
    print(f"\nbatch e2e: {FILES} files, task 0 tried {tries[0]} times, 1 create per file")
