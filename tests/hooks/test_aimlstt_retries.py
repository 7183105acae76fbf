"""Retries against the emulator's faults: what is retried, what a create never repeats, Retry-After."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.operators.submit import AimlSttSubmitOperator
from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json
from tests.helpers import closed_port, wait_until_finished

SAMPLE = AUDIO_DIR / "meeting_note.wav"
MODEL = "#g1_nova-2-general"
AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}


def _request(path: Path = SAMPLE) -> TranscriptionRequest:
    return TranscriptionRequest.build(model=MODEL, audio_path=str(path))


def _unique_copy(tmp_path: Path) -> Path:
    """A copy of the sample with its own sha256, so its creates are counted apart."""
    path = tmp_path / "unique.wav"
    path.write_bytes(SAMPLE.read_bytes() + tmp_path.name.encode())
    return path


def _creates(emulator: Any, path: Path) -> int:
    return int(emulator.stats()["creates_by_sha256"].get(hashlib.sha256(path.read_bytes()).hexdigest(), 0))


def _attempts(emulator: Any) -> int:
    return int(emulator.stats()["create_attempts"])


def _hits(emulator: Any, kind: str) -> int:
    return int(emulator.stats()["faults_by_kind"].get(kind, 0))


@pytest.fixture
def submitted(emulator: Any) -> str:
    """A finished job, to fetch while faults are on."""
    hook = AimlSttHook()
    generation_id = hook.submit(_request())
    wait_until_finished(hook, generation_id)
    return generation_id


def _start_burst(emulator: Any, generation_id: str, code: int, left: int) -> None:
    """Start a burst of ``code`` answers on fetches, of which ``left`` are still to come."""
    emulator.faults.set(
        server_error=1.0, server_error_burst=left + 1, server_error_codes=[code], routes=["fetch"]
    )
    assert (
        requests.get(f"{emulator.base_url}/v1/stt/{generation_id}", headers=AUTH, timeout=5).status_code
        == code
    )
    emulator.faults.update(server_error=0.0)  # the running burst ends by itself; no new one starts


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_burst_of_5xx_on_fetch_is_ridden_out(emulator: Any, submitted: str, code: int) -> None:
    _start_burst(emulator, submitted, code, left=3)
    hits_before = _hits(emulator, f"server_error_{code}")
    assert AimlSttHook().get_job(submitted).is_completed
    assert _hits(emulator, f"server_error_{code}") - hits_before == 3


def test_retries_run_out_into_a_server_error_that_says_so(emulator: Any, submitted: str) -> None:
    emulator.faults.set(server_error=1.0, server_error_burst=50, server_error_codes=[502], routes=["fetch"])
    with pytest.raises(exc.AimlSttServerError, match="retried up to api_retries times") as raised:
        AimlSttHook(api_retries=2).get_job(submitted)
    assert raised.value.status_code == 502 and raised.value.generation_id == submitted


def test_retry_after_in_seconds_is_waited_out(emulator: Any, submitted: str, logs: Any) -> None:
    emulator.faults.set(rate_limit=1.0, retry_after_seconds=1, routes=["fetch"])
    started = time.monotonic()
    with pytest.raises(exc.AimlSttRateLimitedError) as raised:
        AimlSttHook(api_retries=1).get_job(submitted)
    assert time.monotonic() - started >= 1.0  # the server asked for 1 s, though the backoff is 0.01 s
    assert raised.value.retry_after == 1.0
    assert "retry 1/1 in 1.0 s" in logs()


def test_retry_after_as_an_http_date_is_read(emulator: Any, submitted: str, logs: Any) -> None:
    emulator.faults.set(
        rate_limit=1.0, retry_after_seconds=2, retry_after_format="http-date", routes=["fetch"]
    )
    with pytest.raises(exc.AimlSttRateLimitedError) as raised:
        AimlSttHook(api_retries=1).get_job(submitted)
    assert raised.value.retry_after is not None and 0.5 <= raised.value.retry_after <= 3.0  # whole seconds


def test_dropped_connections_and_broken_json_on_fetch_are_retried(emulator: Any, submitted: str) -> None:
    for fault in ("drop_connection", "malformed_json"):
        emulator.faults.set(**{fault: 0.5, "seed": 11, "routes": ["fetch"]})
        hits_before = _hits(emulator, fault)
        hook = AimlSttHook(api_retries=20)
        assert all(hook.get_job(submitted).is_completed for _ in range(10))
        assert _hits(emulator, fault) > hits_before, fault


def test_a_read_timeout_on_fetch_is_retried(emulator: Any, submitted: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, read_timeout=0.3))
    emulator.faults.set(latency_seconds=1.0, latency_probability=0.5, seed=3, routes=["fetch"])
    assert AimlSttHook(api_retries=20).get_job(submitted).is_completed


@pytest.mark.parametrize("code", [429, 503])
def test_a_create_refused_before_processing_is_retried_and_made_once(
    emulator: Any, tmp_path: Path, code: int
) -> None:
    audio = _unique_copy(tmp_path)
    if code == 429:
        emulator.faults.set(rate_limit=1.0, retry_after_seconds=0, routes=["create"])
    else:
        emulator.faults.set(
            server_error=1.0, server_error_burst=2, server_error_codes=[503], routes=["create"]
        )
    hook = AimlSttHook(api_retries=3)
    if code == 429:  # never lets up: retried until the retries run out, and nothing was made
        with pytest.raises(exc.AimlSttRateLimitedError, match="raise api_retries"):
            hook.submit(_request(audio))
        assert _creates(emulator, audio) == 0
        return
    emulator.faults.set(server_error=1.0, server_error_burst=3, server_error_codes=[503], routes=["create"])
    assert requests.post(f"{emulator.base_url}/v1/stt/create", headers=AUTH, timeout=5).status_code == 503
    emulator.faults.update(server_error=0.0)  # two more 503s to come
    attempts_before = _attempts(emulator)
    generation_id = hook.submit(_request(audio))
    assert emulator.jobs.get(generation_id) is not None
    assert _attempts(emulator) - attempts_before == 3
    assert _creates(emulator, audio) == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"server_error": 1.0, "server_error_burst": 1, "server_error_codes": [500]},
        {"server_error": 1.0, "server_error_burst": 1, "server_error_codes": [502]},
        {"server_error": 1.0, "server_error_burst": 1, "server_error_codes": [504]},
        {"drop_connection": 1.0},
        {"malformed_json": 1.0},
    ],
    ids=["500", "502", "504", "dropped", "broken-json"],
)
def test_an_ambiguous_create_failure_is_not_resubmitted_its_job_is_found_instead(
    emulator: Any, tmp_path: Path, fault: dict[str, Any]
) -> None:
    emulator.config.usage_log_delay_seconds = 0.2
    audio = _unique_copy(tmp_path)
    emulator.faults.set(**fault, routes=["create"])
    attempts_before = _attempts(emulator)
    job = AimlSttHook(api_retries=5).submit_job(_request(audio))
    assert _attempts(emulator) - attempts_before == 1  # one request, no retry
    assert _creates(emulator, audio) == 1  # the job the client never heard of...
    assert job.found_in_usage_log and emulator.jobs.get(job.generation_id) is not None  # ...is adopted


@pytest.fixture
def no_usage_log(emulator: Any, monkeypatch: Any) -> Any:
    """A connection that does not look lost creates up in the usage log."""
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, usage_log_wait=0))
    return emulator


@pytest.mark.parametrize("fault", [{"drop_connection": 1.0}, {"malformed_json": 1.0}])
def test_without_the_usage_log_an_ambiguous_create_fails_as_uncertain(
    no_usage_log: Any, tmp_path: Path, fault: dict[str, Any]
) -> None:
    audio = _unique_copy(tmp_path)
    no_usage_log.faults.set(**fault, routes=["create"])
    with pytest.raises(exc.AimlSttSubmissionUncertainError, match="may have reached the API") as raised:
        AimlSttHook(api_retries=5).submit(_request(audio))
    assert "was not submitted again" in str(raised.value)
    assert _creates(no_usage_log, audio) == 1


def test_the_operator_fails_an_ambiguous_create_without_task_retries(
    no_usage_log: Any, tmp_path: Path
) -> None:
    audio = _unique_copy(tmp_path)
    no_usage_log.faults.set(drop_connection=1.0, routes=["create"])
    operator = AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(audio), retries=3)
    with pytest.raises(AirflowFailException, match="A job may exist"):
        operator.execute({})


def test_a_read_timeout_on_create_is_ambiguous(emulator: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, read_timeout=0.3, usage_log_wait=0)
    )
    audio = _unique_copy(tmp_path)
    emulator.faults.set(latency_seconds=1.0, routes=["create"])
    with pytest.raises(exc.AimlSttSubmissionUncertainError, match="timed out"):
        AimlSttHook().submit(_request(audio))


def test_a_refused_connection_is_retried_for_a_create_then_reported(monkeypatch: Any, logs: Any) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(f"http://127.0.0.1:{closed_port()}"))
    with pytest.raises(exc.AimlSttConnectionError) as raised:
        AimlSttHook(api_retries=2).submit(_request())
    assert not raised.value.request_sent
    assert logs().count("API call POST /v1/stt/create failed") == 2


@pytest.mark.parametrize(
    ("api_key", "generation_id", "error"),
    [("wrong-key", "abc", exc.AimlSttAuthenticationError), (None, "no-such-job", exc.AimlSttNotFoundError)],
)
def test_client_errors_are_not_retried(
    emulator: Any, monkeypatch: Any, api_key: str | None, generation_id: str, error: type
) -> None:
    if api_key is not None:
        monkeypatch.setenv(
            "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key=api_key)
        )
    before = emulator.stats()["requests_total"]
    with pytest.raises(error):
        AimlSttHook(api_retries=5).get_job(generation_id)
    assert emulator.stats()["requests_total"] - before == 1


def test_retries_settings_come_from_the_connection(emulator: Any, submitted: str, monkeypatch: Any) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_retries=0))
    _start_burst(emulator, submitted, 503, left=1)
    with pytest.raises(exc.AimlSttServerError):
        AimlSttHook().get_job(submitted)  # the connection says: no retries
    _start_burst(emulator, submitted, 503, left=1)
    assert AimlSttHook(api_retries=1).get_job(submitted).is_completed  # the task's setting wins
