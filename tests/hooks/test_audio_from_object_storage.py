"""Audio from object storage: checked before any request, then streamed to the upload."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from fsspec.implementations.memory import MemoryFileSystem

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from tests.airflow_compat import attach_store
from tests.conftest import AUDIO_DIR
from tests.encoded_audio import flac_bytes, mp3_bytes, mp4_bytes
from tests.helpers import wait_until_finished

SAMPLE = AUDIO_DIR / "weather_report.wav"


@pytest.fixture
def bucket() -> str:
    """A fresh folder in an in-memory store that Airflow's ObjectStoragePath can reach."""
    # attach() returns a store cached earlier in the process if there is one (the output writer's
    # lookups cache one without a filesystem): give it the in-memory filesystem either way.
    attach_store("memory").fs = MemoryFileSystem()
    return f"memory://audio-{uuid.uuid4().hex[:8]}"


def _put(uri: str, data: bytes) -> None:
    MemoryFileSystem().pipe_file(uri.removeprefix("memory://"), data)


def _request(uri: str, **fields: Any) -> TranscriptionRequest:
    return TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=uri, **fields)


def test_an_object_is_uploaded_whole_and_transcribed(emulator: Any, bucket: str) -> None:
    data = SAMPLE.read_bytes() + uuid.uuid4().bytes  # its own sha256
    _put(f"{bucket}/weather.wav", data)
    hook = AimlSttHook()

    submitted = hook.submit_job(_request(f"{bucket}/weather.wav"))

    assert emulator.stats()["creates_by_sha256"][hashlib.sha256(data).hexdigest()] == 1
    emulated = emulator.jobs.get(submitted.generation_id)
    assert submitted.audio_seconds == pytest.approx(emulated.audio_seconds)  # read from what was sent
    generation_id = submitted.generation_id
    job = wait_until_finished(hook, generation_id)
    assert job.is_completed
    assert job.result["metadata"]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("speech.mp3", mp3_bytes([64] * 3000, 16000)),  # 108 s, well past the head the upload keeps
        ("music.mp3", mp3_bytes([96, 128, 192, 320] * 400, 44100, mono=False, xing=True, id3_tag_bytes=3000)),
        ("speech.flac", flac_bytes(16000 * 42, 16000)),
        ("speech.m4a", mp4_bytes(48000 * 61, 48000)),
    ],
)
def test_a_compressed_objects_duration_is_the_one_the_api_reads(
    emulator: Any, bucket: str, name: str, data: bytes
) -> None:
    _put(f"{bucket}/{name}", data)

    submitted = AimlSttHook().submit_job(_request(f"{bucket}/{name}"))

    emulated = emulator.jobs.get(submitted.generation_id)
    assert submitted.audio_seconds is not None
    assert submitted.audio_seconds == pytest.approx(emulated.audio_seconds, rel=0.01)


@pytest.mark.parametrize(
    ("name", "data", "fields", "message"),
    [
        ("missing.wav", None, {}, "audio_path: no such object"),
        ("empty.wav", b"", {}, "audio_path: file is empty"),
        (
            "big.wav",
            b"x" * 100,
            {"max_upload_bytes": 10},
            "audio_path: file is 100 bytes, over the limit of 10",
        ),
    ],
)
def test_an_unusable_object_is_refused_before_any_request(
    emulator: Any, bucket: str, name: str, data: bytes | None, fields: dict[str, Any], message: str
) -> None:
    if data is not None:
        _put(f"{bucket}/{name}", data)
    before = emulator.stats()["requests_total"]
    with pytest.raises(exc.AimlSttValidationError, match=message):
        AimlSttHook().submit(_request(f"{bucket}/{name}", **fields))
    assert emulator.stats()["requests_total"] == before


def test_a_store_airflow_cannot_reach_is_named(emulator: Any) -> None:
    with pytest.raises(exc.AimlSttValidationError, match=r"audio_path: cannot read 'nosuchfs://b/a.wav'"):
        AimlSttHook().submit(_request("nosuchfs://b/a.wav"))
