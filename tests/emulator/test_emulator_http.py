"""HTTP behaviour: the API key, every 400 case, 404/405, the error body, keep-alive and bodies."""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests

from aimlstt_emulator.catalog import MODEL_FAMILIES
from airflow_provider_aimlstt.models import ApiErrorBody

UNAUTHORIZED = (
    "This request requires a valid API key. You can create a new API key on the Billing page: "
    "https://aimlapi.com/app/keys"
)
URL = "https://example.com/hello.wav"


def assert_error_body(response: requests.Response, status: int) -> str:
    """Check the documented error body and return its message."""
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    parsed = ApiErrorBody.model_validate(body)
    assert parsed.status_code == status and parsed.request_id and parsed.timestamp.endswith("Z")
    assert parsed.path == urlsplit(response.request.url).path
    return parsed.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "emulator-test-key-7d1f"},
        {"Authorization": "Basic x"},
    ],
)
def test_missing_or_wrong_key_is_401(emu_server, headers) -> None:
    create = requests.post(
        f"{emu_server.base_url}/v1/stt/create", json={"model": "nova-3", "url": URL}, headers=headers
    )
    assert assert_error_body(create, 401) == UNAUTHORIZED
    fetch = requests.get(f"{emu_server.base_url}/v1/stt/abc", headers=headers)
    assert assert_error_body(fetch, 401) == UNAUTHORIZED
    assert emu_server.stats()["creates_total"] == 0


def test_bearer_scheme_is_case_insensitive(emu_server, api_key) -> None:
    response = requests.post(
        f"{emu_server.base_url}/v1/stt/create",
        json={"model": "nova-3", "url": URL},
        headers={"Authorization": f"bearer {api_key}"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "expected_line"),
    [
        ({"url": URL}, "model: Required. Expected one of the model ids, received undefined"),
        ({"model": 7, "url": URL}, "model: Expected string, received number"),
        (
            {"model": "#g1_nova-2-general"},
            "url: Required. Expected a url or an audio file in field 'audio' or 'file', received neither",
        ),
        ({"model": "openai/gpt-4o-transcribe"}, "in field 'audio' or 'file', received neither"),
        (
            {"model": "nova-3", "url": "ftp://example.com/a.wav"},
            "url: Invalid url. Expected an http:// or https://",
        ),
        ({"model": "nova-3", "url": "file:///etc/passwd"}, "url: Invalid url."),
        ({"model": "nova-3", "url": 5}, "url: Expected string, received number"),
        ({"model": "nova-3", "url": URL, "diarize": "true"}, "diarize: Expected boolean, received string"),
        ({"model": "nova-3", "url": URL, "utt_split": "1"}, "utt_split: Expected number, received string"),
        ({"model": "#g1_nova-2-general", "url": URL, "tag": "x"}, "tag: Expected string[], received string"),
        ({"model": "nova-3", "url": URL, "tag": 5}, "tag: Expected string | string[], received number"),
        (
            {"model": "nova-3", "url": URL, "custom_intent": 3},
            "custom_intent: Expected string | string[], received number",
        ),
        (
            {"model": "nova-3", "url": URL, "custom_topic_mode": "loose"},
            "custom_topic_mode: Invalid enum value. Expected 'strict' | 'extended', received 'loose'",
        ),
        (
            {"model": "aai/universal", "url": URL, "speech_threshold": 2},
            "speech_threshold: Number must be less than",
        ),
        (
            {"model": "aai/universal", "url": URL, "diarize": True},
            "diarize: Unrecognized key. Not an option of model 'aai/universal' (its options: audio_start",
        ),
        ({"model": "nova-3", "url": URL, "speaker_labels": True}, "speaker_labels: Unrecognized key"),
        (
            {"model": "microsoft/mai-transcribe-1.5", "url": URL, "language": "en"},
            "(its options: max_tokens, temperature, top_p, max_completion_tokens)",
        ),
    ],
)
def test_json_body_validation_errors(client, body, expected_line) -> None:
    message = assert_error_body(client.create_json(body), 400)
    assert message.startswith("Body validation error!\n")
    assert expected_line in message


def test_unknown_model_lists_the_valid_ones(client) -> None:
    message = assert_error_body(client.create_json({"model": "whisper-9", "url": URL}), 400)
    line = message.splitlines()[1]
    assert line.startswith("model: Invalid enum value. Expected '")
    assert line.endswith(", received 'whisper-9'")
    listed = line.removeprefix("model: Invalid enum value. Expected ").rsplit(", received", 1)[0]
    assert listed.split(" | ") == [f"'{model}'" for model in MODEL_FAMILIES]
    assert {"'aai/universal'", "'slam-1'", "'whisper-tiny'", "'#g1_whisper-small'"} <= set(
        listed.split(" | ")
    )


def test_every_problem_is_reported_at_once(client) -> None:
    message = assert_error_body(
        client.create_json({"model": "nova-3", "url": "x", "diarize": 1, "foo": 2}), 400
    )
    assert len(message.splitlines()) == 4


def test_both_url_and_upload_is_400(client, make_wav) -> None:
    response = client.create_upload("nova-3", make_wav(0.5), data={"url": URL})
    assert "url: Expected either a url or an uploaded file, received both" in assert_error_body(response, 400)


@pytest.mark.parametrize(
    "model",
    [
        "nova-3",
        "#g1_whisper-large",
        "aai/universal",
        "openai/gpt-4o-transcribe",
        "microsoft/mai-transcribe-1.5",
    ],
)
@pytest.mark.parametrize("field", ["audio", "file"])
def test_an_upload_in_field_audio_or_file_is_accepted_for_every_model(
    client, make_wav, sidecar_text, model, field
) -> None:
    response = client.create_upload(model, make_wav(0.5), filename="hello.wav", field=field)
    assert response.status_code in (200, 201), response.text
    assert sidecar_text in json.dumps(client.result_of(response))


def test_one_file_at_most_and_only_in_audio_or_file(client, make_wav) -> None:
    form = {"model": "openai/gpt-4o-transcribe"}
    files = [("audio", ("a.wav", make_wav(0.5))), ("file", ("b.wav", make_wav(0.5)))]
    both = client.session.post(f"{client.base_url}/v1/stt/create", data=form, files=files)
    assert "audio: Expected one audio file, received 2" in assert_error_body(both, 400)
    elsewhere = client.create_upload("nova-3", make_wav(0.5), field="recording")
    assert (
        "recording: Unrecognized file field. Expected the audio in field 'audio' or 'file'"
        in assert_error_body(elsewhere, 400)
    )


def test_form_options_are_validated_in_lax_mode(client, make_wav) -> None:
    bad = client.create_upload("nova-3", make_wav(0.5), data={"diarize": "perhaps", "utt_split": "soon"})
    message = assert_error_body(bad, 400)
    assert "diarize: Expected boolean, received 'perhaps'" in message
    assert "utt_split: Expected number, received 'soon'" in message
    repeated = client.create_upload("nova-3", make_wav(0.5), data=[("diarize", "true"), ("diarize", "false")])
    assert "diarize: Expected boolean, received array" in assert_error_body(repeated, 400)


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (b"{not json", "application/json", "body: Invalid JSON at line 1 column 2"),
        (b"[1, 2]", "application/json", "body: Expected object, received array"),
        (b"\xff\xfe", "application/json", "body: Expected UTF-8 encoded JSON"),
        (b"model=nova-3", "text/plain", "received 'text/plain'"),
        (b"--x--", "multipart/form-data", "Expected a multipart boundary"),
        (
            b'--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nnova-3',
            "multipart/form-data; boundary=b",
            "closing boundary",
        ),
    ],
)
def test_unreadable_bodies_are_400(client, data, content_type, expected) -> None:
    response = client.session.post(
        f"{client.base_url}/v1/stt/create", data=data, headers={"Content-Type": content_type}
    )
    message = assert_error_body(response, 400)
    assert message.startswith("Body validation error!") and expected in message


def test_url_encoded_form_is_accepted(client) -> None:
    response = client.session.post(
        f"{client.base_url}/v1/stt/create", data={"model": "aai/universal", "url": URL, "punctuate": "false"}
    )
    assert response.status_code == 200
    assert client.result_of(response)["result"]["punctuate"] is False


def test_unknown_paths_and_wrong_methods(emu_server, api_key) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    base = emu_server.base_url
    assert assert_error_body(requests.get(f"{base}/v1/chat/completions", headers=headers), 404) == (
        "Cannot GET /v1/chat/completions"
    )
    assert_error_body(requests.get(f"{base}/v1/stt/a/b", headers=headers), 404)
    wrong = requests.get(f"{base}/v1/stt/create", headers=headers)
    assert_error_body(wrong, 405)
    assert wrong.headers["Allow"] == "POST"
    assert requests.delete(f"{base}/v1/stt/abc", headers=headers).headers["Allow"] == "GET, HEAD"
    assert requests.post(f"{base}/_emulator/stats").status_code == 405


def test_keep_alive_and_content_length_on_every_answer(emu_server, api_key) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", emu_server.port, timeout=10)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    requests_to_make = [
        ("POST", "/v1/stt/create", json.dumps({"model": "nova-3", "url": URL}), headers),
        ("POST", "/v1/stt/create", json.dumps({"model": "nova-3", "url": URL}), {}),  # 401 with a body
        ("GET", "/v1/stt/unknown", None, headers),
        ("PUT", "/v1/stt/create", "ignored body", headers),
        ("GET", "/nowhere", None, {}),
        ("GET", "/_emulator/stats", None, {}),
    ]
    sockets = set()
    statuses = []
    for method, path, body, request_headers in requests_to_make:
        connection.request(method, path, body=body, headers=request_headers)
        response = connection.getresponse()
        payload = response.read()
        assert response.version == 11
        assert int(response.headers["Content-Length"]) == len(payload)
        assert response.headers.get("Connection", "").lower() != "close"
        statuses.append(response.status)
        sockets.add(id(connection.sock))
    assert statuses == [201, 401, 404, 405, 404, 200]
    assert len(sockets) == 1
    connection.close()


def test_chunked_upload_is_read(client, make_wav) -> None:
    audio = make_wav(1.5)
    boundary = "emulatorboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nnova-3\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="hello.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()

    def pieces():
        yield head
        for start in range(0, len(audio), 7000):
            yield audio[start : start + 7000]
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.session.post(
        f"{client.base_url}/v1/stt/create",
        data=pieces(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201, response.text
    metadata = client.result_of(response)["result"]["metadata"]
    assert metadata["sha256"] == hashlib.sha256(audio).hexdigest() and metadata["duration"] == 1.5


def test_malformed_request_line_gets_the_error_body(emu_server) -> None:
    with socket.create_connection(("127.0.0.1", emu_server.port), timeout=5) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")
        answer = raw.makefile("rb").read()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["statusCode"] == 400


def test_head_of_a_fetch_has_headers_only(client, make_wav) -> None:
    generation_id = client.create_upload("nova-3", make_wav(0.5)).json()["generation_id"]
    response = client.session.head(f"{client.base_url}/v1/stt/{generation_id}")
    assert response.status_code == 200 and response.content == b""
    assert int(response.headers["Content-Length"]) > 0


def test_upload_over_the_limit_is_413_and_leaves_no_file(client, emu_config, make_wav) -> None:
    emu_config.max_upload_bytes = 10_000
    response = client.create_upload("nova-3", make_wav(1.0))
    assert "the limit is 10000 bytes" in assert_error_body(response, 413)
    assert list(emu_config.temp_dir.iterdir()) == []


def test_parallel_creates_are_all_answered(emu_server, api_key, make_wav) -> None:
    audio = make_wav(0.5)

    def create(index: int) -> int:
        response = requests.post(
            f"{emu_server.base_url}/v1/stt/create",
            data={"model": "aai/universal"},
            files={"audio": (f"clip-{index}.wav", audio)},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(create, range(48)))
    assert statuses == [200] * 48
    assert emu_server.stats()["creates_by_sha256"] == {hashlib.sha256(audio).hexdigest(): 48}
