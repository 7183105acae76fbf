"""The triggers' shared HTTP clients, and a wait that follows a job's expected completion."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_aimlstt.hooks import async_clients
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.hooks.connection import ConnectionSettings
from airflow_provider_aimlstt.models import SttTriggerEvent, TranscriptionRequest
from airflow_provider_aimlstt.polling import lateness_allowed
from airflow_provider_aimlstt.protocol import FETCH_PATH
from airflow_provider_aimlstt.triggers.job import AimlSttTrigger
from tests.conftest import AUDIO_DIR

SAMPLE = AUDIO_DIR / "support_call.wav"
FETCH_ROUTE = f"GET {FETCH_PATH}"


def _settings(base_url: str = "http://127.0.0.1:1") -> ConnectionSettings:
    return ConnectionSettings(base_url=base_url, api_key="secret-key")


def test_one_client_per_loop_settings_and_shard_and_never_keyed_by_the_key() -> None:
    async def clients() -> tuple[object, ...]:
        same = async_clients.shared_client(_settings(), "g-1")
        again = async_clients.shared_client(ConnectionSettings("http://127.0.0.1:1", api_key="other"), "g-1")
        elsewhere = async_clients.shared_client(_settings("http://127.0.0.1:2"), "g-1")
        return same, again, elsewhere

    first_loop = asyncio.run(clients())
    assert first_loop[0] is first_loop[1]  # another key, same client: the key travels per request
    assert first_loop[0] is not first_loop[2]
    second_loop = asyncio.run(clients())
    assert second_loop[0] is not first_loop[0]  # a client belongs to the loop that made it
    keys = {async_clients.client_key(_settings(), f"g-{number}") for number in range(1000)}
    assert len(keys) == async_clients.SHARDS  # a thousand waits spread over every shard
    assert all("secret-key" not in repr(key) for key in keys)


def test_a_closed_loops_clients_are_dropped() -> None:
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(_make_client())
    loop.close()
    asyncio.run(_make_client())  # a lookup in a new loop drops the closed one's entry
    assert loop not in async_clients._clients
    assert client is not None


async def _make_client() -> object:
    return async_clients.shared_client(_settings(), "g")


def _submit() -> str:
    return AimlSttHook().submit(
        TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(SAMPLE))
    )


def test_the_shared_client_survives_one_triggers_end(emulator) -> None:
    emulator.config.processing_seconds = 1.5
    quick, slow = _submit(), _submit()
    emulator.config.processing_seconds = 0.4

    async def both() -> list[list[dict]]:
        def trigger(generation_id: str) -> AimlSttTrigger:
            return AimlSttTrigger(generation_id, "aimlstt_default", time.time() + 30, poke_interval=0.1)

        async def events(generation_id: str) -> list[dict]:
            return [event.payload async for event in trigger(generation_id).run()]

        settings = await AimlSttHook()._aget_settings()
        fast_done = asyncio.create_task(events(quick))
        slow_done = asyncio.create_task(events(slow))
        first = await fast_done
        shared = [async_clients.shared_client(settings, gid) for gid in (quick, slow)]
        assert not any(client.is_closed for client in shared)  # the ended wait closed nothing shared
        result = [first, await slow_done]
        await async_clients.aclose_shared_clients()
        assert all(client.is_closed for client in shared)
        return result

    for events in asyncio.run(both()):
        assert [SttTriggerEvent.model_validate(event).status for event in events] == ["success"]


def _fetches(emulator) -> int:
    return int(emulator.stats()["requests_by_route"].get(FETCH_ROUTE, 0))


@pytest.mark.parametrize("misprediction", [1.0, 0.6])
def test_a_predicted_job_is_noticed_within_the_goal_with_few_polls(emulator, misprediction: float) -> None:
    emulator.config.queued_seconds = 0.5
    emulator.config.processing_seconds = 2.5
    submitted_at = time.time()
    generation_id = _submit()
    job_seconds = 3.0
    expected = job_seconds * misprediction  # 0.6: the job runs 2/3 longer than predicted
    before = _fetches(emulator)
    trigger = AimlSttTrigger(
        generation_id,
        "aimlstt_default",
        deadline=time.time() + 30,
        poke_interval=0.2,
        submitted_at=submitted_at,
        expected_finish=[expected - 0.2, expected],
    )
    [payload] = asyncio.run(_collect(trigger))
    event = SttTriggerEvent.model_validate(payload)
    assert event.status == "success"
    assert event.found_at is not None
    late = event.found_at - (submitted_at + job_seconds)
    assert late <= lateness_allowed(job_seconds) + 0.3  # + the poll's own round trip
    polls = _fetches(emulator) - before
    assert polls <= (1 if misprediction == 1.0 else 4)  # a 0.2 s backoff would have made 15


def test_a_prediction_beyond_the_deadline_still_ends_at_the_deadline(emulator) -> None:
    emulator.config.processing_seconds = 30
    generation_id = _submit()
    trigger = AimlSttTrigger(
        generation_id,
        "aimlstt_default",
        deadline=time.time() + 1.0,
        submitted_at=time.time(),
        expected_finish=[590, 600],
    )
    started = time.monotonic()
    [payload] = asyncio.run(_collect(trigger))
    assert SttTriggerEvent.model_validate(payload).status == "timeout"
    assert time.monotonic() - started < 5


async def _collect(trigger: AimlSttTrigger) -> list[dict]:
    return [event.payload async for event in trigger.run()]
