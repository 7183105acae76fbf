"""A create whose answer is lost is settled by the usage log: its job is adopted, never made twice.

The emulator's post-create faults (a dropped connection, broken JSON, 500/502/504) make the job and
then lose the answer; a proxy in front of it loses creates *before* they reach it, so that the usage
log has no row for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from airflow_provider_aimlstt.exceptions import (
    AimlSttSubmissionNotLoggedError,
    AimlSttSubmissionUncertainError,
)
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.tracing import Charge
from tests.conftest import TEST_API_KEY, connection_json
from tests.helpers import ApiProxy, wait_for, wait_until_finished

MODEL = "#g1_nova-2-general"
AUDIO_URL = "https://example.org/media/meeting_note.wav"


def _request() -> TranscriptionRequest:
    return TranscriptionRequest.build(model=MODEL, audio_url=AUDIO_URL)


def _logged(emulator: Any, client_request_id: str) -> list[dict[str, Any]]:
    """The usage log's rows of a client request id, read straight from the emulator's ``/v2/logs``
    once every row it has made so far shows (``quick_log``: 0.3 s after its request)."""

    def every_row_shows() -> bool:
        return len(emulator.usage_log.rows(visible_only=True)) == len(emulator.usage_log.rows())

    assert wait_for(every_row_shows, timeout=10.0), "rows of the emulator's usage log did not show"
    now = datetime.now(timezone.utc)
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
    answer = requests.get(
        f"{emulator.base_url}/v2/logs",
        params={**window, "limit": 100},
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
        timeout=10,
    )
    answer.raise_for_status()
    return [row for row in answer.json()["data"] if row["client_request_id"] == client_request_id]


@pytest.fixture
def quick_log(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator with rows that show 0.3 s after their request, and a hook that looks for 10 s."""
    emulator.config.usage_log_delay_seconds = 0.3
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, usage_log_wait=10, api_retries=0)
    )
    return emulator


@pytest.fixture
def proxy(quick_log: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiProxy]:
    """A proxy in front of the emulator, which the default connection now points at."""
    with ApiProxy(quick_log.base_url) as running:
        monkeypatch.setenv(
            "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(running.base_url, usage_log_wait=2, api_retries=0)
        )
        yield running


@pytest.mark.parametrize(
    "fault",
    [
        {"drop_connection": 1.0},
        {"malformed_json": 1.0},
        {"server_error": 1.0, "server_error_burst": 1, "server_error_codes": [502]},
    ],
    ids=["dropped", "broken-json", "502"],
)
def test_a_lost_answer_is_settled_by_adopting_the_job_in_the_usage_log(
    quick_log: Any, fault: dict[str, Any], logs: Any
) -> None:
    request_id = f"test-lost-{next(iter(fault))}-{datetime.now().timestamp()}"
    quick_log.faults.set(routes=["create"], **fault)

    job = AimlSttHook().submit_job(_request(), client_request_id=request_id)

    quick_log.faults.clear()
    (row,) = _logged(quick_log, request_id)  # one create reached the API: one job
    assert job.found_in_usage_log
    assert job.generation_id == row["inference_id"]
    assert job.client_request_id == request_id
    assert job.charge == Charge.model_validate(row["cost"]) and job.charge.credits > 0
    assert wait_until_finished(AimlSttHook(), job.generation_id).is_completed
    text = logs()
    assert f"looking for client_request_id={request_id} in the usage log" in text
    assert f"Adopting generation_id={job.generation_id}" in text


def test_a_create_that_never_reached_the_api_fails_saying_it_is_safe_to_submit_again(
    proxy: ApiProxy, quick_log: Any
) -> None:
    proxy.drop_creates = 1

    with pytest.raises(AimlSttSubmissionNotLoggedError) as raised:
        AimlSttHook().submit_job(_request(), client_request_id="test-never-arrived")

    assert len(proxy.dropped) == 1
    assert proxy.dropped[0]["X-Client-Request-Id"] == "test-never-arrived"
    assert _logged(quick_log, "test-never-arrived") == []
    message = str(raised.value)
    assert "shows no request with client_request_id=test-never-arrived after 2 s" in message
    assert "safe to clear this task" in message


def test_with_resubmit_if_not_logged_the_task_submits_again_under_a_new_id(
    proxy: ApiProxy, quick_log: Any, logs: Any
) -> None:
    proxy.drop_creates = 1

    job = AimlSttHook(resubmit_if_not_logged=True).submit_job(_request(), client_request_id="test-resubmit")

    assert not job.found_in_usage_log
    assert job.client_request_id not in (None, "test-resubmit")
    assert _logged(quick_log, "test-resubmit") == []
    (row,) = _logged(quick_log, str(job.client_request_id))
    assert row["inference_id"] == job.generation_id
    assert "submitting URL https://example.org/media/meeting_note.wav again as client_request_id=" in logs()


def test_an_unreadable_usage_log_leaves_the_submission_uncertain(proxy: ApiProxy, quick_log: Any) -> None:
    quick_log.faults.set(routes=["create"], drop_connection=1.0)
    proxy.usage_log_status = 403

    with pytest.raises(AimlSttSubmissionUncertainError) as raised:
        AimlSttHook().submit_job(_request(), client_request_id="test-log-forbidden")

    assert not isinstance(raised.value, AimlSttSubmissionNotLoggedError)
    assert "usage log could not be read" in str(raised.value)
    assert "HTTP 403" in str(raised.value)
    assert len(_logged(quick_log, "test-log-forbidden")) == 1  # the job does exist


def test_a_usage_log_wait_of_zero_does_not_look(quick_log: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(quick_log.base_url, usage_log_wait=0, api_retries=0)
    )
    quick_log.faults.set(routes=["create"], drop_connection=1.0)

    with pytest.raises(AimlSttSubmissionUncertainError, match="Check the AI/ML API dashboard"):
        AimlSttHook().submit_job(_request(), client_request_id="test-no-look")


def test_a_row_that_shows_late_is_waited_for(quick_log: Any, logs: Any) -> None:
    quick_log.config.usage_log_delay_seconds = 2.5
    quick_log.faults.set(routes=["create"], malformed_json=1.0)

    job = AimlSttHook().submit_job(_request(), client_request_id="test-late-row")

    assert job.found_in_usage_log
    assert "client_request_id=test-late-row is not in the usage log yet (look 1)" in logs()
