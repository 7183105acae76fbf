"""The official Python SDK (``aimlapi-sdk-python``) as a client of a running emulator.

``AIMLAPI().audio.transcriptions.create`` uploads the file in multipart field ``audio`` (for every
model, the OpenAI ones included), then polls ``GET /stt/{generation_id}`` while the status is one
of its pending statuses, sleeping ``poll_interval`` between polls, and returns the last answer.
The emulator runs on real time here, since the SDK sleeps for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aimlapi import AIMLAPI, BadRequestError

from aimlstt_emulator import EmulatorConfig, EmulatorServer, MonotonicClock


@pytest.fixture
def live_server(emu_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """An emulator on real time whose jobs queue and run for a fifth of a second each."""
    emu_config.queued_seconds, emu_config.processing_seconds = 0.2, 0.2
    with EmulatorServer(emu_config) as server:
        assert isinstance(server.clock, MonotonicClock)
        yield server


def transcript_of(model: str, result: dict[str, Any]) -> str:
    if model.startswith(("#g1_", "nova-", "whisper-")):
        text: str = result["results"]["channels"][0]["alternatives"][0]["transcript"]
        return text
    return str(result["text"])


@pytest.mark.parametrize("style", ["legacy", "universal"])
@pytest.mark.parametrize(
    "model",
    ["#g1_nova-2-general", "aai/universal", "openai/gpt-4o-transcribe", "microsoft/mai-transcribe-1.5"],
)
def test_the_sdk_transcribes_a_file_with_each_family(
    live_server, api_key, make_wav, sidecar_text, tmp_path: Path, model, style
) -> None:
    live_server.config.fetch_style = style
    audio = tmp_path / "hello.wav"
    audio.write_bytes(make_wav(1.5))
    client = AIMLAPI(api_key=api_key, base_url=f"{live_server.base_url}/v1", max_retries=0)
    with audio.open("rb") as file:
        answer = client.audio.transcriptions.create(
            file=file, model=model, poll_interval=0.05, poll_timeout=30
        )
    assert answer["status"] == "completed", answer
    result = answer["result"] if style == "legacy" else answer["output"]
    assert transcript_of(model, result) == sidecar_text
    generation_id = answer["generation_id"] if style == "legacy" else answer["id"]
    assert live_server.jobs.get(generation_id).model == model
    requests_by_route = live_server.stats()["requests_by_route"]
    assert (
        requests_by_route["POST /v1/stt/create"] == 1
        and requests_by_route["GET /v1/stt/{generation_id}"] >= 1
    )


GARBAGE = bytes(range(7, 256)) * 160  # no audio format starts so


@pytest.mark.parametrize("model", ["#g1_nova-2-general", "openai/gpt-4o-transcribe"])
def test_the_sdk_raises_the_400_of_a_family_that_refuses_undecodable_audio_at_create(
    live_server, api_key, tmp_path: Path, model
) -> None:
    audio = tmp_path / "garbage.mp3"
    audio.write_bytes(GARBAGE)
    client = AIMLAPI(api_key=api_key, base_url=f"{live_server.base_url}/v1", max_retries=0)
    with audio.open("rb") as file, pytest.raises(BadRequestError) as raised:
        client.audio.transcriptions.create(file=file, model=model, poll_interval=0.05, poll_timeout=30)
    assert raised.value.status_code == 400
    assert "corrupt" in raised.value.message and "garbage.mp3" in raised.value.message
    assert live_server.stats()["requests_by_route"].get("GET /v1/stt/{generation_id}") is None


@pytest.mark.parametrize("style", ["legacy", "universal"])
def test_the_sdk_returns_the_error_of_an_assemblyai_job_of_undecodable_audio(
    live_server, api_key, tmp_path: Path, style
) -> None:
    live_server.config.fetch_style = style
    audio = tmp_path / "garbage.mp3"
    audio.write_bytes(GARBAGE)
    client = AIMLAPI(api_key=api_key, base_url=f"{live_server.base_url}/v1", max_retries=0)
    with audio.open("rb") as file:
        answer = client.audio.transcriptions.create(
            file=file, model="aai/universal", poll_interval=0.05, poll_timeout=30
        )
    assert answer["status"] == "error", answer
    assert answer["error"]["message"].startswith("Transcoding failed. File does not appear to contain audio.")
    assert "garbage.mp3" in answer["error"]["message"]
