"""Job life: status progression, failure, retention, the two fetch styles, and the job store's clock."""

from __future__ import annotations

import pytest
import requests

from aimlstt_emulator import EmulatorConfig, EmulatorServer, ManualClock, MonotonicClock
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


def test_processing_grows_with_the_audios_length(client, emu_server, make_wav) -> None:
    config = emu_server.config
    config.queued_seconds, config.processing_seconds, config.processing_seconds_per_audio_second = (
        1.0,
        2.0,
        0.5,
    )
    long_id = client.create_upload("aai/universal", make_wav(8.0)).json()["generation_id"]
    short_id = client.create_upload("aai/universal", make_wav(2.0)).json()["generation_id"]
    assert emu_server.jobs.get(long_id).audio_seconds == 8.0
    emu_server.clock.advance(3.99)  # the short one: 1 + 2 + 0.5 * 2 = 4 s
    assert [client.fetch(i).json()["status"] for i in (short_id, long_id)] == ["generating", "generating"]
    emu_server.clock.advance(0.01)
    assert [client.fetch(i).json()["status"] for i in (short_id, long_id)] == ["completed", "generating"]
    emu_server.clock.advance(2.0)  # the long one: 1 + 2 + 0.5 * 8 = 7 s
    assert client.fetch(long_id).json()["status"] == "generating"
    emu_server.clock.advance(1.0)
    assert client.fetch(long_id).json()["status"] == "completed"


def test_a_url_without_audio_takes_the_nominal_durations_time(client, emu_server) -> None:
    config = emu_server.config
    config.processing_seconds_per_audio_second, config.nominal_duration_seconds = 1.0, 10.0
    generation_id = client.create_json({"model": "nova-3", "url": "https://h/none.mp3"}).json()[
        "generation_id"
    ]
    job = emu_server.jobs.get(generation_id)
    assert emu_server.jobs.finishes_at(job) == job.created_at + 10.0
    emu_server.clock.advance(9.5)
    assert client.fetch(generation_id).json()["status"] == "active"
    emu_server.clock.advance(0.5)
    assert client.fetch(generation_id).json()["status"] == "completed"


def test_without_the_factor_every_job_takes_the_same_time(client, emu_server, make_wav) -> None:
    emu_server.config.processing_seconds = 1.0
    ids = [
        client.create_upload("nova-3", make_wav(seconds)).json()["generation_id"] for seconds in (0.5, 30.0)
    ]
    emu_server.clock.advance(1.0)
    assert [client.fetch(i).json()["status"] for i in ids] == ["completed", "completed"]


def test_a_spread_varies_each_jobs_processing_by_a_factor_fixed_by_its_id(
    client, emu_server, make_wav
) -> None:
    config = emu_server.config
    config.queued_seconds, config.processing_seconds, config.processing_spread = 1.0, 10.0, 0.2
    ids = [client.create_upload("nova-3", make_wav(0.5)).json()["generation_id"] for _ in range(60)]
    jobs = [emu_server.jobs.get(generation_id) for generation_id in ids]
    took = [emu_server.jobs.finishes_at(job) - job.created_at for job in jobs]
    assert all(1.0 + 8.0 <= seconds <= 1.0 + 12.0 for seconds in took)  # queueing is not scaled
    assert max(took) - min(took) > 3.0 and abs(sum(took) / len(took) - 11.0) < 0.6
    assert took == [emu_server.jobs.finishes_at(job) - job.created_at for job in jobs]  # fixed per job
    slowest = jobs[took.index(max(took))]
    emu_server.clock.advance(max(took) - 0.01)
    assert client.fetch(slowest.generation_id).json()["status"] == "active"
    emu_server.clock.advance(0.01)
    assert client.fetch(slowest.generation_id).json()["status"] == "completed"
    config.processing_spread = 0.0
    assert {emu_server.jobs.finishes_at(job) - job.created_at for job in jobs} == {11.0}
    with pytest.raises(ValueError, match="processing_spread"):
        EmulatorConfig(processing_spread=1.0)


def test_the_real_time_clock_moves_retention_and_slots(emu_config, api_key) -> None:
    emu_config.queued_seconds, emu_config.processing_seconds = 1000.0, 1000.0
    emu_config.retention_seconds, emu_config.max_concurrent_jobs = 5000.0, 1
    with EmulatorServer(emu_config) as server:
        assert isinstance(server.clock, MonotonicClock)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api_key}"
        body = {"model": "nova-3", "url": "https://h/a.mp3"}
        created = session.post(f"{server.base_url}/v1/stt/create", json=body)
        fetch_url = f"{server.base_url}/v1/stt/{created.json()['generation_id']}"
        refused = session.post(f"{server.base_url}/v1/stt/create", json=body)
        assert refused.status_code == 429 and 1990 <= int(refused.headers["Retry-After"]) <= 2000
        server.clock.advance(2000.0)
        assert session.get(fetch_url).json()["status"] == "completed"
        assert session.post(f"{server.base_url}/v1/stt/create", json=body).status_code == 201
        server.clock.advance(3001.0)  # past 5000 s after the first create: its retention is over
        assert session.get(fetch_url).status_code == 404
        assert len(server.jobs) == 1
