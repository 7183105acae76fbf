"""Learning a model's pace in a real ``dag.test()`` run: each finished job is kept in the Variable,
and the next task's trigger is given the predicted finish, which holds the emulator's own."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt import defaults
from airflow_provider_aimlstt.job_timing import JobTiming, timing_variable_key
from airflow_provider_aimlstt.operators.submit import SUBMISSION_XCOM_KEY
from tests.airflow_compat import stored_xcom
from tests.dags.aimlstt_test_job_timing import MODEL, TASKS
from tests.e2e.support import task_states

AUDIO_SECONDS = {"first": 4.0, "second": 14.0, "third": 9.0}
PRECISION = 0.05
"""Seconds between the emulator's creating a job and the create's answer (loopback)."""


def _wav(path: Path, seconds: float) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(2000)
        out.writeframes(b"\x80" * int(seconds * 2000))


def _submission(dag_run: Any, task_id: str) -> dict[str, Any]:
    submission = stored_xcom(dag_run, task_id, SUBMISSION_XCOM_KEY)
    assert submission is not None, f"{task_id} pushed no submission"
    return dict(submission)


def test_each_job_teaches_the_next_its_expected_finish(
    airflow_db: Path,
    load_dag: Any,
    emulator: Any,
    tmp_path: Path,
    logs: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.models.variable import Variable

    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.3)  # the polls of a job not yet predicted
    monkeypatch.setattr(defaults, "MAX_POLL_SECONDS", 0.5)

    emulator.config.queued_seconds = 0.2
    emulator.config.processing_seconds = 0.3
    emulator.config.processing_seconds_per_audio_second = 0.1
    for name, seconds in AUDIO_SECONDS.items():
        _wav(tmp_path / f"{name}.wav", seconds)
    key = timing_variable_key("aimlstt_default", MODEL)
    Variable.delete(key)

    dag_run = load_dag("aimlstt_test_job_timing").test(run_conf={"audio_dir": str(tmp_path)})
    assert dag_run.state == "success", task_states(dag_run)

    submissions = {task_id: _submission(dag_run, task_id) for task_id in TASKS}
    true_seconds = {}
    for task_id, submission in submissions.items():
        job = emulator.jobs.get(submission["generation_id"])
        true_seconds[task_id] = emulator.jobs.finishes_at(job) - job.created_at
        assert submission["audio_seconds"] == AUDIO_SECONDS[task_id]
    assert submissions["first"]["expected_finish"] is None  # nothing learned yet: the backoff
    windows = {task_id: submissions[task_id]["expected_finish"] for task_id in ("second", "third")}
    for task_id, (earliest, latest) in windows.items():
        assert earliest - PRECISION <= true_seconds[task_id] <= latest + PRECISION, (task_id, windows)
    assert windows["third"][1] - windows["third"][0] < windows["second"][1] - windows["second"][0]
    assert "is expected to finish" in logs()

    learned = JobTiming.from_json(Variable.get(key))
    assert [audio for audio, _, _ in learned.samples] == [4.0, 14.0, 9.0]
    for (_, after, by), task_id in zip(learned.samples, TASKS, strict=True):
        # what the polls proved holds the emulator's own time
        assert after - PRECISION <= true_seconds[task_id] <= by + PRECISION
    assert json.loads(Variable.get(key))["jobs"][0][0] == 4.0
