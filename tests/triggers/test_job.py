"""The trigger's run() against the emulator: events, deadline, serialization, failure counter."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time

import pytest

from airflow_provider_aimlstt import defaults
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import FetchResponse, SttTriggerEvent, TranscriptionRequest
from airflow_provider_aimlstt.triggers.job import AimlSttTrigger
from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json
from tests.helpers import closed_port

SAMPLE = AUDIO_DIR / "support_call.wav"


def _submit(model: str = "#g1_nova-2-general") -> str:
    return AimlSttHook().submit(TranscriptionRequest.build(model=model, audio_path=str(SAMPLE)))


def _events(trigger: AimlSttTrigger) -> list[SttTriggerEvent]:
    async def collect():
        return [event.payload async for event in trigger.run()]

    return [SttTriggerEvent.model_validate(payload) for payload in asyncio.run(collect())]


def _trigger(generation_id: str, deadline_in: float = 30.0, **kwargs) -> AimlSttTrigger:
    return AimlSttTrigger(
        generation_id=generation_id,
        aimlstt_conn_id="aimlstt_default",
        deadline=time.time() + deadline_in,
        poke_interval=kwargs.pop("poke_interval", 0.05),
        **kwargs,
    )


def test_completed_job_yields_one_small_success_event(emulator) -> None:
    generation_id = _submit()
    [event] = _events(_trigger(generation_id))
    assert event.status == "success"
    assert event.generation_id == generation_id
    assert event.api_status == "completed"
    transcript = (AUDIO_DIR / "support_call.txt").read_text().strip()
    assert transcript not in json.dumps(event.model_dump()), "the event must not carry the transcript"


def test_unknown_or_expired_job_yields_an_error_event(emulator) -> None:
    [event] = _events(_trigger("6f1c8a52-1111-4222-8333-944455556666"))
    assert event.status == "error"
    assert "6f1c8a52-1111-4222-8333-944455556666" in event.message
    assert "one hour" in event.message


def test_job_still_running_at_the_deadline_yields_a_timeout_event(emulator) -> None:
    emulator.config.processing_seconds = 30
    generation_id = _submit("aai/universal")
    started = time.monotonic()
    [event] = _events(_trigger(generation_id, deadline_in=0.6, poke_interval=0.1))
    assert event.status == "timeout"
    assert event.api_status in ("queued", "generating")
    assert generation_id in event.message and "deadline" in event.message
    assert time.monotonic() - started < 5


def test_deadline_already_past_still_polls_once(emulator) -> None:
    generation_id = _submit()
    emulator.clock.advance(60.0)  # the emulator's jobs are completed by now
    [event] = _events(_trigger(generation_id, deadline_in=-100))
    assert event.status == "success"


def test_serialize_round_trip_is_plain_json_and_keeps_the_deadline() -> None:
    original = AimlSttTrigger(
        "g-1",
        "my_conn",
        deadline=1_900_000_000.5,
        poke_interval=3,
        started_at=1_899_999_000,
        submitted_at=1_899_998_990,
        expected_finish=(28.5, 31),
    )
    path, kwargs = original.serialize()
    assert path == "airflow_provider_aimlstt.triggers.job.AimlSttTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["expected_finish"] == [28.5, 31.0]
    restored = AimlSttTrigger(**kwargs)
    assert restored.serialize() == (path, kwargs)
    assert (restored.deadline, restored.started_at) == (1_900_000_000.5, 1_899_999_000.0)
    assert (restored.submitted_at, restored.expected_finish) == (1_899_998_990.0, (28.5, 31.0))
    assert TEST_API_KEY not in json.dumps(kwargs)


def test_recreated_trigger_continues_with_the_same_deadline(emulator) -> None:
    emulator.config.processing_seconds = 30
    # A wait that began 100 s ago with 0.3 s left, when the triggerer restarted.
    first = _trigger(_submit(), deadline_in=0.3, poke_interval=0.1, started_at=time.time() - 100)
    _, kwargs = first.serialize()
    started = time.monotonic()
    [event] = _events(AimlSttTrigger(**kwargs))  # the new process rebuilds the trigger from its row
    assert event.status == "timeout"
    assert time.monotonic() - started < 5, "a restart must not give the job a fresh deadline"
    assert "100 s after the wait began" in event.message


def test_unreachable_api_gives_up_after_the_configured_failures(monkeypatch, logs) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(f"http://127.0.0.1:{closed_port()}"))
    monkeypatch.setattr(defaults, "MAX_CONSECUTIVE_FAILURES", 3)
    [event] = _events(_trigger("abc", poke_interval=0.01))
    assert event.status == "error"
    assert "gave up after 3 failed polls in a row" in event.message
    text = logs()
    assert text.count("will poll again") == 2
    assert text.count("API call GET /v1/stt/abc failed") == 3 * 5  # each poll retried 5 times (default)


def test_wrong_key_fails_at_once_without_retrying(emulator, monkeypatch) -> None:
    generation_id = _submit()
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key="bad"))
    monkeypatch.setattr(defaults, "MAX_CONSECUTIVE_FAILURES", 50)
    [event] = _events(_trigger(generation_id))
    assert event.status == "error" and "401" in event.message


def test_poll_interval_grows_to_its_cap(emulator, logs, monkeypatch) -> None:
    emulator.config.processing_seconds = 30
    generation_id = _submit()
    monkeypatch.setattr(defaults, "MAX_POLL_SECONDS", 0.4)
    trigger = _trigger(generation_id, deadline_in=1.6, poke_interval=0.2)
    [event] = _events(trigger)
    assert event.status == "timeout"
    pauses = [float(found) for found in re.findall(r"next poll in ([0-9.]+)s", logs())]
    if pauses and pauses[0] <= 0.2 * 0.2:  # the first poll comes at once, give or take the jitter
        pauses.pop(0)
    planned = list(itertools.islice(trigger.schedule.intervals(generation_id), 3))
    # the backoff 0.2, 0.3, 0.4, each shortened by its job's fixed jitter (the first by up to 75 %,
    # the others by up to 20 %)
    for interval, backoff, spread in zip(planned, [0.2, 0.3, 0.4], [0.75, 0.2, 0.2], strict=True):
        assert (1 - spread) * backoff <= interval <= backoff
    # each pause runs to the planned moment: the interval less the poll's own time (how long a poll
    # takes depends on the machine's load, so only the bound above is checked)
    for pause, interval in zip(pauses[:3], planned, strict=True):
        assert 0 <= pause <= interval + 0.05
    assert max(pauses) <= 0.4 + 0.05


def test_undocumented_status_counts_as_pending(logs) -> None:
    trigger = AimlSttTrigger("g-1", "c", deadline=time.time() + 5)
    assert trigger._finished(FetchResponse(status="transcoding")) is None
    assert "not documented" in logs()
    assert trigger._finished(FetchResponse(status="COMPLETED")) is not None


def test_a_job_that_expires_while_waited_on_ends_the_wait_as_expired(emulator) -> None:
    from airflow_provider_aimlstt import exceptions as exc
    from airflow_provider_aimlstt.sensors.job import AimlSttSensor

    generation_id = _submit()
    assert emulator.jobs.hold(generation_id)  # never finishes
    emulator.config.retention_seconds = 1.0  # and is gone a second after it was made
    [event] = _events(_trigger(generation_id, poke_interval=0.2))

    assert (event.status, event.http_status, event.api_status) == ("error", 404, "waiting")
    assert "results are kept for one hour" in event.message
    sensor = AimlSttSensor(task_id="wait", generation_id=generation_id)
    with pytest.raises(exc.AimlSttNotFoundError, match=generation_id):
        sensor.execute_complete(context={}, event=event.model_dump())


def test_the_wait_rides_out_every_kind_of_fetch_fault(emulator, logs, monkeypatch) -> None:
    generation_id = _submit()
    emulator.config.processing_seconds = 1.0
    emulator.faults.set(
        rate_limit=0.2,
        retry_after_seconds=0,
        server_error=0.2,
        drop_connection=0.2,
        malformed_json=0.2,
        routes=["fetch"],
        seed=5,
    )
    monkeypatch.setattr(defaults, "MAX_CONSECUTIVE_FAILURES", 3)
    [event] = _events(_trigger(generation_id, poke_interval=0.1))
    assert event.status == "success", event.message
    assert "retry 1/5" in logs()


def test_the_triggers_kwargs_are_what_the_wait_needs_and_no_secret(emulator) -> None:
    trigger = _trigger("abc")
    path, kwargs = trigger.serialize()
    assert set(kwargs) == {
        "generation_id",
        "aimlstt_conn_id",
        "deadline",
        "poke_interval",
        "started_at",
        "submitted_at",
        "expected_finish",
        "polled_at_start",
    }
    assert TEST_API_KEY not in json.dumps(kwargs)
    assert AimlSttTrigger(**kwargs).serialize() == (path, kwargs)


def test_the_event_carries_what_the_polls_cost_and_when_they_saw_the_job_finish(emulator) -> None:
    generation_id = _submit()
    emulator.config.processing_seconds = 0.5
    started = time.time()
    [event] = _events(_trigger(generation_id, poke_interval=0.1))
    assert event.status == "success"
    assert event.poll_charge is not None and event.poll_charge.credits == 0  # the emulator's polls are free
    assert event.found_at is not None and started < event.found_at <= time.time()
    assert event.last_pending_at is not None and started <= event.last_pending_at < event.found_at
