"""The batch operator when what is wrong is not one file: a refused key, an API nothing reaches, a
re-run with nothing to do; and waiting on the worker. Real ``dag.test()`` runs against the emulator."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest
from tests.airflow_compat import return_value
from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json
from tests.e2e.support import task_states
from tests.helpers import closed_port
from tests.operators.test_batch import _creates, _folder

pytestmark = pytest.mark.usefixtures("airflow_db", "fast_batch")

CONN_VARIABLE = "AIRFLOW_CONN_AIMLSTT_DEFAULT"
WRONG_KEY = "sk-aimlstt-wrong-0d9b7c2a4e6f8a1b3c5d"


def _manifest(output_dir: Path) -> Manifest:
    """The one manifest a test's run wrote."""
    (manifest_file,) = (output_dir / "_manifests").iterdir()
    return Manifest.load(manifest_file.as_uri())


def _try_numbers(run: Any) -> dict[str, int]:
    return {ti.task_id: ti.try_number for ti in run.get_task_instances()}


def test_a_wrong_api_key_fails_the_task_at_once_without_retries_after_one_create(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONN_VARIABLE, connection_json(emulator.base_url, api_key=WRONG_KEY))
    input_dir, output_dir, _ = _folder(tmp_path, 20)
    task = load_dag("aimlstt_test_batch").get_task("batch")
    monkeypatch.setattr(task, "retries", 2)  # the refusal must not use them
    monkeypatch.setattr(task, "retry_delay", timedelta(0))
    attempts_before = emulator.stats()["create_attempts"]

    run = task.dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert task_states(run)[("batch", -1)] == "failed"
    assert _try_numbers(run)["batch"] == 1, _try_numbers(run)
    creates = emulator.stats()["create_attempts"] - attempts_before
    assert creates == 1, creates  # nothing in flight: the first create goes alone, and is refused
    manifest = _manifest(output_dir)
    assert {row.status for row in manifest} == {FileStatus.PENDING}  # none failed: a fixed key goes on
    assert all(row.attempts == 0 and row.generation_id is None for row in manifest)
    assert manifest.counts()["submitted"] == 0
    text = logs()
    assert "The API refused to create jobs through the connection 'aimlstt_default'" in text
    assert "HTTP 401" in text and "20 file(s) wait as pending" in text
    assert WRONG_KEY not in text


def test_an_api_that_comes_up_after_a_few_seconds_loses_no_file(
    load_dag: Any, tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aimlstt_emulator import EmulatorConfig, EmulatorServer

    port = closed_port()
    retries = {"api_retries": 8, "api_retry_backoff": 0.5, "api_retry_max_backoff": 2.0}
    monkeypatch.setenv(CONN_VARIABLE, connection_json(f"http://127.0.0.1:{port}", **retries))
    input_dir, output_dir, hashes = _folder(tmp_path, 6)
    config = EmulatorConfig(
        api_key=TEST_API_KEY, transcripts_dir=AUDIO_DIR, queued_seconds=0.2, processing_seconds=0.4
    )
    emulator = EmulatorServer(config, host="127.0.0.1", port=port)
    refused = threading.Event()
    done = threading.Event()

    def start_once_refused() -> None:
        """Nothing listens on the port until the batch has said a create could not connect (or a
        minute has passed: then the assertion on that line fails), however slow the machine."""
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            if "No create could connect to the API" in logs():
                refused.set()
                break
            time.sleep(0.05)
        emulator.start()

    starter = threading.Thread(target=start_once_refused)
    starter.start()
    try:
        run = load_dag("aimlstt_test_batch").test(
            run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)}
        )
        creates = _creates(emulator, hashes)
    finally:
        done.set()
        starter.join()
        emulator.stop()

    assert refused.is_set(), "the batch never said a create could not connect"
    assert run.state == "success", task_states(run)
    assert return_value(run, "batch")["transcribed"] == 6
    assert creates == dict.fromkeys(hashes, 1)
    assert "trying again in" in logs()


def test_a_rerun_says_nothing_is_to_submit_and_that_it_cost_nothing(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_dir, output_dir, hashes = _folder(tmp_path, 3)
    dag = load_dag("aimlstt_test_batch")
    first = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})
    assert return_value(first, "batch")["cost_usd"] > 0
    assert (
        "3 of them new to its manifest: 3 to submit, 0 in flight from an earlier try, 0 left unchanged;"
        in logs()
    )
    created = _creates(emulator, hashes)

    again = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    counts = return_value(again, "batch")
    assert {key: counts[key] for key in ("files", "submitted", "transcribed", "skipped", "cost_usd")} == {
        "files": 3, "submitted": 0, "transcribed": 0, "skipped": 3, "cost_usd": 0.0,
    }  # fmt: skip
    text = logs()
    assert "Batch of 3 file(s), 3 of them new to its manifest: 0 to submit" in text
    assert "3 left unchanged (3 skipped); manifest" in text
    assert _creates(emulator, hashes) == created


def test_deferrable_false_runs_the_batch_to_the_end_on_the_worker(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    input_dir, output_dir, hashes = _folder(tmp_path, 12)  # more than max_in_flight: several waits
    task = load_dag("aimlstt_test_batch").get_task("batch")
    monkeypatch.setattr(task, "deferrable", False)
    before = _creates(emulator, hashes)
    started = time.monotonic()

    run = task.dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert run.state == "success", task_states(run)
    assert return_value(run, "batch")["transcribed"] == 12
    after = _creates(emulator, hashes)
    assert {name: after[name] - before[name] for name in hashes} == dict.fromkeys(hashes, 1)
    assert all(row.status is FileStatus.TRANSCRIBED for row in _manifest(output_dir))
    text = logs()
    assert "running trigger in line" not in text  # the task never deferred
    assert text.count("resuming the task") >= 2  # the trigger's wait ran here, more than once
    assert time.monotonic() - started < 60


def test_deferrable_is_accepted_and_defaults_to_airflows_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

    def batch(**kwargs: Any) -> AimlSttBatchTranscribeOperator:
        return AimlSttBatchTranscribeOperator(
            task_id="batch", model="#g1_nova-2-general", output_path="/tmp/out",
            audio_paths=["/tmp/a.wav"], **kwargs,
        )  # fmt: skip

    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert batch().deferrable is True
    assert batch(deferrable=False).deferrable is False
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert batch().deferrable is False
    assert batch(deferrable=True).deferrable is True
