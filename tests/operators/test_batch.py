"""The batch operator in real ``dag.test()`` runs against the emulator: many files in one task."""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest
from airflow_provider_aimlstt.job_timing import MAX_SAMPLES, JobTiming, timing_variable_key
from airflow_provider_aimlstt.transcripts import Transcript
from tests.airflow_compat import return_value
from tests.e2e.support import task_states

pytestmark = pytest.mark.usefixtures("airflow_db", "fast_batch")


def tone(path: Path, frequency: float, seconds: float = 0.5) -> None:
    """A mono 8 kHz WAV of a sine tone: each file its own audio, so its own sha256."""
    rate = 8000
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * n / rate)))
                for n in range(int(rate * seconds))
            )
        )
    path.write_bytes(buffer.getvalue())


def _folder(tmp_path: Path, count: int) -> tuple[Path, Path, dict[str, str]]:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "out"
    input_dir.mkdir()
    for index in range(count):
        tone(input_dir / f"rec_{index:03d}.wav", 200 + 7 * index)
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in input_dir.iterdir()}
    return input_dir, output_dir, hashes


def _creates(emulator: Any, hashes: dict[str, str]) -> dict[str, int]:
    counts = emulator.stats()["creates_by_sha256"]
    return {name: counts.get(digest, 0) for name, digest in hashes.items()}


def test_forty_files_in_one_task_each_written_once_with_one_create(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    from airflow.models.variable import Variable

    Variable.delete(timing_variable_key("aimlstt_default", "#g1_nova-2-general"))  # nothing learned yet
    input_dir, output_dir, hashes = _folder(tmp_path, 40)
    before = _creates(emulator, hashes)
    dag = load_dag("aimlstt_test_batch")

    run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert run.state == "success", task_states(run)
    counts = return_value(run, "batch")
    assert {k: counts[k] for k in ("files", "submitted", "transcribed", "skipped", "failed")} == {
        "files": 40, "submitted": 40, "transcribed": 40, "skipped": 0, "failed": 0,
    }  # fmt: skip
    assert counts["audio_seconds"] == pytest.approx(40 * 0.5, abs=0.5)
    assert counts["cost_usd"] > 0
    assert len(json.dumps(counts)) < 512  # counts and a path, never transcripts
    after = _creates(emulator, hashes)
    assert {name: after[name] - before[name] for name in hashes} == dict.fromkeys(hashes, 1)
    manifest = Manifest.load(counts["manifest"])
    assert len(manifest) == 40 and all(row.status is FileStatus.TRANSCRIBED for row in manifest)
    for row in manifest:
        transcript = Transcript.model_validate_json((output_dir / f"{row.name}.json").read_text())
        assert transcript.generation_id == row.generation_id
        assert (output_dir / f"{row.name}.txt").exists()
        assert row.client_request_id == transcript.client_request_id
        assert row.credits == emulator.jobs.get(row.generation_id).cost.credits
        assert row.submitted_at is not None and row.finished_between is not None
        job = emulator.jobs.get(row.generation_id)
        took = emulator.jobs.finishes_at(job) - job.created_at
        pending_until, done_by = row.finished_between  # what the polls proved holds the emulator's own
        assert pending_until <= took + 0.01 and done_by >= took - 0.1, (row.finished_between, took)
        assert row.audio_seconds == pytest.approx(0.5)
    assert manifest.typical_job_seconds(8) is not None  # the first poll of a job with no prediction
    learned = JobTiming.from_json(Variable.get(timing_variable_key("aimlstt_default", "#g1_nova-2-general")))
    assert len(learned.samples) == MAX_SAMPLES  # the batch teaches the model's pace to every task
    text = logs()
    predicted = [int(count) for count in re.findall(r"in flight, (\d+) with an expected finish", text)]
    assert predicted[0] == 0 and max(predicted) > 0, predicted  # once learned, the waits follow it
    resumes = text.count("resuming the task")
    assert 1 <= resumes <= 12, resumes  # a handful of resumes for 40 files, 8 in flight
    assert "40/40 done, 0 failed" in text

    again = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert again.state == "success", task_states(again)
    assert return_value(again, "batch")["skipped"] == 40
    assert _creates(emulator, hashes) == after  # nothing submitted again


@pytest.mark.parametrize("tolerated", [0, 1])
def test_a_bad_file_is_recorded_and_fails_the_task_only_beyond_the_threshold(
    load_dag: Any, emulator: Any, tmp_path: Path, tolerated: int
) -> None:
    input_dir, output_dir, _ = _folder(tmp_path, 5)
    (input_dir / "empty.wav").write_bytes(b"")
    dag = load_dag("aimlstt_test_batch")
    dag.get_task("batch").max_failed_files = tolerated

    run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    manifest_file = next((output_dir / "_manifests").iterdir())
    manifest = Manifest.load(manifest_file.as_uri())
    bad = manifest.rows[next(s for s in manifest.rows if s.endswith("empty.wav"))]
    assert bad.status is FileStatus.FAILED and "audio_path" in str(bad.error) and bad.attempts == 1
    assert sum(row.status is FileStatus.TRANSCRIBED for row in manifest) == 5
    assert run.state == ("success" if tolerated else "failed"), task_states(run)


def test_a_concurrency_limit_slows_the_batch_down_instead_of_failing_it(
    load_dag: Any, tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aimlstt_emulator import EmulatorConfig, EmulatorServer
    from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json

    # An emulator of its own: jobs other tests left unfinished would count against the limit.
    config = EmulatorConfig(
        api_key=TEST_API_KEY,
        transcripts_dir=AUDIO_DIR,
        queued_seconds=0.2,
        processing_seconds=0.4,
        max_concurrent_jobs=3,  # the task keeps up to 8 in flight: the API refuses the rest
    )
    with EmulatorServer(config, host="127.0.0.1", port=0) as emulator:
        monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url))
        input_dir, output_dir, hashes = _folder(tmp_path, 16)
        before = _creates(emulator, hashes)
        run = load_dag("aimlstt_test_batch").test(
            run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)}
        )
        after = _creates(emulator, hashes)

    assert run.state == "success", task_states(run)
    assert return_value(run, "batch")["transcribed"] == 16
    assert {name: after[name] - before[name] for name in hashes} == dict.fromkeys(hashes, 1)
    assert "were rate limited (429): at most 4 jobs in flight now (max_in_flight 8)" in logs()


def test_the_window_halves_once_per_wave_and_grows_back_by_one() -> None:
    from airflow_provider_aimlstt.batch.window import InFlightWindow

    window = InFlightWindow(32)
    window.rate_limited(0.0)
    assert window.size == 16
    window.rate_limited(0.0)
    assert window.size == 8
    for _ in range(30):
        window.accepted()
    assert window.size == 32  # never past max_in_flight
    for _ in range(10):
        window.rate_limited(0.0)
    assert window.size == 1  # never below one
    window.rate_limited(60.0)
    assert window.free(0) == 0  # waiting out Retry-After


@pytest.mark.parametrize("value", [-1, 0, "8", True, None])
def test_timeout_must_be_seconds_naming_the_field(value: Any) -> None:
    from airflow_provider_aimlstt.exceptions import AimlSttValidationError
    from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

    with pytest.raises(AimlSttValidationError, match="timeout"):
        AimlSttBatchTranscribeOperator(
            task_id="batch", model="#g1_nova-2-general", output_path="/tmp/out",
            audio_paths=["/tmp/a.wav"], timeout=value,
        )  # fmt: skip


@pytest.mark.parametrize(
    "removed",
    ["min_defer_seconds", "max_concurrent_polls", "max_attempts", "manifest_path", "poke_interval",
     "max_poke_interval", "api_retries", "resubmit_if_not_logged"],
)  # fmt: skip
def test_a_removed_argument_is_refused_naming_it(removed: str) -> None:
    from airflow.providers.common.compat.sdk import AirflowException

    from airflow_provider_aimlstt.operators.batch import AimlSttBatchTranscribeOperator

    # Airflow 3 refuses an unknown argument with a TypeError, Airflow 2 with an AirflowException.
    with pytest.raises((TypeError, AirflowException), match=removed):
        AimlSttBatchTranscribeOperator(
            task_id="batch", model="#g1_nova-2-general", output_path="/tmp/out",
            audio_paths=["/tmp/a.wav"], **{removed: 1},
        )  # fmt: skip
