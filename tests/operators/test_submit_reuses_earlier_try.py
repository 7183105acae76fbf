"""A retried submit task reuses the earlier try's job while it is usable, and submits again otherwise."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.operators.submission_state import (
    STATE_KEY,
    remember_submission,
    request_fingerprint,
    reusable_submission,
)
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_3_PLUS
from tests.airflow_compat import return_value
from tests.conftest import AUDIO_DIR
from tests.e2e.support import task_states
from tests.helpers import wait_until_finished

MEETING_NOTE = AUDIO_DIR / "meeting_note.wav"
LOG = logging.getLogger("test")


class MemoryStore:
    """The two methods of Airflow's task state store the operator uses, kept in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, **_: Any) -> None:
        self.values[key] = value


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _creates(emulator: Any, path: Path) -> int:
    return int(emulator.stats()["creates_by_sha256"].get(_sha256(path), 0))


@pytest.mark.usefixtures("airflow_db")
def test_a_retry_after_the_worker_died_reuses_the_job(load_dag: Any, emulator: Any, logs: Any) -> None:
    creates_before = _creates(emulator, MEETING_NOTE)

    dag_run = load_dag("aimlstt_test_retry_after_submit").test()

    assert dag_run.state == "success", task_states(dag_run)
    (ti,) = dag_run.get_task_instances()
    assert ti.try_number == 2
    assert _creates(emulator, MEETING_NOTE) - creates_before == 1  # submitted once, for two tries
    generation_id = return_value(dag_run, "submit")
    assert emulator.jobs.get(generation_id) is not None
    # Below 3.3 the usage log stands in for the task state store (its row shows after a delay: the
    # retry looks until it does), and the first try says so once.
    text = logs()
    said = f"no task state store (3.3+): a retry of this task finds generation_id={generation_id}"
    if AIRFLOW_V_3_3_PLUS:
        assert "no task state store" not in text
    else:
        assert said in text
        assert f"Reusing generation_id={generation_id}, which an earlier try submitted (the usage log" in text


@pytest.fixture
def hook(emulator: Any) -> AimlSttHook:
    return AimlSttHook()


def _request(path: Path = MEETING_NOTE, **options: Any) -> TranscriptionRequest:
    return TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(path), options=options)


def _fingerprint(request: TranscriptionRequest) -> str:
    """What a try would compare: the request and its audio, checked as the operator does."""
    return request_fingerprint(request, AudioSource.of(request).checked())


def _submitted(hook: AimlSttHook, store: MemoryStore, request: TranscriptionRequest) -> str:
    job = hook.submit_job(request)
    remember_submission({"task_state_store": store}, _fingerprint(request), job, LOG)
    return job.generation_id


def _reused(context: Any, hook: AimlSttHook, request: TranscriptionRequest) -> str | None:
    job = reusable_submission(context, hook, _fingerprint(request), LOG)
    return job.generation_id if job is not None else None


def test_a_pending_or_completed_job_is_reused(hook: AimlSttHook, emulator: Any) -> None:
    emulator.config.processing_seconds = 2.0
    store, request = MemoryStore(), _request()
    generation_id = _submitted(hook, store, request)
    context = {"task_state_store": store}

    assert hook.get_job(generation_id).is_completed is False
    assert _reused(context, hook, request) == generation_id
    wait_until_finished(hook, generation_id)
    assert _reused(context, hook, request) == generation_id


def test_a_job_that_ended_in_error_is_not_reused(hook: AimlSttHook, emulator: Any) -> None:
    store, request = MemoryStore(), _request()
    generation_id = _submitted(hook, store, request)
    assert emulator.jobs.fail(generation_id, "AudioError", "the audio could not be decoded")
    assert wait_until_finished(hook, generation_id).is_failed

    assert _reused({"task_state_store": store}, hook, request) is None


def test_an_expired_job_is_not_reused(hook: AimlSttHook, emulator: Any) -> None:
    store, request = MemoryStore(), _request()
    _submitted(hook, store, request)
    emulator.config.retention_seconds = 0.0  # everything already past its hour

    assert _reused({"task_state_store": store}, hook, request) is None


def test_a_changed_request_is_not_answered_with_the_old_job(
    hook: AimlSttHook, emulator: Any, tmp_path: Path
) -> None:
    store = MemoryStore()
    copy = tmp_path / "note.wav"
    shutil.copy(MEETING_NOTE, copy)
    _submitted(hook, store, _request(copy))
    context = {"task_state_store": store}

    assert _reused(context, hook, _request(copy, diarize=True)) is None
    assert _reused(context, hook, _request(AUDIO_DIR / "product_note.wav")) is None
    with copy.open("ab") as audio:
        audio.write(b"\0\0")  # same path, new content
    assert _reused(context, hook, _request(copy)) is None


def test_no_store_means_no_reuse_and_no_error(hook: AimlSttHook, emulator: Any) -> None:
    assert _reused({}, hook, _request()) is None
    remember_submission({}, _fingerprint(_request()), SubmittedJob(generation_id="abc"), LOG)  # warns only


def test_the_store_holds_no_secret(hook: AimlSttHook, emulator: Any) -> None:
    store, request = MemoryStore(), _request()
    generation_id = _submitted(hook, store, request)
    stored = store.values[STATE_KEY]
    assert set(stored) == {"generation_id", "fingerprint", "submitted_at", "client_request_id", "charge"}
    assert stored["generation_id"] == generation_id
    assert emulator.config.api_key not in repr(store.values)


def test_a_reused_job_keeps_its_client_request_id_and_charge(hook: AimlSttHook, emulator: Any) -> None:
    store, request = MemoryStore(), _request()
    generation_id = _submitted(hook, store, request)
    stored = store.values[STATE_KEY]

    reused = reusable_submission({"task_state_store": store}, hook, _fingerprint(request), LOG)

    assert reused is not None and reused.reused
    assert reused.generation_id == generation_id
    assert reused.client_request_id == stored["client_request_id"]
    assert reused.charge is not None and reused.charge.model_dump(mode="json") == stored["charge"]


class RefusingStore(MemoryStore):
    """A task state store whose writes Airflow refuses (as when its API server no longer finds the
    task instance, seen after a scheduler was killed and restarted)."""

    def set(self, key: str, value: Any, **_: Any) -> None:
        raise RuntimeError("API_SERVER_ERROR: 404 Task instance not found")


def test_a_retry_finds_the_create_an_earlier_try_could_not_store_in_the_usage_log(
    hook: AimlSttHook, emulator: Any
) -> None:
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from airflow_provider_aimlstt.operators.submission_state import submit_once

    emulator.config.usage_log_delay_seconds = 0.0
    request = _request()
    audio = AudioSource.of(request).checked()
    dag_run = SimpleNamespace(start_date=datetime.now(timezone.utc))
    creates_before = _creates(emulator, MEETING_NOTE)

    def context(try_number: int, store: MemoryStore) -> dict[str, Any]:
        ti = SimpleNamespace(dag_id="d", run_id="r", task_id="t", map_index=-1, try_number=try_number)
        return {"ti": ti, "dag_run": dag_run, "task_state_store": store}

    with pytest.raises(RuntimeError, match="Task instance not found"):  # the job exists, unrecorded
        submit_once(context(1, RefusingStore()), hook, request, audio, LOG)
    store = MemoryStore()
    second = submit_once(context(2, store), hook, request, audio, LOG)

    assert second.reused and _creates(emulator, MEETING_NOTE) - creates_before == 1
    assert store.values[STATE_KEY]["generation_id"] == second.generation_id  # kept for a third try
    assert emulator.jobs.get(second.generation_id) is not None


def test_without_a_store_a_retry_reuses_the_newest_live_job_not_an_older_failed_one(
    hook: AimlSttHook, emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Below Airflow 3.3 (no task state store) every try sends one client request id: the third try
    must find the second try's job, though its usage-log row shows after the first's failed one."""
    import time
    import uuid
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from airflow_provider_aimlstt.operators.submission_state import submit_once

    caplog.set_level(logging.INFO)
    emulator.config.usage_log_delay_seconds = 0.0
    run_id = f"r-{uuid.uuid4().hex}"  # a task instance of its own: its client request id too
    request = _request()
    audio = AudioSource.of(request).checked()
    dag_run = SimpleNamespace(start_date=datetime.now(timezone.utc))
    creates_before = _creates(emulator, MEETING_NOTE)

    def context(try_number: int) -> dict[str, Any]:
        ti = SimpleNamespace(
            dag_id="d",
            run_id=run_id,
            task_id="t",
            map_index=-1,
            try_number=try_number,
            start_date=datetime.now(timezone.utc),
        )
        return {"ti": ti, "dag_run": dag_run}

    first = submit_once(context(1), hook, request, audio, LOG)
    assert emulator.jobs.fail(first.generation_id, "AudioError", "the audio could not be decoded")
    assert wait_until_finished(hook, first.generation_id).is_failed
    emulator.config.usage_log_delay_seconds = 1.5  # its row shows late

    started = time.monotonic()
    second = submit_once(context(2), hook, request, audio, LOG)
    assert time.monotonic() - started < 10  # the only earlier job shows, and failed: no wait
    assert not second.reused and second.generation_id != first.generation_id
    assert f"An earlier try's generation_id={first.generation_id} ended in error" in caplog.text

    third = submit_once(context(3), hook, request, audio, LOG)

    assert third.reused and third.generation_id == second.generation_id
    assert _creates(emulator, MEETING_NOTE) - creates_before == 2


def test_a_retry_whose_create_answer_is_lost_adopts_its_own_job_not_an_earlier_trys(
    hook: AimlSttHook, emulator: Any
) -> None:
    """Each try's create has its own client request id: the usage-log lookup of a lost answer finds
    the job this try made, not the earlier try's failed one (whose row shows first)."""
    import uuid
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from airflow_provider_aimlstt.operators.submission_state import submit_once

    emulator.config.usage_log_delay_seconds = 0.0
    request = _request()
    audio = AudioSource.of(request).checked()
    dag_run = SimpleNamespace(start_date=datetime.now(timezone.utc))
    run_id = f"r-{uuid.uuid4().hex}"

    def context(try_number: int) -> dict[str, Any]:
        ti = SimpleNamespace(
            dag_id="d", run_id=run_id, task_id="t", map_index=-1, try_number=try_number, start_date=None
        )
        return {"ti": ti, "dag_run": dag_run}

    first = submit_once(context(1), hook, request, audio, LOG)
    assert emulator.jobs.fail(first.generation_id, "AudioError", "the audio could not be decoded")
    assert wait_until_finished(hook, first.generation_id).is_failed
    emulator.config.usage_log_delay_seconds = 1.0
    emulator.faults.set(routes=["create"], drop_connection=1.0, seed=1)  # the job is made, its answer lost

    second = submit_once(context(2), hook, request, audio, LOG)

    assert second.found_in_usage_log and second.generation_id != first.generation_id
    assert emulator.jobs.get(second.generation_id) is not None
