"""The per-key concurrency limit: the documented 429 with Retry-After, decided before any job is made."""

from __future__ import annotations

import hashlib
import random

import pytest

from aimlstt_emulator import EmulatorConfig, ManualClock
from aimlstt_emulator.billing import FREE
from aimlstt_emulator.catalog import MODEL_FAMILIES
from aimlstt_emulator.jobs import JobStatus, JobStore
from aimlstt_emulator.slots import ConcurrencyLimitReached
from aimlstt_emulator.usage_log import FAILED
from airflow_provider_aimlstt.models import ApiErrorBody

MODEL = "#g1_nova-2-general"


@pytest.fixture
def limited(emu_server):
    """The test emulator with at most two unfinished jobs, each pending 1 s and running 2 s."""
    config = emu_server.config
    config.max_concurrent_jobs, config.queued_seconds, config.processing_seconds = 2, 1.0, 2.0
    return emu_server


def fill(client, make_wav, count: int = 2) -> list[str]:
    """Make ``count`` jobs, and return their ids."""
    ids = []
    for _ in range(count):
        response = client.create_upload(MODEL, make_wav(0.5))
        assert response.status_code == 201, response.text
        ids.append(response.json()["generation_id"])
    return ids


def test_a_create_over_the_limit_is_the_documented_429_with_retry_after(limited, client, make_wav) -> None:
    fill(client, make_wav)
    audio = make_wav(1.5)
    refused = client.create_upload(MODEL, audio)
    assert refused.status_code == 429
    body = refused.json()
    assert set(body) == {"message", "path", "requestId", "statusCode", "timestamp"}
    parsed = ApiErrorBody.model_validate(body)
    assert (parsed.status_code, parsed.text, parsed.path) == (429, "Too Many Requests", "/v1/stt/create")
    assert refused.headers["Retry-After"] == "3"  # the earliest job finishes 1 + 2 s after its create
    assert refused.headers["x-aimlapi-usd-spent"] == "0.000000000"
    assert refused.headers["x-aimlapi-credits-used"] == "0"

    stats = limited.stats()
    assert stats["concurrency_limited"] == 1 and stats["faults_by_kind"] == {}
    assert stats["creates_total"] == 2 and hashlib.sha256(audio).hexdigest() not in stats["creates_by_sha256"]
    assert stats["create_attempts"] == 3 and stats["responses_by_status"] == {"201": 2, "429": 1}
    assert len(limited.jobs) == 2 and limited.jobs.unfinished(limited.config.api_key) == 2
    assert limited.jobs.get(refused.headers["x-inference-id"]) is None


def test_the_refused_create_is_a_failed_row_at_no_cost(limited, client, make_wav) -> None:
    fill(client, make_wav)
    refused = client.session.post(
        f"{client.base_url}/v1/stt/create",
        json={"model": "nova-3", "url": "https://example.com/late.mp3"},
        headers={"X-Client-Request-Id": "batch-0042"},
    )
    assert refused.status_code == 429
    row = limited.usage_log.rows()[0]
    assert (row.status, row.model, row.cost) == (FAILED, "nova-3", FREE)
    assert row.inference_id == refused.headers["x-inference-id"]
    assert row.request_id == refused.json()["requestId"]
    assert row.client_request_id == "batch-0042"
    assert [other.status for other in limited.usage_log.rows()[1:]] == ["succeeded", "succeeded"]


def test_a_client_that_waits_retry_after_succeeds(limited, client, make_wav) -> None:
    fill(client, make_wav, 1)
    limited.clock.advance(1.5)
    fill(client, make_wav, 1)
    refused = client.create_upload(MODEL, make_wav(0.5))
    wait = int(refused.headers["Retry-After"])
    assert wait == 2  # the first job finishes at 3.0, the clock shows 1.5: 1.5 s, in whole seconds
    limited.clock.advance(wait - 0.75)
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429  # not yet
    limited.clock.advance(0.75)
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 201
    assert limited.stats()["concurrency_limited"] == 2


def test_retry_after_names_the_earliest_finish_among_longer_audio(emu_server, client, make_wav) -> None:
    config = emu_server.config
    config.max_concurrent_jobs, config.processing_seconds_per_audio_second = 2, 1.0
    long_id = client.create_upload(MODEL, make_wav(9.0)).json()["generation_id"]
    client.create_upload(MODEL, make_wav(4.0))
    assert client.create_upload(MODEL, make_wav(1.0)).headers["Retry-After"] == "4"
    emu_server.clock.advance(4.0)
    assert client.create_upload(MODEL, make_wav(1.0)).status_code == 201
    assert client.create_upload(MODEL, make_wav(1.0)).headers["Retry-After"] == "1"
    assert client.fetch(long_id).json()["status"] == "active"


def test_a_job_that_never_finishes_keeps_its_slot_until_it_is_gone(limited, faults, client, make_wav) -> None:
    limited.config.max_concurrent_jobs, limited.config.retention_seconds = 1, 100.0
    faults.set(job_never_finishes=1)
    held = fill(client, make_wav, 1)[0]
    faults.clear()
    limited.clock.advance(50.0)
    assert client.fetch(held).json()["status"] == "waiting"
    refused = client.create_upload(MODEL, make_wav(0.5))
    assert refused.headers["Retry-After"] == "50"  # when its retention ends
    limited.clock.advance(50.0)
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 201


def test_clearing_the_jobs_frees_their_slots(limited, faults, client, make_wav) -> None:
    faults.set(job_never_finishes=1)
    held = fill(client, make_wav)
    assert client.create_upload(MODEL, make_wav(0.5)).headers["Retry-After"] == "3600"
    limited.jobs.clear()
    assert client.fetch(held[0]).status_code == 404 and len(limited.jobs) == 0
    assert limited.jobs.unfinished(limited.config.api_key) == 0 and limited.jobs.footprint() == 0
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 201


def test_failed_jobs_free_their_slot_when_they_end_in_error(limited, client, make_wav) -> None:
    limited.config.max_concurrent_jobs = 1
    generation_id = fill(client, make_wav, 1)[0]
    assert limited.jobs.fail(generation_id, "ModelError", "crashed")
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429
    limited.clock.advance(3.0)
    assert client.fetch(generation_id).json()["status"] == "error"
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 201


def test_invalid_bodies_are_400_before_the_limit(limited, client, make_wav) -> None:
    fill(client, make_wav)
    response = client.create_json({"model": "nova-3", "url": "https://h/a.mp3", "bogus": 1})
    assert response.status_code == 400
    assert limited.stats()["concurrency_limited"] == 0


def test_no_limit_by_default(emu_server, client, make_wav) -> None:
    emu_server.config.queued_seconds = 1000.0
    assert emu_server.config.max_concurrent_jobs is None
    fill(client, make_wav, 30)
    assert emu_server.jobs.unfinished(emu_server.config.api_key) == 30
    emu_server.config.max_concurrent_jobs = 30  # read on every request
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429


def test_timing_changes_apply_to_the_count_at_once(limited, client, make_wav) -> None:
    fill(client, make_wav)
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429
    limited.config.queued_seconds = limited.config.processing_seconds = 0.0
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 201
    limited.config.processing_seconds = 1000.0  # every job is running again
    assert limited.jobs.unfinished(limited.config.api_key) == 3
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 429


def test_a_create_in_progress_holds_a_slot_and_gives_it_back(limited, client, make_wav, monkeypatch) -> None:
    key = limited.config.api_key
    slot = limited.jobs.take_slot(key, 2)
    with slot:
        assert limited.jobs.unfinished(key) == 1
        fill(client, make_wav, 1)
        with pytest.raises(ConcurrencyLimitReached) as refused:
            limited.jobs.take_slot(key, 2)
        assert refused.value.retry_after_seconds == 3
    assert limited.jobs.unfinished(key) == 1  # given back, as no job took it

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(limited.backend, "_job_facts", broken)
    assert client.create_upload(MODEL, make_wav(0.5)).status_code == 500
    assert limited.jobs.unfinished(key) == 1 and len(limited.jobs) == 1


def test_a_slot_takes_one_job_only() -> None:
    jobs = JobStore(EmulatorConfig(queued_seconds=10.0), ManualClock())
    family = MODEL_FAMILIES["nova-3"]
    with jobs.take_slot("k", None) as slot:
        jobs.add("a", "nova-3", family, {}, slot=slot)
        with pytest.raises(ValueError, match=r"^slot: "):
            jobs.add("b", "nova-3", family, {}, slot=slot)
    assert jobs.unfinished("k") == 1 and jobs.unfinished("other-key") == 0


def test_the_count_always_matches_the_statuses() -> None:
    """Random creates, holds, clock moves and timing changes: the count is the brute-force one."""
    config = EmulatorConfig(queued_seconds=0.5, processing_seconds=1.0, retention_seconds=20.0)
    clock, rng = ManualClock(), random.Random(7)
    jobs = JobStore(config, clock)
    family, made = MODEL_FAMILIES["nova-3"], []
    for step in range(3000):
        action = rng.random()
        if action < 0.5:
            with jobs.take_slot("key", None) as slot:
                made.append(
                    jobs.add(f"job-{step}", "nova-3", family, {}, audio_seconds=rng.uniform(0, 5), slot=slot)
                )
        elif action < 0.55 and made:
            jobs.hold(rng.choice(made).generation_id)
        elif action < 0.6:
            config.processing_seconds_per_audio_second = rng.choice([0.0, 0.3, 1.0])
            config.retention_seconds = rng.choice([5.0, 20.0])
        else:
            clock.advance(rng.uniform(0, 0.4))
        made = [job for job in made if jobs.get(job.generation_id) is not None]
        expected = sum(1 for job in made if jobs.status_of(job) not in (JobStatus.COMPLETED, JobStatus.ERROR))
        assert jobs.unfinished("key") == expected, f"step {step}"
