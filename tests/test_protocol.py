"""The sans-IO core: calls built from requests, answers read, errors mapped by status code."""

from __future__ import annotations

import json
from email.utils import formatdate
from typing import Any

import pytest

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.protocol import (
    check_generation_id,
    create_call,
    fetch_call,
    parse_create,
    parse_fetch,
    parse_retry_after,
    raise_for_status,
    request_headers,
)


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_url_request_becomes_a_json_body_with_the_options_that_were_set() -> None:
    request = TranscriptionRequest.build(
        model="#g1_nova-2-general",
        audio_url="https://example.org/a.mp3",
        options={"diarize": True, "language": None},
    )
    call = create_call(request)
    assert (call.method, call.path) == ("POST", "/v1/stt/create")
    assert call.json_body == {
        "model": "#g1_nova-2-general",
        "url": "https://example.org/a.mp3",
        "diarize": True,
    }
    assert call.upload_field is None


@pytest.mark.parametrize(
    ("model", "field"), [("openai/gpt-4o-transcribe", "file"), ("aai/universal", "audio")]
)
def test_file_request_becomes_multipart_with_the_family_upload_field(
    tmp_path, model: str, field: str
) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    options = (
        {"temperature": 0.5}
        if model.startswith("openai")
        else {"speaker_labels": True, "word_boost": ["a", "b"]}
    )
    call = create_call(TranscriptionRequest.build(model=model, audio_path=str(audio), options=options))
    assert call.json_body is None
    assert call.upload_field == field
    expected = [("model", model)] + (
        [("temperature", "0.5")]
        if model.startswith("openai")
        else [("speaker_labels", "true"), ("word_boost", "a"), ("word_boost", "b")]
    )
    assert call.form_fields == expected


def test_fetch_call_checks_the_id_before_building_a_path() -> None:
    assert (
        fetch_call("e3d46bba-7562-44a9-b440-504d940342a3").path
        == "/v1/stt/e3d46bba-7562-44a9-b440-504d940342a3"
    )
    assert fetch_call("RlLz0hRdAs9voL5Qi1Pzr").generation_id == "RlLz0hRdAs9voL5Qi1Pzr"
    for bad in ["", "../admin", "a b", "x" * 129, None, 42, "id?x=1"]:
        with pytest.raises(exc.AimlSttValidationError, match="generation_id"):
            check_generation_id(bad)


def test_key_travels_only_in_the_authorization_header() -> None:
    headers = request_headers("secret-key")
    assert headers["Authorization"] == "Bearer secret-key"
    assert [name for name, value in headers.items() if "secret-key" in value] == ["Authorization"]


@pytest.mark.parametrize("status", [200, 201])
@pytest.mark.parametrize("key", ["generation_id", "id"])
def test_create_answer_accepts_every_documented_form(status: int, key: str) -> None:
    assert parse_create(status, {}, _body(**{key: "abc-1", "status": "queued"})).generation_id == "abc-1"


def test_create_answer_without_an_id_is_a_response_error() -> None:
    with pytest.raises(exc.AimlSttResponseError, match="generation_id"):
        parse_create(201, {}, _body(status="queued"))
    with pytest.raises(exc.AimlSttResponseError, match="create"):
        parse_create(201, {}, b"<html>oops</html>")


def test_fetch_answer_accepts_result_or_output_and_both_error_forms() -> None:
    legacy = parse_fetch(200, {}, _body(status="completed", result={"text": "hi"}), "g1")
    universal = parse_fetch(
        200, {}, _body(id="g1", status="completed", output={"text": "hi"}, error=None), "g1"
    )
    assert legacy.result == universal.result == {"text": "hi"}
    assert legacy.is_completed and universal.is_completed
    failed = parse_fetch(
        200, {}, _body(id="g1", status="error", output=None, error={"name": "E", "message": "bad"}), "g1"
    )
    assert failed.is_failed and failed.error_reason == "E: bad"
    assert parse_fetch(200, {}, _body(status="error", error="boom"), "g1").error_reason == "boom"


@pytest.mark.parametrize("key", ["result", "output"])
@pytest.mark.parametrize("error", [None, {}, {"name": None, "message": None}, ""])
def test_a_failed_jobs_reason_is_read_from_an_assemblyai_transcript_when_the_answer_has_none(
    key: str, error: Any
) -> None:
    transcript = {
        "id": "t1",
        "status": "error",
        "error": "Transcoding failed. File does not appear to contain audio.",
    }
    failed = parse_fetch(200, {}, _body(id="g1", status="error", error=error, **{key: transcript}), "g1")
    assert failed.is_failed
    assert failed.error_reason == "Transcoding failed. File does not appear to contain audio."
    bare = parse_fetch(200, {}, _body(id="g1", status="error", error=error, **{key: None}), "g1")
    assert bare.error_reason == "no reason given"


def test_unknown_status_is_neither_completed_nor_failed() -> None:
    job = parse_fetch(200, {}, _body(status="transcoding"), "g1")
    assert job.known_status is None
    assert not job.is_completed and not job.is_failed


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, exc.AimlSttBadRequestError),
        (401, exc.AimlSttAuthenticationError),
        (403, exc.AimlSttForbiddenError),
        (404, exc.AimlSttNotFoundError),
        (429, exc.AimlSttRateLimitedError),
        (500, exc.AimlSttServerError),
        (502, exc.AimlSttServerError),
        (503, exc.AimlSttServerError),
        (504, exc.AimlSttServerError),
        (418, exc.AimlSttApiError),
    ],
)
def test_errors_are_chosen_by_status_code_and_keep_the_server_details(status: int, error_class: type) -> None:
    body = _body(message="Same text for all", path="/v1/stt/x", requestId="req-9", statusCode=status)
    with pytest.raises(error_class) as raised:
        raise_for_status(status, {}, body, generation_id="gen-7")
    error = raised.value
    assert type(error) is error_class
    assert (error.status_code, error.request_id, error.generation_id) == (status, "req-9", "gen-7")
    assert "Same text for all" in str(error) and "gen-7" in str(error) and "req-9" in str(error)


def test_error_without_json_body_keeps_the_raw_text_and_header_request_id() -> None:
    with pytest.raises(exc.AimlSttServerError) as raised:
        raise_for_status(502, {"X-Request-Id": "hdr-1"}, b"Bad Gateway")
    assert raised.value.request_id == "hdr-1"
    assert "Bad Gateway" in str(raised.value)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    with pytest.raises(exc.AimlSttRateLimitedError) as raised:
        raise_for_status(429, {"Retry-After": "7"}, b"{}")
    assert raised.value.retry_after == 7.0
    now = 1_800_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
