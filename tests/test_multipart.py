"""The streamed upload body is valid multipart/form-data and never holds the file in memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import python_multipart

from airflow_provider_aimlstt.multipart import MultipartFileBody, UploadFile


def _parse(body: MultipartFileBody) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}

    def on_field(field) -> None:
        fields.setdefault(field.field_name.decode(), []).append(field.value.decode())

    def on_file(file) -> None:
        file.file_object.seek(0)
        files[file.field_name.decode()] = file.file_object.read()

    parser = python_multipart.create_form_parser(
        {"Content-Type": body.content_type.encode(), "Content-Length": str(len(body)).encode()},
        on_field,
        on_file,
    )
    for chunk in body:
        parser.write(chunk)
    parser.finalize()
    return fields, files


def test_body_parses_back_to_the_same_fields_and_bytes(tmp_path: Path) -> None:
    audio = tmp_path / 'we"ird\nname.wav'
    payload = bytes(range(256)) * 5000
    audio.write_bytes(payload)
    body = MultipartFileBody(
        [("model", "aai/universal"), ("word_boost", "a"), ("word_boost", "b")],
        "audio",
        UploadFile.local(str(audio)),
    )
    assert len(body) == sum(len(chunk) for chunk in body)
    fields, files = _parse(body)
    assert fields == {"model": ["aai/universal"], "word_boost": ["a", "b"]}
    assert files["audio"] == payload


def test_body_can_be_sent_twice(tmp_path: Path) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"x" * 1000)
    body = MultipartFileBody([], "file", UploadFile.local(str(audio)))
    assert b"".join(body) == b"".join(body)


def test_streaming_a_large_file_stays_small_in_memory(tmp_path: Path) -> None:
    audio = tmp_path / "big.wav"
    with open(audio, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    body = MultipartFileBody([("model", "x")], "audio", UploadFile.local(str(audio)))
    tracemalloc.start()
    total = sum(len(chunk) for chunk in body)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == len(body) > 64 * 1024 * 1024
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while streaming 64 MiB"
