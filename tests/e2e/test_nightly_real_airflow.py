"""The nightly DAG in real Airflow: api-server, scheduler, dag-processor and triggerer as processes.

The transcripts' asset events schedule ``example_aimlstt_downstream``, which must run too.

While every transcription is pending in the triggerer, the triggerer is killed (SIGKILL: no
clean-up) and a new one started. The new one adopts the triggers from their stored kwargs, with
the same deadlines, and every file is transcribed once. Afterwards the logs, and every table of
the metadata database except ``connection``, are scanned for the API key.

One more file, empty, fails each of its tries: the run fails, and the DAG's failure callback
writes ``empty.error.txt`` with the cause, on the worker. Then the failure callback is run once
more where Airflow runs it for a task failed from outside its process (killed, heartbeat lost, the
executor-event race of apache/airflow#66374): in the dag-processor, which gets the same request the
scheduler sends then. There the task is the unexpanded mapped operator; the callback must still
name the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.transcripts import Transcript
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS
from tests.conftest import TEST_API_KEY
from tests.e2e.cluster import AirflowComponents
from tests.e2e.support import EXAMPLE_DAGS, mono_samples, spoken_text

DAG_ID = "example_aimlstt_per_file"
RUN_ID = "e2e_nightly"
WAIT_TASK = "transcribe"
DOWNSTREAM_DAG_ID = "example_aimlstt_downstream"
PARSE_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 300.0
HEALTH_CHECK_SECONDS = 10  # how soon a silent triggerer's triggers go to another one
FAILING_AUDIO = "empty.wav"  # refused by the operator before anything is sent, on every try
CALLBACK_TIMEOUT_SECONDS = 90.0
# What the scheduler says of a task instance failed from outside; Airflow 2 hands it to the failure
# callback as the exception, Airflow 3 gives the callback no exception.
CALLBACK_MESSAGE = "sent by the test, as the scheduler sends it for a task instance failed from outside"


def _xcom_text(raw: str) -> str:
    """A string XCom as SQLite stores it (JSON text)."""
    value = json.loads(raw)
    assert isinstance(value, str) and value, f"not a non-empty string XCom: {raw!r}"
    return value


def _creates(emulator: Any, audio: Path) -> int:
    return int(emulator.stats()["creates_by_sha256"].get(hashlib.sha256(audio.read_bytes()).hexdigest(), 0))


def _callback_errors(airflow_home: Path) -> list[str]:
    """The dag-processor's log lines (not the tasks' logs) of callbacks that raised."""
    return [
        line
        for folder in ("logs", "components")
        for path in (airflow_home / folder).rglob("*")
        if path.is_file() and "dag_id=" not in str(path)
        for line in path.read_text(errors="replace").splitlines()
        if "Error in callback" in line
    ]


@pytest.mark.e2e
def test_nightly_dag_survives_a_triggerer_kill_and_leaks_no_key(emulator: Any, tmp_path: Path) -> None:
    # Jobs outlast the start of the sensors, the kill and the hand-over to the new triggerer.
    emulator.config.queued_seconds = 2.0
    emulator.config.processing_seconds = 30.0
    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    samples = mono_samples()
    for sample in samples:
        shutil.copy(sample, input_dir)
    (input_dir / FAILING_AUDIO).write_bytes(b"")
    creates_before = {sample: _creates(emulator, sample) for sample in samples}
    extra_env = {
        "AIRFLOW_CONN_AIMLSTT_DEFAULT": os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"],  # set by `emulator`
        "AIMLSTT_INPUT_DIR": str(input_dir),
        "AIMLSTT_OUTPUT_DIR": str(output_dir),
        "AIMLSTT_RETRY_DELAY_SECONDS": "0",  # the failing file's retries come at once
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": str(HEALTH_CHECK_SECONDS),
        # Asset-triggered runs need the scheduler's job scheduling; the nightly DAG's cron is off.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
        "AIMLSTT_NIGHTLY_SCHEDULE": "",
    }
    started = time.monotonic()
    airflow_home = tmp_path / "airflow"
    with AirflowComponents(airflow_home, EXAMPLE_DAGS, extra_env) as airflow:
        airflow.wait_for(
            f"{DAG_ID} parsed and unpaused",
            lambda: airflow.query("SELECT 1 FROM dag WHERE dag_id = ? AND NOT is_paused", DAG_ID) or None,
            PARSE_TIMEOUT_SECONDS,
        )
        parsed = time.monotonic()
        airflow.trigger_dag(DAG_ID, RUN_ID)

        def all_polling() -> dict[int, tuple[Any, dict[str, Any]]] | None:
            triggers = airflow.triggers()
            polling = [entry for entry in triggers.values() if entry[0] is not None]
            return triggers if len(polling) == len(samples) else None

        before_kill = airflow.wait_for("every wait polling in the triggerer", all_polling, 120.0)
        time.sleep(4.0)  # let each trigger poll at least once more: the kill lands mid-wait
        airflow.kill_and_restart("triggerer")
        killed = time.monotonic()

        def adopted() -> dict[int, tuple[Any, dict[str, Any]]] | None:
            triggers = airflow.triggers()
            old_ids = {entry[0] for entry in before_kill.values()}
            moved = [entry for entry in triggers.values() if entry[0] is not None and entry[0] not in old_ids]
            return triggers if triggers and len(moved) == len(triggers) else None

        after_restart = airflow.wait_for("the new triggerer adopting the triggers", adopted, 90.0)
        adopted_at = time.monotonic()
        state = airflow.wait_for_run_end(RUN_ID, RUN_TIMEOUT_SECONDS)
        finished = time.monotonic()
        tasks = airflow.query(
            "SELECT task_id, map_index, rendered_map_index, state, try_number FROM task_instance "
            "WHERE run_id = ? ORDER BY task_id, map_index",
            RUN_ID,
        )
        # The failing file fails the run; every other file is transcribed.
        assert state == "failed", f"{tasks}\n{airflow.log_tails()}"
        by_name = {name: (task_id, index, ti_state, tries) for task_id, index, name, ti_state, tries in tasks}
        failing = by_name[FAILING_AUDIO]
        assert failing[0] == "transcribe" and failing[2:] == ("failed", 3), tasks  # 2 retries
        assert all(by_name[sample.name][2] == "success" for sample in samples), tasks
        states = {task_id: ti_state for task_id, index, _, ti_state, _ in tasks if index == -1}
        assert states == {
            "list_new_audio": "success",
            "announce_transcripts": "success",
            "summarize": "failed",
        }, tasks
        error_file = output_dir / f"{Path(FAILING_AUDIO).stem}.error.txt"
        cause = error_file.read_text(encoding="utf-8")  # written on the worker, after the last try
        assert cause.startswith("transcribe (try 3): AimlSttValidationError: "), cause
        assert "audio_path: file is empty" in cause
        summary_log = (
            airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={RUN_ID}" / "task_id=summarize"
        ).glob("attempt=*.log")
        assert f"1 of {len(samples) + 1} file(s) not transcribed: ['{FAILING_AUDIO}']" in "".join(
            path.read_text(errors="replace") for path in summary_log
        )

        # The same failure's callback, run by the dag-processor: it writes the error file again.
        error_file.unlink()
        airflow.send_failure_callback(DAG_ID, RUN_ID, "transcribe", failing[1], CALLBACK_MESSAGE)

        def downstream_rows() -> list[dict[str, Any]] | None:
            runs = airflow.query("SELECT run_id, state FROM dag_run WHERE dag_id = ?", DOWNSTREAM_DAG_ID)
            if not runs or any(state not in ("success", "failed") for _, state in runs):
                return None
            assert all(state == "success" for _, state in runs), airflow.log_tails()
            values = airflow.query(
                "SELECT value FROM xcom WHERE dag_id = ? AND key = 'return_value'", DOWNSTREAM_DAG_ID
            )
            rows = [row for (value,) in values for row in json.loads(value)]
            return rows if len(rows) >= len(samples) else None

        # Each transcribed file's asset event schedules the downstream DAG (several events may share a run).
        read = airflow.wait_for(
            f"runs of {DOWNSTREAM_DAG_ID} reading every transcript", downstream_rows, 120.0
        )
        generation_ids = dict(
            airflow.query(
                "SELECT map_index, value FROM xcom WHERE run_id = ? AND task_id = 'transcribe' "
                "AND key = 'generation_id'",
                RUN_ID,
            )
        )
        airflow.wait_for(
            f"{error_file.name} from the callback in the dag-processor",
            lambda: _callback_errors(airflow_home) or error_file.exists() or None,
            CALLBACK_TIMEOUT_SECONDS,
        )
        assert not _callback_errors(airflow_home), f"{_callback_errors(airflow_home)}\n{airflow.log_tails()}"
        callback_ran = time.monotonic()
        rows_with_key = airflow.rows_holding(TEST_API_KEY)  # while its database server runs
        rows_with_a_job_id = airflow.rows_holding(_xcom_text(next(iter(generation_ids.values()))))
    print(
        f"\nreal Airflow: up and parsed in {parsed - started:.1f} s; triggerer killed "
        f"{killed - parsed:.1f} s into the run, triggers adopted {adopted_at - killed:.1f} s later; run "
        f"ended {finished - adopted_at:.1f} s after that; the callback in the dag-processor done "
        f"{callback_ran - finished:.1f} s after the end; {time.monotonic() - started:.1f} s in all"
    )
    # The try is the last one. Without an exception to name, it says the task was failed from outside;
    # Airflow 2's callback gets the scheduler's message in its place, and writes it.
    if AIRFLOW_V_3_0_PLUS:
        cause = "failed outside the task (killed, heartbeat lost or a scheduler race): see its log"
    else:
        cause = CALLBACK_MESSAGE
    assert error_file.read_text(encoding="utf-8") == f"transcribe (try 3): {cause}\n"
    assert not [path.name for path in output_dir.glob("*.error.txt") if path != error_file]

    # The adopted triggers are the same rows, re-created from the same kwargs: same deadline.
    for trigger_id, (_, kwargs) in after_restart.items():
        assert kwargs == before_kill[trigger_id][1]
        assert kwargs["deadline"] > time.time() - 600  # an absolute epoch time, not a countdown

    for sample in samples:
        assert (output_dir / f"{sample.stem}.txt").read_text(encoding="utf-8").strip() == spoken_text(sample)
        transcript = Transcript.model_validate_json(
            (output_dir / f"{sample.stem}.json").read_text(encoding="utf-8")
        )
        assert transcript.text == spoken_text(sample)
        assert (output_dir / f"{sample.stem}.srt").exists() and (output_dir / f"{sample.stem}.vtt").exists()
        assert _creates(emulator, sample) - creates_before[sample] == 1, sample.name  # never twice

    # The downstream runs read every new transcript, once, through the asset events' extra.
    assert sorted(row["words"] for row in read) == sorted(
        len(spoken_text(sample).split()) for sample in samples
    )
    assert {row["generation_id"] for row in read} == {_xcom_text(raw) for raw in generation_ids.values()}

    # Each mapped instance is named after its file (map_index_template), in file name order.
    names_in_ui = [name for task_id, _, name, _, _ in tasks if task_id == "transcribe"]
    assert names_in_ui == sorted([FAILING_AUDIO, *(sample.name for sample in samples)])

    # Each wait was polled by both triggerers: one log per triggerer, each naming the job.
    assert sorted(generation_ids) == sorted(by_name[sample.name][1] for sample in samples)
    sensor_logs = airflow_home / "logs" / f"dag_id={DAG_ID}" / f"run_id={RUN_ID}" / f"task_id={WAIT_TASK}"
    for map_index, raw_id in generation_ids.items():
        trigger_logs = sorted((sensor_logs / f"map_index={map_index}").glob("attempt=*.log.trigger.*.log"))
        assert len(trigger_logs) == 2, f"expected a trigger log from each triggerer: {trigger_logs}"
        for trigger_log in trigger_logs:
            assert _xcom_text(raw_id) in trigger_log.read_text(errors="replace")

    # The key: in no log file, and in no table but `connection`.
    assert TEST_API_KEY in os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"]  # the scan looks for the real key
    leaking_files = [
        str(path)
        for path in airflow_home.rglob("*")
        if path.is_file() and path.suffix != ".db" and TEST_API_KEY.encode() in path.read_bytes()
    ]
    assert not leaking_files
    assert not rows_with_key
    assert rows_with_a_job_id  # the scan of the tables finds what is there
