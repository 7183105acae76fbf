"""The hook over real HTTP against the emulator: submit, poll, errors, the key kept secret."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import ModelFamily, TranscriptionRequest
from airflow_provider_aimlstt.operators.submit import AimlSttSubmitOperator
from airflow_provider_aimlstt.transcripts import to_transcript
from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json
from tests.helpers import closed_port, wait_until_finished

SAMPLE = AUDIO_DIR / "meeting_note.wav"
SAMPLE_TEXT = (AUDIO_DIR / "meeting_note.txt").read_text().strip()


def _total_requests(server: object) -> int:
    stats = server.stats()  # type: ignore[attr-defined]
    return int(stats["requests_total"])


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("#g1_nova-2-general", ModelFamily.DEEPGRAM),
        ("#g1_whisper-large", ModelFamily.DEEPGRAM),
        ("nova-3", ModelFamily.DEEPGRAM),
        ("aai/universal", ModelFamily.ASSEMBLYAI),
        ("openai/gpt-4o-transcribe", ModelFamily.OPENAI),
        ("microsoft/mai-transcribe-1.5", ModelFamily.MICROSOFT),
    ],
)
def test_upload_then_poll_gives_the_sidecar_text_for_every_family(emulator, model: str, family) -> None:
    hook = AimlSttHook()
    generation_id = hook.submit(TranscriptionRequest.build(model=model, audio_path=str(SAMPLE)))
    job = wait_until_finished(hook, generation_id)
    assert job.is_completed and job.result is not None
    summary = to_transcript(job.result, model=model)
    assert summary.family is family
    assert summary.text.strip() == SAMPLE_TEXT
    assert summary.word_count == len(SAMPLE_TEXT.split())


def test_url_source_and_universal_fetch_style(emulator) -> None:
    emulator.config.fetch_style = "universal"
    hook = AimlSttHook()
    request = TranscriptionRequest.build(
        model="aai/slam-1", audio_url="https://example.org/media/meeting_note.wav"
    )
    job = wait_until_finished(hook, hook.submit(request))
    assert job.id is not None
    assert to_transcript(job.result or {}).text.strip() == SAMPLE_TEXT


def test_wrong_key_is_an_authentication_error_that_does_not_show_the_key(emulator, monkeypatch) -> None:
    wrong_key = "sk-wrong-key-ABCDEF123456"
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key=wrong_key))
    with pytest.raises(exc.AimlSttAuthenticationError) as raised:
        AimlSttHook().submit(TranscriptionRequest.build(model="aai/universal", audio_path=str(SAMPLE)))
    assert raised.value.status_code == 401
    assert "API key field" in str(raised.value)
    assert wrong_key not in str(raised.value) and wrong_key not in repr(raised.value)


def test_unknown_generation_is_not_found_naming_the_id(emulator) -> None:
    with pytest.raises(exc.AimlSttNotFoundError) as raised:
        AimlSttHook().get_job("0b5e0f0e-0000-4000-8000-000000000000")
    assert "0b5e0f0e-0000-4000-8000-000000000000" in str(raised.value)
    assert "one hour" in str(raised.value)


def test_server_side_validation_error_surfaces_as_bad_request(emulator) -> None:
    request = TranscriptionRequest.build(
        model="acme/ears-1", audio_url="https://example.org/a.wav", allow_unknown_model=True
    )
    with pytest.raises(exc.AimlSttBadRequestError) as raised:
        AimlSttHook().submit(request)
    assert raised.value.status_code == 400
    assert raised.value.request_id


def test_async_fetch_reads_the_same_job(emulator) -> None:
    hook = AimlSttHook()
    generation_id = hook.submit(
        TranscriptionRequest.build(model="#g1_nova-2-meeting", audio_path=str(SAMPLE))
    )
    done = wait_until_finished(hook, generation_id)

    async def fetch():
        async_hook = AimlSttHook()
        try:
            return await async_hook.aget_job(generation_id)
        finally:
            await async_hook.aclose()

    assert asyncio.run(fetch()).result == done.result


def test_test_connection_tells_a_good_key_from_a_bad_one(emulator, monkeypatch) -> None:
    ok, message = AimlSttHook().test_connection()
    assert ok, message
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key="nope"))
    ok, message = AimlSttHook().test_connection()
    assert not ok and "401" in message


def test_unreachable_api_is_a_connection_error(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(f"http://127.0.0.1:{closed_port()}"))
    expected = r"GET http://127\.0\.0\.1:\d+/v1/stt/abc for generation_id=abc failed"
    with pytest.raises(exc.AimlSttConnectionError, match=expected):
        AimlSttHook().get_job("abc")


def test_submit_logs_the_id_but_neither_the_key_nor_a_url_query(emulator, logs) -> None:
    hook = AimlSttHook()
    url = "https://example.org/media/meeting_note.wav?token=signed-secret"
    generation_id = hook.submit(TranscriptionRequest.build(model="aai/universal", audio_url=url))
    text = logs()
    assert generation_id in text
    assert "signed-secret" not in text
    assert TEST_API_KEY not in text


@pytest.mark.parametrize(
    "fields",
    [
        {"model": "nope", "audio_path": str(SAMPLE)},
        {"model": "aai/universal"},
        {"model": "aai/universal", "audio_path": str(SAMPLE), "audio_url": "https://example.org/a.wav"},
        {"model": "aai/universal", "audio_path": "/no/such.wav"},
        {"model": "aai/universal", "audio_url": "ftp://example.org/a.wav"},
        {"model": "aai/universal", "audio_path": str(SAMPLE), "options": {"diarize": True}},
        {"model": "#g1_nova-2-general", "audio_path": str(SAMPLE), "options": {"diarize": "true"}},
    ],
)
def test_operator_rejects_bad_input_without_sending_anything(emulator, fields: dict) -> None:
    before = _total_requests(emulator)
    operator = AimlSttSubmitOperator(task_id="submit", **fields)
    with pytest.raises(exc.AimlSttValidationError, match=r"^Invalid transcription request|^audio_path: "):
        operator.execute(context={})
    assert _total_requests(emulator) == before


def test_operator_without_a_key_fails_before_sending(emulator, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key=""))
    before = _total_requests(emulator)
    with pytest.raises(exc.AimlSttConfigError, match="no API key"):
        AimlSttSubmitOperator(task_id="submit", model="aai/universal", audio_path=str(SAMPLE)).execute(
            context={}
        )
    assert _total_requests(emulator) == before


class _RecordingTaskInstance:
    """The one method of a task instance the submit operator calls, recording what it pushes."""

    def __init__(self) -> None:
        self.pushed: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.pushed[key] = value


def test_operator_returns_the_generation_id_and_records_the_model(emulator) -> None:
    ti = _RecordingTaskInstance()
    generation_id = AimlSttSubmitOperator(
        task_id="submit", model="openai/gpt-4o-mini-transcribe", audio_path=str(Path(SAMPLE))
    ).execute(context={"ti": ti})
    assert wait_until_finished(AimlSttHook(), generation_id).is_completed
    assert set(ti.pushed) == {"model", "submission"}
    assert ti.pushed["model"] == "openai/gpt-4o-mini-transcribe"
    submission = ti.pushed["submission"]
    assert isinstance(submission, dict) and submission["generation_id"] == generation_id
    assert submission["charge"]["credits"] > 0 and submission["client_request_id"].startswith("aimlstt-")


def test_the_blocking_wait_returns_what_it_learned_and_the_hook_keeps_nothing_of_the_job(emulator) -> None:
    import time

    from airflow_provider_aimlstt.polling import PollSchedule

    hook = AimlSttHook()
    submission = hook.submit_job(
        TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(SAMPLE))
    )
    state_before = dict(vars(hook))
    first = hook.get_job(submission.generation_id)
    assert first.charge is not None and first.charge.credits == 0  # the emulator's polls are free
    assert submission.charge is not None and submission.charge.credits > 0  # its creates are not

    wait = hook.wait_for_job(submission.generation_id, 15, PollSchedule(0.05, 0.05), job=first)

    assert (wait.generation_id, wait.job.status) == (submission.generation_id, "completed")
    assert wait.poll_charge is not None and wait.poll_charge.credits == 0
    assert wait.found_at is not None and wait.last_pending_at is not None
    assert submission.submitted_at is not None
    after, by = wait.finish_bracket(submission.submitted_at) or (None, None)
    assert after is not None and by is not None and 0 <= after <= by <= time.time() - submission.submitted_at
    assert set(vars(hook)) <= set(state_before) | {"session", "settings"}  # nothing kept of the job
    assert submission.generation_id not in repr(vars(hook))
