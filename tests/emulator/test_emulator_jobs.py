"""Job life: status progression, failure, retention, the two fetch styles, and the job store's clock."""

from __future__ import annotations

import pytest
import requests

from airflow_provider_aimlstt.emulator import EmulatorConfig, EmulatorServer, ManualClock, MonotonicClock
from airflow_provider_aimlstt.models import FetchResponse, SttStatus


def statuses_while_config_moves(client, emu_server, response) -> list[str]:
    """Walk a job through its phases by changing the timing settings while it runs."""
    generation_id = response.json()["generation_id"]
    config = emu_server.config
    seen = []
    config.queued_seconds, config.processing_seconds = 1000.0, 1000.0
    seen.append(client.fetch(generation_id).json()["status"])
    config.queued_seconds = 0.0
    seen.append(client.fetch(generation_id).json()["status"])
    config.processing_seconds = 0.0
    seen.append(client.fetch(generation_id).json()["status"])
    return seen


def test_legacy_families_go_waiting_active_completed(client, emu_server, make_wav) -> None:
    emu_server.config.queued_seconds = 1000.0
    response = client.create_upload("#g1_nova-2-general", make_wav(0.5))
    assert statuses_while_config_moves(client, emu_server, response) == ["waiting", "active", "completed"]


@pytest.mark.parametrize(
    "model", ["aai/universal", "openai/gpt-4o-transcribe", "microsoft/mai-transcribe-1.5"]
)
def test_newer_families_go_queued_generating_completed(client, emu_server, make_wav, model) -> None:
    emu_server.config.queued_seconds = 1000.0
    response = client.create_upload(model, make_wav(0.5))
    assert statuses_while_config_moves(client, emu_server, response) == ["queued", "generating", "completed"]


def test_status_follows_the_clock(client, emu_server, make_wav) -> None:
    emu_server.config.queued_seconds, emu_server.config.processing_seconds = 0.3, 0.3
    generation_id = client.create_upload("aai/universal", make_wav(0.5)).json()["generation_id"]
    first = client.fetch(generation_id).json()
    assert first == {"generation_id": generation_id, "status": "queued", "result": None}
    emu_server.clock.advance(0.29)
    assert client.fetch(generation_id).json()["status"] == "queued"
    emu_server.clock.advance(0.01)
    assert client.fetch(generation_id).json()["status"] == "generating"
    emu_server.clock.advance(0.3)
    assert client.fetch(generation_id).json()["status"] == "completed"


def test_pending_answers_have_no_result(client, emu_server, make_wav) -> None:
    emu_server.config.queued_seconds = 1000.0
    generation_id = client.create_upload("#g1_nova-2-general", make_wav(0.5)).json()["generation_id"]
    fetched = FetchResponse.model_validate(client.fetch(generation_id).json())
    assert fetched.result is None and SttStatus.parse(fetched.status) is SttStatus.WAITING


@pytest.mark.parametrize("style", ["legacy", "universal"])
def test_a_failed_job_ends_in_error(client, emu_server, make_wav, style) -> None:
    emu_server.config.fetch_style = style
    generation_id = client.create_upload("#g1_nova-2-general", make_wav(0.5)).json()["generation_id"]
    assert emu_server.jobs.fail(generation_id, "ModelError", "the model crashed")
    body = client.fetch(generation_id).json()
    fetched = FetchResponse.model_validate(body)
    assert fetched.is_failed and fetched.result is None
    assert body["error"] == {"name": "ModelError", "message": "the model crashed"}
    assert not emu_server.jobs.fail("no-such-id")


def test_universal_fetch_style(client, emu_server, make_wav, sidecar_text) -> None:
    emu_server.config.fetch_style = "universal"
    generation_id = client.create_upload("aai/universal", make_wav(0.5), filename="hello.wav").json()[
        "generation_id"
    ]
    body = client.fetch(generation_id).json()
    assert set(body) == {"id", "status", "output", "error"}
    assert body["id"] == generation_id and body["status"] == "completed" and body["error"] is None
    assert body["output"]["text"] == sidecar_text
    assert FetchResponse.model_validate(body).result["text"] == sidecar_text


def test_unknown_generation_is_404(client) -> None:
    response = client.fetch("RlLz0hRdAs9voL5Qi1Pzr")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404 and response.json()["path"] == "/v1/stt/RlLz0hRdAs9voL5Qi1Pzr"


def test_generation_is_404_after_retention(client, emu_server, make_wav) -> None:
    generation_id = client.create_upload("nova-3", make_wav(0.5)).json()["generation_id"]
    emu_server.clock.advance(3600.0)  # the default retention, to the second: still there
    assert client.fetch(generation_id).status_code == 200
    emu_server.clock.advance(0.001)
    assert client.fetch(generation_id).status_code == 404
    assert len(emu_server.jobs) == 0


def test_the_real_time_clock_can_skip_ahead(emu_config, api_key) -> None:
    emu_config.queued_seconds, emu_config.processing_seconds = 1000.0, 1000.0
    with EmulatorServer(emu_config) as server:
        assert isinstance(server.clock, MonotonicClock)
        headers = {"Authorization": f"Bearer {api_key}"}
        created = requests.post(
            f"{server.base_url}/v1/stt/create",
            json={"model": "nova-3", "url": "https://h/a.mp3"},
            headers=headers,
        )
        fetch_url = f"{server.base_url}/v1/stt/{created.json()['generation_id']}"
        assert requests.get(fetch_url, headers=headers).json()["status"] == "waiting"
        server.clock.advance(1000.0)
        assert requests.get(fetch_url, headers=headers).json()["status"] == "active"
        server.clock.advance(1000.0)
        assert requests.get(fetch_url, headers=headers).json()["status"] == "completed"


def test_a_given_clock_is_the_job_stores(emu_config) -> None:
    clock = ManualClock(start=50.0)
    server = EmulatorServer(emu_config, clock=clock)
    assert server.clock is clock is server.jobs.clock
    clock.advance(2.5)
    assert server.clock.now() == 52.5
    with pytest.raises(ValueError, match=r"^seconds: "):
        clock.advance(-1.0)
    with pytest.raises(ValueError, match=r"^seconds: "):
        MonotonicClock().advance(float("inf"))
    assert EmulatorServer(EmulatorConfig()).clock is not clock
