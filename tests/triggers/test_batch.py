"""The batch trigger's run() against the emulator: when it fires, what it reports, how it polls."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_aimlstt.defaults import RESULT_RETENTION_SECONDS as RETENTION_SECONDS
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.protocol import FETCH_PATH
from airflow_provider_aimlstt.triggers import batch as batch_trigger
from airflow_provider_aimlstt.triggers.batch import (
    FAILED_POLL,
    GONE,
    RETENTION_MARGIN_SECONDS,
    AimlSttBatchTrigger,
)
from tests.conftest import AUDIO_DIR, TEST_API_KEY, connection_json

SAMPLE = AUDIO_DIR / "support_call.wav"
TRANSCRIPT = (AUDIO_DIR / "support_call.txt").read_text().strip()
FETCH_ROUTE = f"GET {FETCH_PATH}"
HANG_GUARD_SECONDS = 10.0
"""A run() that has not ended by then is stuck: fail instead of hanging the suite."""


def _unknown_id(n: int = 0) -> str:
    """A well-formed generation id the emulator never issued (it answers 404)."""
    return f"6f1c8a52-1111-4222-8333-9444555{n:05d}"


def _submit(count: int = 1) -> list[str]:
    """Create ``count`` jobs on the emulator through the ``aimlstt_default`` connection."""
    hook = AimlSttHook()
    request = TranscriptionRequest.build(model="#g1_nova-2-general", audio_path=str(SAMPLE))
    return [hook.submit(request) for _ in range(count)]


def _finish_all(emulator: Any) -> None:
    """Age every job on the emulator past its processing, so each unheld one is finished."""
    emulator.clock.advance(60.0)


SCHEDULE_CONSTANTS = ("FIRST_POLL_SECONDS", "MAX_POLL_SECONDS", "MAX_CONCURRENT_POLLS")
"""The trigger module's poll schedule: internal constants, set by :func:`_trigger` for one test."""


@pytest.fixture(autouse=True)
def _restore_poll_schedule() -> Iterator[None]:
    """Put back the trigger module's schedule constants that :func:`_trigger` set."""
    saved = {name: getattr(batch_trigger, name) for name in SCHEDULE_CONSTANTS}
    yield
    for name, value in saved.items():
        setattr(batch_trigger, name, value)


def _trigger(
    generation_ids: list[str],
    deadline_in: float = 5.0,
    poke_interval: float = 0.05,
    max_poke_interval: float = 0.2,
    max_concurrent_polls: int | None = None,
    **kwargs: Any,
) -> AimlSttBatchTrigger:
    """A trigger on the ``aimlstt_default`` connection, polling on the schedule given: the
    module's constants (no trigger argument), set for this test only."""
    batch_trigger.FIRST_POLL_SECONDS = poke_interval
    batch_trigger.MAX_POLL_SECONDS = max_poke_interval
    if max_concurrent_polls is not None:
        batch_trigger.MAX_CONCURRENT_POLLS = max_concurrent_polls
    return AimlSttBatchTrigger(
        generation_ids=generation_ids,
        aimlstt_conn_id="aimlstt_default",
        deadline=time.time() + deadline_in,
        **kwargs,
    )


def _events(trigger: AimlSttBatchTrigger) -> list[dict[str, Any]]:
    """Every event run() yields, in order (within the hang guard)."""

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in trigger.run()]

    async def guarded() -> list[dict[str, Any]]:
        return await asyncio.wait_for(collect(), HANG_GUARD_SECONDS)

    return asyncio.run(guarded())


def _events_finishing_all_once_answered(
    trigger: AimlSttBatchTrigger, emulator: Any, probe: FetchProbe, generation_id: str, polls: int
) -> tuple[list[dict[str, Any]], float]:
    """Every event run() yields, while the emulator's jobs are all finished as soon as
    ``generation_id`` has had ``polls`` polls answered and none is in flight, and the moment they
    were: a condition rather than a delay, so a slow machine cannot finish them before the polls a
    test needs, and no poll straddles the change."""
    finished_at: list[float] = []

    async def run_and_finish() -> list[dict[str, Any]]:
        async def finish() -> None:
            while not finished_at:
                with probe.lock:
                    if probe.polls_of(generation_id) >= polls and probe.in_flight == 0:
                        _finish_all(emulator)
                        finished_at.append(time.time())
                await asyncio.sleep(0.01)

        finishing = asyncio.create_task(finish())
        events = [event.payload async for event in trigger.run()]
        await finishing
        return events

    events = asyncio.run(asyncio.wait_for(run_and_finish(), HANG_GUARD_SECONDS))
    return events, finished_at[0]


def _without_request_ids(event: dict[str, Any]) -> dict[str, Any]:
    """The event with each message's ``request_id=...`` (new on every HTTP call) blanked out, and
    only the ids of ``finished_between`` (its times differ from run to run)."""
    messages = {
        gid: re.sub(r"request_id=[^,)\s]+", "request_id=*", text) for gid, text in event["messages"].items()
    }
    return {**event, "messages": messages, "finished_between": sorted(event.get("finished_between", {}))}


def _fetches(emulator: Any) -> int:
    """GET /v1/stt/{id} requests the emulator has received so far."""
    return int(emulator.stats()["requests_by_route"].get(FETCH_ROUTE, 0))


@dataclass
class FetchProbe:
    """What the emulator's fetch handler saw: when each poll arrived, and how many overlapped.

    The probe wraps the emulator's own backend (server side), so the trigger still talks real HTTP.
    """

    delay: float = 0.0
    calls: list[tuple[float, str]] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wrap(self, fetch: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
        def probed(generation_id: str) -> dict[str, Any]:
            with self.lock:
                self.calls.append((time.time(), generation_id))
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            try:
                if self.delay:
                    time.sleep(self.delay)
                return fetch(generation_id)
            finally:
                with self.lock:
                    self.in_flight -= 1

        return probed

    def polls_of(self, generation_id: str) -> int:
        return sum(1 for _, polled in self.calls if polled == generation_id)


@pytest.fixture
def probe(emulator: Any) -> Iterator[FetchProbe]:
    """A :class:`FetchProbe` on the emulator's fetch handler for the test's duration."""
    backend = emulator.backend
    found = FetchProbe()
    backend.fetch = found.wrap(backend.fetch)
    try:
        yield found
    finally:
        vars(backend).pop("fetch", None)


# -- 1. firing on resume_when_finished --------------------------------------------------------------


def test_fires_once_enough_jobs_finished_with_their_statuses_and_never_a_result(emulator) -> None:
    """Two of three finished and two were wanted: ready, with those two only and no transcript."""
    done_a, done_b, pending = _submit(3)
    assert emulator.jobs.hold(pending)
    _finish_all(emulator)

    [event] = _events(_trigger([done_a, pending, done_b], resume_when_finished=2))

    assert event["status"] == "ready"
    assert event["finished"] == {done_a: "completed", done_b: "completed"}
    assert pending not in event["finished"]
    assert event["messages"] == {}
    dumped = json.dumps(event)
    assert TRANSCRIPT not in dumped, "the event must not carry a result"
    assert "result" not in event and "results" not in event


def test_does_not_fire_below_the_threshold_and_polls_a_finished_job_once(emulator, probe) -> None:
    """One of three finished, two were wanted: the wait runs to its deadline; the finished job is
    not polled again while the others are."""
    done, held_a, held_b = _submit(3)
    assert emulator.jobs.hold(held_a) and emulator.jobs.hold(held_b)
    _finish_all(emulator)

    [event] = _events(_trigger([done, held_a, held_b], deadline_in=0.6, resume_when_finished=2))

    assert event["status"] == "timeout"
    assert event["finished"] == {done: "completed"}
    assert probe.polls_of(done) == 1
    assert probe.polls_of(held_a) >= 2 and probe.polls_of(held_b) >= 2


def test_by_default_fires_when_every_job_finished_while_it_waited(emulator) -> None:
    """Jobs that finish during the wait (real emulator time) are all reported, after several rounds."""
    emulator.config.queued_seconds, emulator.config.processing_seconds = 0.1, 0.3
    ids = _submit(2)

    [event] = _events(_trigger(ids, poke_interval=0.05, max_poke_interval=0.1))

    assert event["status"] == "ready"
    assert event["finished"] == dict.fromkeys(ids, "completed")


# -- 2. retention ---------------------------------------------------------------------------------


def test_a_result_near_its_retention_end_resumes_at_once_below_the_threshold(emulator) -> None:
    """A finished job made 55 minutes ago fires after the first round, though one job still runs."""
    old_done, pending = _submit(2)
    assert emulator.jobs.hold(pending)
    _finish_all(emulator)
    now = time.time()
    before = _fetches(emulator)

    [event] = _events(
        _trigger([old_done, pending], deadline_in=3.0, poke_interval=30, created_at=[now - 55 * 60, now])
    )

    assert event["status"] == "ready"
    assert event["finished"] == {old_done: "completed"}
    assert _fetches(emulator) - before == 1, "the old job's poll, then the event (the fresh one not due)"


def test_a_result_well_inside_its_retention_does_not_resume_early(emulator) -> None:
    """The control: a finished job made 45 minutes ago (5 minutes before the margin) waits on."""
    done, pending = _submit(2)
    assert emulator.jobs.hold(pending)
    _finish_all(emulator)
    now = time.time()
    assert RETENTION_SECONDS - RETENTION_MARGIN_SECONDS > 45 * 60 + 60

    [event] = _events(_trigger([done, pending], deadline_in=0.4, created_at=[now - 45 * 60, now]))

    assert event["status"] == "timeout"
    assert event["finished"] == {done: "completed"}


def test_the_wait_between_rounds_ends_when_a_finished_result_reaches_the_margin(emulator, probe) -> None:
    """A finished result reaches the margin 0.3 s in, long before the next round (30 s) or the
    deadline (3 s): the trigger wakes for it, polls once more and fires ready before the deadline."""
    done, pending = _submit(2)
    assert emulator.jobs.hold(pending)
    _finish_all(emulator)
    now = time.time()
    near = now - (RETENTION_SECONDS - RETENTION_MARGIN_SECONDS) + 0.3
    trigger = _trigger([done, pending], deadline_in=3.0, poke_interval=30, created_at=[near, now - 60])

    [event] = _events(trigger)

    assert event["status"] == "ready"
    assert event["finished"] == {done: "completed"}
    assert probe.polls_of(pending) == 2, "a first round at once, a second one at the margin"
    last_poll = max(moment for moment, _ in probe.calls)
    assert last_poll < trigger.deadline, "the second round came at the margin, not at the deadline"


# -- 3. jobs that end badly ---------------------------------------------------------------------------


def test_an_id_the_api_does_not_know_is_reported_gone_with_a_message(emulator) -> None:
    """404: status GONE, and a message naming the id; a completed job beside it gets no message."""
    unknown = _unknown_id()
    [done] = _submit()
    _finish_all(emulator)

    [event] = _events(_trigger([unknown, done]))

    assert event["status"] == "ready"
    assert event["finished"] == {unknown: GONE, done: "completed"}
    assert unknown in event["messages"][unknown]
    assert "HTTP 404" in event["messages"][unknown]
    assert done not in event["messages"]


def test_a_job_that_ends_in_error_is_reported_with_its_status_and_reason(emulator) -> None:
    """status ``error`` and the API's reason, as the message."""
    failed, done = _submit(2)
    assert emulator.jobs.fail(failed, name="BadAudio", message="Audio could not be decoded")
    _finish_all(emulator)

    [event] = _events(_trigger([failed, done]))

    assert event["status"] == "ready"
    assert event["finished"] == {failed: "error", done: "completed"}
    assert "Audio could not be decoded" in event["messages"][failed]
    assert "BadAudio" in event["messages"][failed]


def test_a_job_whose_polls_are_refused_for_good_is_reported_unpollable(emulator, monkeypatch) -> None:
    """401 is not transient: the job is finished as FAILED_POLL with the HTTP status in its message."""
    [generation_id] = _submit()
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_key="bad"))

    [event] = _events(_trigger([generation_id]))

    assert event["status"] == "ready"
    assert event["finished"] == {generation_id: FAILED_POLL}
    assert "HTTP 401" in event["messages"][generation_id]


def test_transient_poll_failures_leave_the_job_pending(emulator, monkeypatch) -> None:
    """Every poll answered 503: the job is not reported finished; the wait ends at its deadline."""
    [generation_id] = _submit()
    _finish_all(emulator)
    emulator.faults.set(server_error=1.0, server_error_codes=[503], routes=["fetch"])
    # each poll one request: the trigger's hook retries as its connection says
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url, api_retries=0))

    [event] = _events(_trigger([generation_id], deadline_in=0.4))

    assert event["status"] == "timeout"
    assert event["finished"] == {}
    assert emulator.stats()["faults_by_kind"].get("server_error_503", 0) >= 2


# -- 4. the deadline ------------------------------------------------------------------------------


def test_the_deadline_passing_yields_a_timeout_event(emulator) -> None:
    """Jobs still pending at the deadline: one ``timeout`` event, nothing finished."""
    ids = _submit(2)
    for generation_id in ids:
        assert emulator.jobs.hold(generation_id)

    events = _events(_trigger(ids, deadline_in=0.4, poke_interval=0.1))

    assert [event["status"] for event in events] == ["timeout"]
    assert events[0]["finished"] == {}


def test_a_deadline_already_past_still_polls_once(emulator) -> None:
    """A trigger rebuilt after its deadline polls one round: finished work is not thrown away."""
    [done] = _submit()
    _finish_all(emulator)
    before = _fetches(emulator)

    [event] = _events(_trigger([done], deadline_in=-100, poke_interval=30))

    assert event["status"] == "ready"
    assert event["finished"] == {done: "completed"}
    assert _fetches(emulator) - before == 1


# -- 5. the first round -----------------------------------------------------------------------------


def test_a_job_created_just_now_is_not_polled_before_poke_interval(emulator, probe) -> None:
    """The first poll of a fresh job comes ``poke_interval`` after its create, not at once."""
    [done] = _submit()
    _finish_all(emulator)
    before = _fetches(emulator)
    trigger = _trigger([done], poke_interval=0.4)
    created = trigger.created_at[0]

    [event] = _events(trigger)

    assert event["status"] == "ready"
    assert _fetches(emulator) - before == 1
    [(first_poll, _)] = probe.calls
    assert first_poll >= created + 0.4


def test_a_job_created_long_ago_is_polled_at_once_and_a_fresh_one_when_it_is_due(emulator, probe) -> None:
    """One job is a minute old (adopted, or a straggler): it is polled at once; the fresh one only
    ``poke_interval`` after its create."""
    fresh, old = _submit(2)
    _finish_all(emulator)
    now = time.time()
    trigger = _trigger([fresh, old], deadline_in=5.0, poke_interval=0.5, created_at=[now, now - 60])

    [event] = _events(trigger)

    assert event["status"] == "ready"
    assert event["finished"] == {fresh: "completed", old: "completed"}
    polled = {generation_id: moment for moment, generation_id in probe.calls}
    assert sorted(polled) == sorted([fresh, old])
    assert polled[old] < now + 0.5 <= polled[fresh], probe.calls


def test_the_first_poll_waits_for_first_poll_after(emulator, probe) -> None:
    """``first_poll_after`` (what the task saw its jobs take) delays a fresh job's first poll past
    ``poke_interval``: one poll finds it finished."""
    [done] = _submit()
    _finish_all(emulator)
    now = time.time()
    trigger = _trigger([done], deadline_in=5.0, poke_interval=0.1, created_at=[now], first_poll_after=0.6)

    [event] = _events(trigger)

    assert event["finished"] == {done: "completed"}
    [(moment, _)] = probe.calls
    assert moment >= now + 0.6


def test_the_first_round_never_waits_past_the_deadline(emulator, probe) -> None:
    """A fresh job, ``poke_interval`` 30 s, deadline in 0.3 s: it is polled at the deadline."""
    [done] = _submit()
    _finish_all(emulator)
    trigger = _trigger([done], deadline_in=0.3, poke_interval=30)

    [event] = _events(trigger)

    assert event["status"] == "ready"
    assert len(probe.calls) == 1


# -- 6. serialization -----------------------------------------------------------------------------


def test_serialize_gives_plain_json_without_the_api_key() -> None:
    """The kwargs survive a JSON round trip, name no secret, and rebuild an identical trigger."""
    original = AimlSttBatchTrigger(
        generation_ids=["g-1", "g-2", "g-3"],
        aimlstt_conn_id="aimlstt_default",
        deadline=1_900_000_000.5,
        created_at=[1_899_999_000, 1_899_999_001.25, 1_899_999_002],
        resume_when_finished=2,
        progress={"total": 10, "done": 4, "failed": 1, "started_at": 1_899_998_000.0},
    )
    path, kwargs = original.serialize()

    assert path == "airflow_provider_aimlstt.triggers.batch.AimlSttBatchTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert TEST_API_KEY not in json.dumps(kwargs)
    restored = AimlSttBatchTrigger(**json.loads(json.dumps(kwargs)))
    assert restored.serialize() == (path, kwargs)
    assert kwargs["created_at"] == [1_899_999_000.0, 1_899_999_001.25, 1_899_999_002.0]
    assert kwargs["resume_when_finished"] == 2
    assert sorted(kwargs) == sorted(  # only what the wait needs; the poll schedule is the provider's
        ["generation_ids", "aimlstt_conn_id", "deadline", "created_at", "resume_when_finished",
         "progress", "first_poll_after", "resume_not_before", "expected_finish"]
    )  # fmt: skip


def test_a_trigger_rebuilt_from_its_kwargs_behaves_the_same(emulator) -> None:
    """The rebuilt trigger (as the triggerer makes it from its row) yields the same event."""
    done, pending, failed = _submit(3)
    assert emulator.jobs.hold(pending)
    assert emulator.jobs.fail(failed, message="No speech found")
    _finish_all(emulator)
    ids = [done, pending, failed, _unknown_id(1)]
    original = _trigger(ids, resume_when_finished=3, progress={"total": 4, "started_at": time.time()})
    _, kwargs = original.serialize()
    rebuilt = AimlSttBatchTrigger(**json.loads(json.dumps(kwargs)))

    [first] = _events(original)
    [second] = _events(rebuilt)

    assert _without_request_ids(first) == _without_request_ids(second)
    assert first["status"] == "ready"
    assert first["finished"] == {done: "completed", failed: "error", ids[3]: GONE}
    assert TEST_API_KEY not in json.dumps(first)


# -- 7. bounded polls ------------------------------------------------------------------------------


def test_at_most_max_concurrent_polls_are_in_flight(emulator, probe) -> None:
    """Eight ids, two polls at a time: the emulator never serves more than two fetches at once."""
    probe.delay = 0.1  # each fetch holds the emulator long enough for others to overlap it
    ids = [_unknown_id(n) for n in range(8)]

    [event] = _events(_trigger(ids, max_concurrent_polls=2))

    assert event["finished"] == dict.fromkeys(ids, GONE)
    assert len(probe.calls) == 8
    assert probe.peak == 2


def test_the_probe_sees_concurrent_polls_when_they_are_allowed(emulator, probe) -> None:
    """The control of the bound: with eight polls allowed, more than two overlap."""
    probe.delay = 0.1
    ids = [_unknown_id(n) for n in range(8)]

    [event] = _events(_trigger(ids, max_concurrent_polls=8))

    assert event["finished"] == dict.fromkeys(ids, GONE)
    assert probe.peak > 2


# -- 8. arguments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("created_at", [[1.0], [1.0, 2.0, 3.0]])
def test_created_at_of_the_wrong_length_raises(created_at: list[float]) -> None:
    """One time per generation id, or an error."""
    with pytest.raises(ValueError, match="created_at"):
        AimlSttBatchTrigger(["g-1", "g-2"], "c", deadline=time.time() + 5, created_at=created_at)


def test_an_empty_created_at_for_some_ids_raises() -> None:
    """An empty list is of the wrong length too (only None means "now")."""
    with pytest.raises(ValueError, match="created_at"):
        AimlSttBatchTrigger(["g-1", "g-2"], "c", deadline=time.time() + 5, created_at=[])


def test_an_id_given_twice_does_not_keep_a_finished_batch_waiting(emulator) -> None:
    """Every job finished: ready, even when the caller listed one id twice."""
    [done] = _submit()
    _finish_all(emulator)

    [event] = _events(_trigger([done, done], deadline_in=0.5))

    assert event["status"] == "ready"


def test_resume_when_finished_is_kept_between_one_and_the_number_of_ids() -> None:
    """0 means 1; more than the ids means all of them; None means all of them."""
    ids = ["g-1", "g-2", "g-3"]
    deadline = time.time() + 5
    assert AimlSttBatchTrigger(ids, "c", deadline, resume_when_finished=0).resume_when_finished == 1
    assert AimlSttBatchTrigger(ids, "c", deadline, resume_when_finished=9).resume_when_finished == 3
    assert AimlSttBatchTrigger(ids, "c", deadline).resume_when_finished == 3


# -- 9. the shortest deferral ---------------------------------------------------------------------


def test_a_ready_event_is_held_until_resume_not_before_and_jobs_finishing_meanwhile_join_it(
    emulator, probe
) -> None:
    """One job is finished at once, the other a moment later; the event waits for the bound, and
    carries both."""
    [first] = _submit()
    _finish_all(emulator)
    [second] = _submit()  # pending until the emulator's clock moves on
    now = time.time()
    trigger = _trigger([first, second], resume_when_finished=1, resume_not_before=now + 1.5)

    [event], _ = _events_finishing_all_once_answered(trigger, emulator, probe, second, 1)

    assert time.time() >= now + 1.5
    assert event["status"] == "ready"
    assert event["finished"] == {first: "completed", second: "completed"}
    assert probe.polls_of(first) == 1, "a finished job is not polled again while the event is held"
    assert probe.polls_of(second) >= 2


def test_without_resume_not_before_a_ready_event_fires_at_once(emulator) -> None:
    """The control: the same jobs, no bound: the event fires with the first job only."""
    [first] = _submit()
    _finish_all(emulator)
    [second] = _submit()

    [event] = _events(_trigger([first, second], resume_when_finished=1))

    assert event["finished"] == {first: "completed"}


def test_each_finished_job_comes_with_what_its_polls_proved_of_its_finish(emulator, probe) -> None:
    """``finished_between``: seconds after its create when its last poll that saw it pending was
    sent, and when the poll that saw it finished was answered; a job finished at its first poll
    has only the second."""
    [early] = _submit()
    _finish_all(emulator)
    [late] = _submit()
    trigger = _trigger([early, late], poke_interval=0.1, max_poke_interval=0.1)
    created = dict(zip(trigger.generation_ids, trigger.created_at, strict=True))

    [event], finished_at = _events_finishing_all_once_answered(trigger, emulator, probe, late, 2)

    finished_after = finished_at - created[late]
    late_polls = [moment - created[late] for moment, generation_id in probe.calls if generation_id == late]
    [early_poll] = [
        moment - created[early] for moment, generation_id in probe.calls if generation_id == early
    ]
    assert len(late_polls) >= 3
    after, by = event["finished_between"][late]
    assert (
        late_polls[-2] - 0.1
        <= after
        <= late_polls[-2]
        <= finished_after
        <= late_polls[-1]
        <= by
        < late_polls[-1] + 0.1
    )
    assert event["finished_between"][early][0] == 0.0
    assert event["finished_between"][early][1] == pytest.approx(early_poll, abs=0.1)


# -- 10. predicted jobs --------------------------------------------------------------------------


def test_a_job_with_an_expected_finish_is_first_polled_in_the_middle_of_its_window(emulator, probe) -> None:
    """Two jobs made together, finishing 0.9 s after their create: one predicted to finish 0.7-1.1 s
    after it joins the rounds at 0.9 s; the other, without a prediction, at ``poke_interval``."""
    emulator.config.queued_seconds, emulator.config.processing_seconds = 0.3, 0.6
    predicted, plain = _submit(2)
    now = time.time()
    trigger = _trigger(
        [predicted, plain],
        created_at=[now, now],
        expected_finish=[[0.7, 1.1], None],
        poke_interval=0.2,
        max_poke_interval=0.2,
    )

    [event] = _events(trigger)

    assert event["finished"] == {predicted: "completed", plain: "completed"}
    polls = sorted(moment for moment, generation_id in probe.calls if generation_id == predicted)
    assert now + 0.9 <= polls[0] and len(polls) <= 2
    assert probe.polls_of(plain) >= 3  # every round from 0.2 s on


def test_expected_finish_gives_one_window_or_none_per_id() -> None:
    with pytest.raises(ValueError, match="expected_finish"):
        AimlSttBatchTrigger(["g-1", "g-2"], "c", deadline=time.time() + 5, expected_finish=[[1.0, 2.0]])
    trigger = AimlSttBatchTrigger(
        ["g-1", "g-2", "g-1"], "c", deadline=5.0, created_at=[1, 2, 3], expected_finish=[[1, 2], None, None]
    )
    _, kwargs = trigger.serialize()
    assert kwargs["expected_finish"] == [[1.0, 2.0], None]  # the first of an id given twice is kept
    _, plain = AimlSttBatchTrigger(["g-1"], "c", deadline=5.0).serialize()
    assert plain["expected_finish"] is None
