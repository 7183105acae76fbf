"""The one poll schedule: the jittered backoff, and polls around an expected completion."""

from __future__ import annotations

import itertools

import pytest

from airflow_provider_aimlstt.polling import (
    BACKOFF_FACTOR,
    DEFAULT_JITTER,
    FIRST_WAIT_SPREAD,
    PollSchedule,
    finished_after,
    lateness_allowed,
)


def _first(iterator, count: int) -> list[float]:
    return list(itertools.islice(iterator, count))


def test_jitter_is_fixed_by_the_job_id_and_only_shortens_the_backoff() -> None:
    schedule = PollSchedule(10, 60)
    waits = _first(schedule.intervals("gen-1"), 8)
    assert waits == _first(PollSchedule(10, 60).intervals("gen-1"), 8)  # the same in every process
    assert waits != _first(schedule.intervals("gen-2"), 8)
    backoff = _first(schedule.intervals(None), 8)
    assert backoff == [10, 15, 22.5, 33.75, 50.625, 60, 60, 60]  # no key: the plain backoff
    assert backoff[1] == backoff[0] * BACKOFF_FACTOR
    assert (1 - FIRST_WAIT_SPREAD) * backoff[0] <= waits[0] <= backoff[0]
    for wait, plain in zip(waits[1:], backoff[1:], strict=True):
        assert (1 - DEFAULT_JITTER) * plain <= wait <= plain
    assert _first(PollSchedule(10, 60, jitter=0).intervals("gen-1"), 3) == [10, 15, 22.5]


def test_jitter_spreads_waits_that_began_together() -> None:
    firsts = sorted(next(PollSchedule(5, 15).intervals(f"job-{number}")) for number in range(1000))
    # a thousand waits started at once poll next over most of the first interval, not in one burst
    assert firsts[-1] - firsts[0] > 0.9 * FIRST_WAIT_SPREAD * 5
    per_half_second = [sum(1 for first in firsts if low <= first < low + 0.5) for low in (1.25, 2.5, 4.0)]
    assert max(per_half_second) < 200


def test_without_a_prediction_the_offsets_are_the_backoff_from_a_poll_at_once() -> None:
    schedule = PollSchedule(10, 60)
    offsets = _first(schedule.offsets("g"), 4)
    waits = _first(schedule.intervals("g"), 3)
    assert 0 <= offsets[0] < DEFAULT_JITTER * 10  # at once, give or take the jitter
    assert offsets[1:] == pytest.approx([waits[0], waits[0] + waits[1], sum(waits)])
    assert _first(schedule.offsets("g", polled_at_start=True), 3) == pytest.approx(offsets[1:])
    assert _first(PollSchedule(10, 60, jitter=0).offsets("g"), 3) == [0, 10, 25]


@pytest.mark.parametrize("expected", [5.0, 30.0, 120.0, 600.0, 1800.0])
def test_expected_completion_few_polls_before_and_tight_after(expected: float) -> None:
    schedule = PollSchedule(10, 60)
    offsets = _first(schedule.offsets("job", expected), 200)
    before = [offset for offset in offsets if offset < expected]
    assert len(before) <= min(4, int(expected // 60))  # guard polls only for jobs of a minute or more
    first_after = next(offset for offset in offsets if offset >= expected)
    assert first_after - expected <= 0.6 * lateness_allowed(expected)
    # a job that finishes at or after its prediction is noticed within the lateness allowed
    for finish in [expected * factor for factor in (1.0, 1.05, 1.2, 1.5, 2.0, 3.0)]:
        found = next(offset for offset in offsets if offset >= finish)
        assert found - finish <= lateness_allowed(finish)
    assert offsets == sorted(offsets)


def test_a_job_well_ahead_of_its_prediction_is_still_caught_by_a_guard_poll() -> None:
    offsets = _first(PollSchedule(10, 60).offsets("job", 600.0), 10)
    finish = 560.0  # 7 % early
    found = next(offset for offset in offsets if offset >= finish)
    assert found - finish <= lateness_allowed(finish)


def test_poll_times_merge_moments_already_past_into_one_poll_now() -> None:
    schedule = PollSchedule(1, 1, jitter=0)
    times = _first(schedule.poll_times(origin=100.0, now=103.5), 3)
    assert times == [103.5, 104.0, 105.0]  # 100..103 missed (a restarted trigger): one poll now
    assert _first(schedule.poll_times(origin=100.0, now=100.0), 2) == [100.0, 101.0]


def test_finished_after_is_the_middle_of_the_bracket_or_a_little_before_an_unbracketed_find() -> None:
    assert finished_after(100.0, 80.0) == 90.0
    assert finished_after(100.0, None) == pytest.approx(100.0 - 0.7 * 10.0)
    assert finished_after(1.0, None) == 0.0


def test_bad_jitter_is_refused() -> None:
    from airflow_provider_aimlstt.exceptions import AimlSttValidationError

    for jitter in (-0.1, 1.0, True):
        with pytest.raises(AimlSttValidationError, match="jitter"):
            PollSchedule(1, 2, jitter=jitter)
