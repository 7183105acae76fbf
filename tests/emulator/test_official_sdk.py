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
from aimlapi import AIMLAPI

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
