"""The combined operator (and the sensor) writing transcripts, in a real ``dag.test()`` run against the
emulator: every family, every format it can give, both waits, XCom and asset events."""

from __future__ import annotations

import json
import uuid
from typing import Any

import fsspec
import pytest

from airflow_provider_aimlstt.transcripts import Transcript, render
from tests.airflow_compat import asset_events_of_run, return_value
from tests.e2e.support import task_states
from tests.transcripts.subtitles import match_words, parse_srt, parse_vtt, words_in_time_order

pytestmark = pytest.mark.usefixtures("airflow_db")


@pytest.fixture(autouse=True)
def _short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transcribe operator polls with the provider's defaults: short ones here, to run fast."""
    from airflow_provider_aimlstt import defaults

    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.3)


TASKS = {
    "deepgram_diarized": ("txt", "json", "srt", "vtt"),
    "deepgram_multichannel": ("txt", "json", "srt", "vtt"),
    "assemblyai_speakers": ("txt", "json", "srt", "vtt"),
    "openai_text_only": ("txt", "json"),
}


def _read(uri: str) -> str:
    with fsspec.open(uri, "r", encoding="utf-8") as handle:
        return str(handle.read())


def test_every_family_writes_its_formats_and_returns_a_small_summary(load_dag: Any, emulator: Any) -> None:
    output_dir = f"memory://aimlstt-{uuid.uuid4().hex[:8]}"
    dag_run = load_dag("aimlstt_test_transcribe").test(run_conf={"output_dir": output_dir})

    assert dag_run.state == "success", task_states(dag_run)
    for task_id, formats in TASKS.items():
        summary = return_value(dag_run, task_id)
        generation_id = summary["generation_id"]
        assert return_value(dag_run, task_id) == summary
        ti = next(ti for ti in dag_run.get_task_instances() if ti.task_id == task_id)
        assert ti.xcom_pull(task_ids=task_id, key="generation_id") == generation_id
        assert sorted(summary["paths"]) == sorted(formats)
        assert len(json.dumps(summary)) < 1024 and "text" not in summary
        transcript = Transcript.model_validate_json(_read(summary["paths"]["json"]))
        assert transcript.generation_id == generation_id
        assert summary["word_count"] == transcript.word_count
        assert _read(summary["paths"]["txt"]) == render(transcript, "txt")
        if "srt" in formats:
            words = words_in_time_order(transcript)
            for cues in (
                parse_srt(_read(summary["paths"]["srt"])),
                parse_vtt(_read(summary["paths"]["vtt"])),
            ):
                grouped = match_words(cues, words)
                assert [word for group in grouped for word in group] == words  # each word once, in order
        else:
            assert not transcript.has_word_timings

    diarized = Transcript.model_validate_json(
        _read(return_value(dag_run, "deepgram_diarized")["paths"]["json"])
    )
    assert diarized.speakers, "diarize=True gives speaker labels"
    stereo = Transcript.model_validate_json(
        _read(return_value(dag_run, "deepgram_multichannel")["paths"]["json"])
    )
    assert len(stereo.channels) == 2
    aai = Transcript.model_validate_json(_read(return_value(dag_run, "assemblyai_speakers")["paths"]["json"]))
    assert all(word.end is not None and word.end < 60 for word in aai.words)  # milliseconds became seconds

    from_sensor = return_value(dag_run, "sensor_writes_too")
    assert from_sensor["generation_id"] == return_value(dag_run, "openai_text_only")["generation_id"]
    assert from_sensor["paths"]["json"].endswith("/from_sensor.json")

    by_uri: dict[str, list[dict[str, Any]]] = {}
    for uri, extra in asset_events_of_run(dag_run.run_id):
        by_uri.setdefault(uri.rstrip("/"), []).append(extra)
    # Through the alias: one event per task for the output folder; the named asset: one, with paths.
    assert sorted(by_uri) == sorted([output_dir, "memory://aimlstt-test-named"])
    assert {extra["generation_id"] for extra in by_uri[output_dir]} == {
        return_value(dag_run, task_id)["generation_id"] for task_id in TASKS
    }
    assert len(by_uri[output_dir]) == len(TASKS) + 1
    (named,) = by_uri["memory://aimlstt-test-named"]
    for extra in by_uri[output_dir]:  # dict(): Airflow 2's alias events hold [format, URI] pairs
        paths = dict(extra["paths"])
        assert paths and all(uri.startswith(f"{output_dir}/") for uri in paths.values())
    assert named["paths"] == return_value(dag_run, "deepgram_diarized")["paths"]


def test_the_operator_reports_its_audio_and_files_to_openlineage() -> None:
    from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator

    operator = AimlSttTranscribeOperator(
        task_id="t", model="#g1_nova-2-general", audio_path="/data/calls/a.wav", output_path="s3://b/out"
    )
    started = operator.get_openlineage_facets_on_start()
    assert started is not None
    assert [(d.namespace, d.name) for d in started.inputs] == [("file", "/data/calls/a.wav")]
    operator.lineage_outputs = ["s3://b/out/a.json", "s3://b/out/a.txt"]
    completed = operator.get_openlineage_facets_on_complete(task_instance=None)
    assert completed is not None
    assert [(d.namespace, d.name) for d in completed.outputs] == [
        ("s3://b", "out/a.json"),
        ("s3://b", "out/a.txt"),
    ]


def test_each_task_reports_what_its_job_cost_under_its_own_client_request_id(
    load_dag: Any, emulator: Any, logs: Any
) -> None:
    from airflow_provider_aimlstt.audio_source import AudioSource
    from airflow_provider_aimlstt.models.request import TranscriptionRequest
    from airflow_provider_aimlstt.operators.submission_state import request_fingerprint
    from airflow_provider_aimlstt.tracing import client_request_id

    output_dir = f"memory://aimlstt-{uuid.uuid4().hex[:8]}"
    dag = load_dag("aimlstt_test_transcribe")
    dag_run = dag.test(run_conf={"output_dir": output_dir})

    assert dag_run.state == "success", task_states(dag_run)
    text = logs()
    for task_id in TASKS:
        summary = return_value(dag_run, task_id)
        job = emulator.jobs.get(summary["generation_id"])
        assert summary["credits_used"] == job.cost.credits > 0
        assert summary["cost_usd"] == float(job.cost.usd)
        transcript = Transcript.model_validate_json(_read(summary["paths"]["json"]))
        assert transcript.cost is not None and transcript.cost.credits == job.cost.credits
        # The id names the task instance, the request and the try (a retry looks for each earlier
        # try's create under its own id): made again from them, it is the same.
        task = dag.get_task(task_id)
        request = TranscriptionRequest.build(
            model=task.model, audio_path=str(task.audio_path), options=task.options or {}
        )
        fingerprint = request_fingerprint(request, AudioSource.of(request).checked())
        expected = client_request_id(dag.dag_id, dag_run.run_id, task_id, -1, fingerprint, 1)
        assert summary["client_request_id"] == job.client_request_id == expected
        assert transcript.client_request_id == expected
        assert f"Transcribed generation_id={job.generation_id} ({task.model}): " in text
        assert f"cost ${job.cost.usd:.6f} ({job.cost.credits} credits)" in text
    # The sensor waits on a job another task submitted and cannot know its create's price.
    assert return_value(dag_run, "sensor_writes_too")["cost_usd"] is None
