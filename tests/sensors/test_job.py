"""The sensor: deferral, every kind of trigger event, and the poke path."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from airflow.providers.common.compat.sdk import PokeReturnValue, TaskDeferred

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.sensors.job import AimlSttSensor
from airflow_provider_aimlstt.transcripts import to_transcript
from airflow_provider_aimlstt.triggers.job import AimlSttTrigger
from tests.conftest import AUDIO_DIR
from tests.helpers import wait_until_finished

SAMPLE = AUDIO_DIR / "weather_report.wav"
SAMPLE_TEXT = (AUDIO_DIR / "weather_report.txt").read_text().strip()


def _submit() -> str:
    return AimlSttHook().submit(
        TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(SAMPLE))
    )


def _sensor(generation_id: str, **kwargs) -> AimlSttSensor:
    return AimlSttSensor(task_id="wait", generation_id=generation_id, **kwargs)


def test_pending_job_defers_to_the_trigger_with_an_absolute_deadline(emulator) -> None:
    emulator.config.processing_seconds = 30
    generation_id = _submit()
    sensor = _sensor(generation_id, deferrable=True, poke_interval=4, timeout=timedelta(minutes=20))
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(context={})
    trigger = deferred.value.trigger
    assert isinstance(trigger, AimlSttTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is None
    assert trigger.generation_id == generation_id
    assert trigger.schedule.poke_interval == 4
    assert before + 1200 <= trigger.deadline <= time.time() + 1200


def test_finished_job_returns_at_once_without_deferring(emulator) -> None:
    generation_id = _submit()
    wait_until_finished(AimlSttHook(), generation_id)
    result = _sensor(generation_id, deferrable=True).execute(context={})
    assert to_transcript(result).text.strip() == SAMPLE_TEXT


def test_success_event_fetches_the_result_on_the_worker(emulator) -> None:
    generation_id = _submit()
    wait_until_finished(AimlSttHook(), generation_id)
    event = {
        "status": "success",
        "generation_id": generation_id,
        "message": "done",
        "api_status": "completed",
    }
    result = _sensor(generation_id).execute_complete(context={}, event=event)
    assert to_transcript(result).text.strip() == SAMPLE_TEXT


def test_error_event_fails_naming_the_generation_and_cause() -> None:
    event = {
        "status": "error",
        "generation_id": "g-42",
        "message": "Transcription g-42 the job failed: E: bad audio",
        "api_status": "error",
    }
    with pytest.raises(exc.AimlSttTranscriptionFailedError, match=r"g-42.*bad audio"):
        _sensor("g-42").execute_complete(context={}, event=event)


@pytest.mark.parametrize(
    ("http_status", "error_class"),
    [
        (401, exc.AimlSttAuthenticationError),
        (403, exc.AimlSttForbiddenError),
        (404, exc.AimlSttNotFoundError),
        (503, exc.AimlSttServerError),
    ],
)
def test_an_http_error_event_raises_the_class_a_worker_would(
    http_status: int, error_class: type[exc.AimlSttApiError]
) -> None:
    message = f"Transcription g-42 AI/ML API error (HTTP {http_status}, generation_id=g-42): no"
    event = {"status": "error", "generation_id": "g-42", "message": message, "http_status": http_status}
    with pytest.raises(error_class) as raised:
        _sensor("g-42").execute_complete(context={}, event=event)
    assert str(raised.value) == message
    assert (raised.value.status_code, raised.value.generation_id) == (http_status, "g-42")


def test_an_event_for_a_poll_that_kept_failing_is_a_connection_error() -> None:
    event = {
        "status": "error",
        "generation_id": "g-42",
        "message": "Transcription g-42 gave up after 5 failed polls in a row: connection refused",
        "api_status": "processing",
    }
    with pytest.raises(exc.AimlSttConnectionError, match="gave up after 5 failed polls"):
        _sensor("g-42").execute_complete(context={}, event=event)


def test_timeout_event_fails_with_a_timeout_error() -> None:
    event = {
        "status": "timeout",
        "generation_id": "g-42",
        "message": "Transcription g-42 did not finish before",
    }
    with pytest.raises(exc.AimlSttTimeoutError, match="g-42"):
        _sensor("g-42").execute_complete(context={}, event=event)


@pytest.mark.parametrize(
    "event",
    [
        None,
        {},
        {"status": "maybe", "generation_id": "g", "message": "m"},
        {"status": "success", "message": "m"},
    ],
)
def test_unreadable_event_fails_clearly(event) -> None:
    with pytest.raises(exc.AimlSttResponseError, match="unreadable event"):
        _sensor("g-42").execute_complete(context={}, event=event)


def test_poke_is_false_while_pending_then_returns_the_result(emulator, logs) -> None:
    emulator.config.processing_seconds = 1.0
    generation_id = _submit()
    sensor = _sensor(generation_id, deferrable=False, poke_interval=7)
    assert sensor.poke(context={}) is False
    assert f"generation_id={generation_id} status=" in logs()
    assert "next poke in 7.0s (poke mode)" in logs()
    wait_until_finished(AimlSttHook(), generation_id)
    done = sensor.poke(context={})
    assert isinstance(done, PokeReturnValue) and done.is_done
    assert to_transcript(done.xcom_value).text.strip() == SAMPLE_TEXT


def test_malformed_generation_id_fails_before_any_request(emulator) -> None:
    before = emulator.stats()["requests_total"]
    with pytest.raises(exc.AimlSttValidationError, match="generation_id"):
        _sensor("../../v1/other", deferrable=True).execute(context={})
    assert emulator.stats()["requests_total"] == before


def test_deferrable_default_comes_from_airflow_config(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert _sensor("g").deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert _sensor("g").deferrable is False
    assert _sensor("g", deferrable=True).deferrable is True


@pytest.mark.usefixtures("airflow_db")
def test_the_sensor_reads_the_result_as_the_model_its_submit_task_used(load_dag, emulator, tmp_path) -> None:
    """Given the submit task's ``model`` XCom the sensor reads Microsoft's result as Microsoft's,
    not OpenAI's by its shape; given its ``submission``, it reports the cost."""
    import json

    dag = load_dag("aimlstt_test_sensor_model")
    sensor = dag.get_task("wait")
    assert getattr(sensor.model, "key", None) == "model"  # an XComArg of the submit task
    assert getattr(sensor.submission, "key", None) == "submission"

    dag_run = dag.test(run_conf={"output_dir": tmp_path.as_uri()})

    assert dag_run.state == "success"
    (written_file,) = tmp_path.glob("*.json")  # named after the generation id
    written = json.loads(written_file.read_text())
    assert (written["family"], written["model"]) == ("microsoft", "microsoft/mai-transcribe-1.5")
    job = emulator.jobs.get(written["generation_id"])
    assert written["cost"]["credits"] == job.cost.credits > 0


def test_a_sensor_given_only_the_id_reads_the_family_from_the_shape_and_knows_no_cost(
    emulator, tmp_path
) -> None:
    from airflow.providers.common.compat.sdk import DAG

    from airflow_provider_aimlstt.operators.submit import AimlSttSubmitOperator

    with DAG("sensor_inputs", schedule=None):
        submit = AimlSttSubmitOperator(
            task_id="submit", model="microsoft/mai-transcribe-1.5", audio_path=str(SAMPLE)
        )
        sensor = AimlSttSensor(task_id="wait", generation_id=submit.output, output_path=str(tmp_path))
    assert (sensor.model, sensor.submission) == (None, None)  # nothing is taken from the submit task

    generation_id = AimlSttHook().submit(
        TranscriptionRequest.build(model="microsoft/mai-transcribe-1.5", audio_path=str(SAMPLE))
    )
    wait_until_finished(AimlSttHook(), generation_id)
    summary = _sensor(generation_id, output_path=str(tmp_path)).execute(context={})
    assert summary["cost_usd"] is None
    written = json.loads((tmp_path / f"{generation_id}.json").read_text())
    assert (written["family"], written["model"]) == ("openai", None)  # Microsoft's shape is OpenAI's


def test_a_submission_as_json_text_gives_the_cost(emulator, tmp_path) -> None:
    job = AimlSttHook().submit_job(
        TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(SAMPLE))
    )
    wait_until_finished(AimlSttHook(), job.generation_id)
    sensor = _sensor(job.generation_id, submission=job.model_dump_json(), output_path=str(tmp_path))
    summary = sensor.execute(context={})
    assert job.charge is not None and summary["credits_used"] == job.charge.credits > 0
