"""The code examples of the API's documentation, run against the emulator with plain ``requests``.

The two functions below follow the documentation's examples line for line; only ``base_url``,
``api_key`` and the polling pause differ: instead of sleeping, a poll moves the emulator's clock on.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from aimlstt_emulator import EmulatorConfig, EmulatorServer, ManualClock
from tests.encoded_audio import mp3_bytes, mp3_seconds

POLL_PAUSE_SECONDS = 0.05


@pytest.fixture
def slow_server(emu_config: EmulatorConfig) -> EmulatorServer:
    emu_config.queued_seconds = 0.15
    emu_config.processing_seconds = 0.15
    with EmulatorServer(emu_config, clock=ManualClock()) as server:
        yield server


def run_docs_example(
    server: EmulatorServer, base_url: str, api_key: str, create_stt
) -> tuple[dict, list[str]]:
    def get_stt(gen_id):
        url = f"{base_url}/stt/{gen_id}"
        headers = {
            "Authorization": f"Bearer {api_key}",
        }
        response = requests.get(url, headers=headers)
        return response.json()

    seen: list[str] = []
    stt_response = create_stt()
    gen_id = stt_response.get("generation_id")
    assert gen_id
    start_time = time.time()
    timeout = 20
    while time.time() - start_time < timeout:
        response_data = get_stt(gen_id)
        assert response_data is not None
        status = response_data.get("status")
        seen.append(status)
        if status == "waiting" or status == "active":
            server.clock.advance(POLL_PAUSE_SECONDS)
        else:
            return response_data, seen
    raise AssertionError("Timeout reached")


def test_example_1_url_source(slow_server: EmulatorServer, api_key: str, sidecar_text: str) -> None:
    base_url = f"{slow_server.base_url}/v1"

    def create_stt():
        url = f"{base_url}/stt/create"
        headers = {
            "Authorization": f"Bearer {api_key}",
        }
        data = {
            "model": "#g1_whisper-large",
            "url": "https://audio-samples.github.io/samples/mp3/blizzard_primed/sample-0.mp3",
        }
        response = requests.post(url, json=data, headers=headers)
        assert response.status_code == 201
        return response.json()

    response_data, seen = run_docs_example(slow_server, base_url, api_key, create_stt)
    transcript = response_data["result"]["results"]["channels"][0]["alternatives"][0]["transcript"]
    assert transcript == sidecar_text
    assert seen[0] == "waiting" and "active" in seen and seen[-1] == "completed"


def test_example_2_file_upload(
    slow_server: EmulatorServer, api_key: str, sidecar_text: str, tmp_path: Path
) -> None:
    base_url = f"{slow_server.base_url}/v1"
    sample = tmp_path / "stt-sample.mp3"
    sample.write_bytes(mp3_bytes([32] * 50, sample_rate=16000, id3_tag_bytes=200))

    def create_stt():
        url = f"{base_url}/stt/create"
        headers = {
            "Authorization": f"Bearer {api_key}",
        }
        data = {
            "model": "#g1_whisper-large",
        }
        with open(sample, "rb") as file:
            files = {"audio": ("sample.mp3", file, "audio/mpeg")}
            response = requests.post(url, data=data, headers=headers, files=files)
        assert response.status_code == 201
        return response.json()

    response_data, seen = run_docs_example(slow_server, base_url, api_key, create_stt)
    result = response_data["result"]
    assert result["results"]["channels"][0]["alternatives"][0]["transcript"] == sidecar_text
    assert result["metadata"]["emulator"]["transcript_source"] == "sidecar"
    assert result["metadata"]["duration"] == pytest.approx(mp3_seconds(50, 16000))
    assert seen[-1] == "completed"
