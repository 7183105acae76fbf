"""Fault injection on the wire: each fault kind at probability 1, and what a faulted create leaves."""

from __future__ import annotations

import email.utils
import hashlib
import http.client
import json
import socket
import time
from datetime import datetime, timezone

import pytest
import requests

from airflow_provider_aimlstt.models import ApiErrorBody, FetchResponse

MODEL = "#g1_nova-2-general"  # Deepgram-style: a create answers 201, a job goes waiting -> completed


def assert_error(response: requests.Response, status: int, message: str) -> None:
    """The documented error body, with this status and message."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    parsed = ApiErrorBody.model_validate(body)
    assert parsed.status_code == status and parsed.text == message
    assert str(parsed.path).startswith("/v1/stt/")


def test_rate_limit_answers_429_with_retry_after_in_seconds(emu_server, faults, client, make_wav) -> None:
    faults.set(rate_limit=1, retry_after_seconds=7)
    created = client.create_upload(MODEL, make_wav(0.5))
    assert_error(created, 429, "Too Many Requests")
    assert created.headers["Retry-After"] == "7"
    assert_error(client.fetch("some-id"), 429, "Too Many Requests")
    stats = emu_server.stats()
    assert stats["creates_by_sha256"] == {} and len(emu_server.jobs) == 0
    assert stats["create_attempts"] == 1
    assert stats["faults_by_kind"] == {"rate_limit": 2}


def test_rate_limit_retry_after_as_an_http_date(faults, client) -> None:
    faults.set(rate_limit=1, retry_after_seconds=120, retry_after_format="http-date")
    response = client.fetch("some-id")
    assert_error(response, 429, "Too Many Requests")
    header = response.headers["Retry-After"]
    assert header.endswith(" GMT")
    ahead = (email.utils.parsedate_to_datetime(header) - datetime.now(timezone.utc)).total_seconds()
    assert 118 <= ahead <= 122


def test_a_server_error_burst_has_its_length_then_recovers(faults, client, make_wav) -> None:
    generation_id = client.create_upload(MODEL, make_wav(0.5)).json()["generation_id"]
    faults.set(server_error=1, server_error_burst=4, server_error_codes=[502])
    assert_error(client.fetch(generation_id), 502, "Bad Gateway")  # this request starts a burst
    faults.update(server_error=0)  # no new burst; the running one goes on
    statuses = [client.fetch(generation_id).status_code for _ in range(4)]
    assert statuses == [502, 502, 502, 200]
    assert client.fetch(generation_id).json()["status"] == "completed"
    assert faults.counts() == {"server_error_502": 4}


def test_server_error_codes_are_picked_per_answer(faults, client) -> None:
    faults.set(server_error=1, seed=5)
    seen = {client.fetch("some-id").status_code for _ in range(24)}
    assert seen == {500, 502, 503, 504}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (500, "Internal server error"),
        (502, "Bad Gateway"),
        (503, "Service unavailable"),
        (504, "Generation timeout"),
        (507, "Insufficient Storage"),
    ],
)
def test_server_errors_have_the_documented_body(faults, client, code, message) -> None:
    faults.set(server_error=1, server_error_codes=[code])
    assert_error(client.fetch("some-id"), code, message)


def test_latency_is_added_before_answering(faults, client) -> None:
    faults.set(latency_seconds=0.3)
    started = time.monotonic()
    assert client.fetch("some-id").status_code == 404  # the real answer, late
    assert time.monotonic() - started >= 0.3
    faults.update(latency_probability=0)
    started = time.monotonic()
    client.fetch("some-id")
    assert time.monotonic() - started < 0.3
    assert faults.counts() == {"latency": 1}


def test_a_dropped_connection_sends_no_status_line(emu_server, faults, client, api_key) -> None:
    faults.set(drop_connection=1)
    with pytest.raises(requests.ConnectionError):
        client.fetch("some-id")
    with socket.create_connection(("127.0.0.1", emu_server.port), timeout=5) as raw:
        raw.sendall(f"GET /v1/stt/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_key}\r\n\r\n".encode())
        assert raw.recv(1024) == b""  # closed with not one byte of answer
    assert faults.counts() == {"drop_connection": 2}
    assert "200" not in emu_server.stats()["responses_by_status"]


def test_malformed_json_keeps_the_status_and_cuts_the_body(emu_server, faults, client, make_wav) -> None:
    good = client.create_upload(MODEL, make_wav(0.5))
    faults.set(malformed_json=1)
    fetched = client.fetch(good.json()["generation_id"])
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(fetched.content)
    faults.clear()
    whole = client.fetch(good.json()["generation_id"]).content
    assert 0 < len(fetched.content) < len(whole) and whole.startswith(fetched.content)
    faults.set(malformed_json=1)
    created = client.create_upload(MODEL, make_wav(0.5))
    assert created.status_code == 201 and len(emu_server.jobs) == 2
    assert created.content.startswith(b'{"generation_id"')
    with pytest.raises(ValueError):
        created.json()


@pytest.mark.parametrize("style", ["legacy", "universal"])
def test_a_job_ends_in_error(emu_server, faults, client, make_wav, style) -> None:
    emu_server.config.fetch_style = style
    faults.set(job_error=1)
    created = client.create_upload(MODEL, make_wav(0.5))
    assert created.status_code == 201  # the create itself succeeds
    body = client.result_of(created)
    assert body["status"] == "error"
    assert body["error"] == {
        "name": "TranscriptionError",
        "message": "Transcription failed (emulator fault injection)",
    }
    assert FetchResponse.model_validate(body).is_failed
    assert faults.counts() == {"job_error": 1}


def test_a_job_never_finishes_until_it_expires(emu_server, faults, client, make_wav) -> None:
    faults.set(job_never_finishes=1)
    generation_id = client.create_upload(MODEL, make_wav(0.5)).json()["generation_id"]
    faults.clear()  # the fate was sealed at creation
    other_id = client.create_upload(MODEL, make_wav(0.5)).json()["generation_id"]
    for _ in range(3):
        assert client.fetch(generation_id).json() == {
            "generation_id": generation_id,
            "status": "waiting",
            "result": None,
        }
        emu_server.clock.advance(1000.0)  # long past its queued and processing times
    assert client.fetch(other_id).json()["status"] == "completed"
    emu_server.config.retention_seconds = 0.2
    emu_server.clock.advance(0.25)
    assert client.fetch(generation_id).status_code == 404
    assert faults.counts() == {"job_never_finishes": 1}


NOT_ACCEPTED: list[tuple[dict[str, object], int | None]] = [
    ({"rate_limit": 1}, 429),
    ({"server_error": 1, "server_error_codes": [503]}, 503),
]
ACCEPTED_BUT_LOST: list[tuple[dict[str, object], int | None]] = [
    ({"server_error": 1, "server_error_codes": [500]}, 500),
    ({"server_error": 1, "server_error_codes": [502]}, 502),
    ({"server_error": 1, "server_error_codes": [504]}, 504),
    ({"drop_connection": 1}, None),
    ({"malformed_json": 1}, 201),
]


@pytest.mark.parametrize(("settings", "status"), NOT_ACCEPTED + ACCEPTED_BUT_LOST)
def test_create_faults_before_or_after_the_job_is_made(
    emu_server, faults, client, make_wav, settings, status
):
    audio = make_wav(0.75)
    faults.set(settings, routes=["create"])
    try:
        answered = client.create_upload(MODEL, audio).status_code
    except requests.ConnectionError:
        answered = None
    assert answered == status
    stats = emu_server.stats()
    accepted = (settings, status) in ACCEPTED_BUT_LOST
    assert stats["creates_by_sha256"] == ({hashlib.sha256(audio).hexdigest(): 1} if accepted else {})
    assert len(emu_server.jobs) == (1 if accepted else 0)
    assert stats["create_attempts"] == 1


def upload_twice(port: int, api_key: str, make_wav_header, data_bytes: int) -> list[tuple[int, str]]:
    """Upload a WAV of ``data_bytes`` silent bytes twice on one connection; ``(status, Connection)`` of each.

    Plain ``http.client``, which (unlike urllib3) raises when the server resets while it is sending.
    """
    boundary = "fault-upload-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n{MODEL}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="long.wav"\r\n\r\n'
    ).encode()
    body = head + make_wav_header(data_bytes) + bytes(data_bytes) + f"\r\n--{boundary}--\r\n".encode()
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Authorization": f"Bearer {api_key}",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answers = []
    try:
        for _ in range(2):
            connection.request("POST", "/v1/stt/create", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.getheader("Connection", "keep-alive")))
    finally:
        connection.close()
    return answers


@pytest.mark.parametrize(("settings", "status"), [({"rate_limit": 1}, 429), ({"malformed_json": 1}, 201)])
def test_a_large_upload_is_read_before_a_fault_answers(
    emu_server, faults, api_key, make_wav_header, settings, status
):
    faults.set(settings)
    big = 24 * 1024 * 1024  # more than the sockets' buffers hold: the client is still sending
    assert upload_twice(emu_server.port, api_key, make_wav_header, big) == [(status, "keep-alive")] * 2
    assert emu_server.stats()["create_attempts"] == 2


def test_fetch_faults_never_change_the_job(faults, client, make_wav, sidecar_text) -> None:
    created = client.create_upload(MODEL, make_wav(0.5), filename="hello.wav")
    faults.set(server_error=1, server_error_codes=[500], job_error=1, job_never_finishes=1, routes=["fetch"])
    for _ in range(3):
        assert client.fetch(created.json()["generation_id"]).status_code == 500
    fresh = client.create_upload(MODEL, make_wav(0.5), filename="hello.wav")  # job faults are create-only
    faults.clear()
    for response in (created, fresh):
        body = client.result_of(response)
        assert body["result"]["results"]["channels"][0]["alternatives"][0]["transcript"] == sidecar_text


def test_routes_choose_what_is_faulted(faults, client, make_wav) -> None:
    faults.set(rate_limit=1, routes=["create"])
    assert client.fetch("some-id").status_code == 404
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429
    faults.update(routes=["fetch"])
    generation_id = client.create_upload(MODEL, make_wav(0.5)).json()["generation_id"]
    assert client.fetch(generation_id).status_code == 429


def test_no_fault_before_the_key_check_nor_outside_the_api(emu_server, faults, client) -> None:
    faults.set(rate_limit=1)
    assert (
        requests.get(f"{emu_server.base_url}/v1/stt/x", headers={"Authorization": "Bearer no"}).status_code
        == 401
    )
    assert requests.get(f"{emu_server.base_url}/elsewhere").status_code == 404
    assert requests.delete(f"{emu_server.base_url}/v1/stt/create").status_code == 405
    assert requests.get(f"{emu_server.base_url}/_emulator/stats").status_code == 200
    assert requests.get(f"{emu_server.base_url}/_emulator/faults").status_code == 200
    assert faults.counts() == {}
    assert client.fetch("x").status_code == 429
