"""The one poll schedule: the jittered backoff, and polls around an expected completion."""

from __future__ import annotations

import itertools

import pytest

from airflow_provider_aimlstt.polling import (
    BACKOFF_FACTOR,
    DEFAULT_JITTER,
    FIRST_WAIT_SPREAD,
    MAX_EARLY_POLLS,
    POLLS_ACROSS_A_WIDE_WINDOW,
    PollSchedule,
    finish_bracket,
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


def _found(offsets: list[float], finish: float) -> tuple[int, float]:
    """Polls made until one saw a job that finished at ``finish``, and how late that one was."""
    polls = next(number for number, offset in enumerate(offsets, 1) if offset >= finish)
    return polls, offsets[polls - 1] - finish


@pytest.mark.parametrize("earliest", [4.0, 29.0, 115.0, 590.0, 1790.0])
def test_a_window_narrower_than_the_lateness_allowed_takes_one_poll_after_it(earliest: float) -> None:
    latest = earliest + 0.8 * lateness_allowed(earliest)
    offsets = _first(PollSchedule(10, 60).offsets("job", (earliest, latest)), 400)
    assert offsets == sorted(offsets)
    guards = min(MAX_EARLY_POLLS, int(earliest // 60))
    assert sum(1 for offset in offsets if offset < earliest) == guards  # guard polls only from a minute
    first = offsets[guards]
    slack = earliest + lateness_allowed(earliest) - latest
    assert latest + 0.1 * slack <= first <= latest + 0.5 * slack
    for finish in (earliest, (earliest + latest) / 2, latest):  # anywhere in the window: one poll, in time
        polls, late = _found(offsets, finish)
        assert polls == guards + 1 and late <= lateness_allowed(finish)
    for factor in (1.05, 1.2, 1.5, 2.0, 3.0):  # slower than predicted: still noticed in time
        assert _found(offsets, latest * factor)[1] <= lateness_allowed(latest * factor)


def test_jobs_predicted_alike_do_not_poll_in_one_instant() -> None:
    firsts = {next(PollSchedule(10, 60).offsets(f"job-{number}", (20.0, 21.0))) for number in range(100)}
    assert len(firsts) == 100 and max(firsts) - min(firsts) > 0.5 * 0.4 * (20 + 2 - 21)


def test_a_wide_window_is_crossed_in_about_six_polls_then_polled_within_the_lateness() -> None:
    earliest, latest = 10.0, 310.0
    offsets = _first(PollSchedule(10, 60).offsets("job", (earliest, latest)), 200)
    inside = [offset for offset in offsets if offset < latest]
    assert len(inside) <= POLLS_ACROSS_A_WIDE_WINDOW + 1  # not one every 2 to 30 s: that would be 40
    steps = [later - earlier for earlier, later in itertools.pairwise(inside)]
    assert min(steps) >= (1 - DEFAULT_JITTER) * (latest - earliest) / POLLS_ACROSS_A_WIDE_WINDOW
    for finish in (latest * 1.01, latest * 1.5, latest * 4):
        assert _found(offsets, finish)[1] <= lateness_allowed(finish)


def test_a_window_a_little_wider_than_the_lateness_is_swept_in_lateness_steps() -> None:
    earliest, latest = 100.0, 125.0  # 25 s wide, 10 s allowed: about three polls, each in time
    offsets = _first(PollSchedule(10, 60).offsets("job", (earliest, latest)), 50)
    for finish in (100.0, 104.0, 111.0, 118.0, 125.0):
        polls, late = _found(offsets, finish)
        assert late <= lateness_allowed(finish) and polls <= 1 + 4


def test_a_job_well_ahead_of_its_prediction_is_still_caught_by_a_guard_poll() -> None:
    offsets = _first(PollSchedule(10, 60).offsets("job", (600.0, 610.0)), 10)
    assert _found(offsets, 560.0)[1] <= lateness_allowed(560.0)  # 7 % early


def test_poll_times_merge_moments_already_past_into_one_poll_now() -> None:
    schedule = PollSchedule(1, 1, jitter=0)
    times = _first(schedule.poll_times(origin=100.0, now=103.5), 3)
    assert times == [103.5, 104.0, 105.0]  # 100..103 missed (a restarted trigger): one poll now
    assert _first(schedule.poll_times(origin=100.0, now=100.0), 2) == [100.0, 101.0]


def test_poll_times_skip_what_the_callers_own_poll_covered() -> None:
    schedule = PollSchedule(10, 60, jitter=0)
    window = (1.0, 2.0)  # without jitter the one poll is due 2.3 s after the submit at 100
    assert next(schedule.poll_times(100.0, now=100.5, expected=window)) == pytest.approx(102.3)
    resumed = _first(schedule.poll_times(100.0, now=104.0, expected=window, polled_at=103.0), 2)
    assert resumed[0] > 104.0  # the task polled at 103 and saw it pending: no poll again at once
    backoff = _first(schedule.poll_times(100.0, now=100.0, polled_at=100.0), 2)
    assert backoff == [110.0, 125.0]  # the backoff's poll at once was the caller's


def test_finish_bracket_is_what_the_polls_prove() -> None:
    assert finish_bracket(1000.0, found_at=1100.0, last_pending_at=1080.0) == (80.0, 100.0)
    assert finish_bracket(1000.0, found_at=1100.0, last_pending_at=None) == (0.0, 100.0)  # found at once
    assert finish_bracket(1000.0, found_at=1100.0, last_pending_at=990.0) == (0.0, 100.0)  # clocks apart


def test_bad_jitter_is_refused() -> None:
    from airflow_provider_aimlstt.exceptions import AimlSttValidationError

    for jitter in (-0.1, 1.0, True):
        with pytest.raises(AimlSttValidationError, match="jitter"):
            PollSchedule(1, 2, jitter=jitter)
