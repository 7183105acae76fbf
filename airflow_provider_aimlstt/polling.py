"""When to poll a job: the one schedule of every wait (the trigger, the hook's blocking wait, the
sensor, the batch trigger's rounds), and what a job's polls prove of when it finished.

Two shapes, chosen by what is known of the job:

- **Backoff** (nothing known): the first wait is ``poke_interval``; each next one is 1.5 times
  longer, up to ``max_poke_interval``.
- **Expected finish** (the job was predicted to finish between two moments, see
  :mod:`~airflow_provider_aimlstt.job_timing`): a few guard polls before the window for long jobs,
  then polls across the window and after it no further apart than the lateness allowed,
  ``max(2 s, 10 % of the job's time so far)``. A window narrower than that takes one poll, just
  after its end; a window much wider is crossed in about :data:`POLLS_ACROSS_A_WIDE_WINDOW` even
  steps (the job that taught nothing yet pays a little lateness, not dozens of polls).

Each wait is shortened by a fraction in ``[0, jitter)`` drawn from a generator seeded by the job's
id: the waits of a thousand jobs started together spread out instead of waking in one burst, and
the schedule of one job is the same in every process (it can be replayed and tested).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_aimlstt import defaults
from airflow_provider_aimlstt.defaults import FIRST_POLL_SECONDS, MAX_POLL_SECONDS
from airflow_provider_aimlstt.exceptions import AimlSttValidationError

if TYPE_CHECKING:
    from airflow_provider_aimlstt.models.responses import FetchResponse
    from airflow_provider_aimlstt.tracing import Charge

BACKOFF_FACTOR = 1.5
DEFAULT_JITTER = 0.2
"""Each wait is shortened by up to this fraction (never lengthened: the caps hold)."""
FIRST_WAIT_SPREAD = 0.75
"""The backoff's first wait is shortened by up to this fraction instead: waits that began together
(a triggerer restarting with a thousand of them) then poll next over most of ``poke_interval``,
not in one burst that each wake-up queues behind."""
MIN_LATENESS_SECONDS = 2.0
LATENESS_FRACTION = 0.1
"""A finished job is to be noticed within ``max(MIN_LATENESS_SECONDS, LATENESS_FRACTION x its time)``."""
SLACK_BEFORE_THE_POLL = (0.1, 0.5)
"""A window narrower than the lateness allowed is polled once, after its end by a fraction of its
slack (the lateness allowed minus the window's width) between these two, fixed by the job's id: a
job a little slower than predicted is still found by that one poll, one a little faster is still
found in time, and jobs predicted alike do not poll in one instant."""
POLLS_ACROSS_A_WIDE_WINDOW = 6
"""Polls inside a window are never closer than ``1/POLLS_ACROSS_A_WIDE_WINDOW`` of its width."""
MAX_EARLY_POLLS = 4
EARLY_POLL_EVERY_SECONDS = 60.0
"""One guard poll before the window per this many seconds of its start (at most
:data:`MAX_EARLY_POLLS`), spaced 1, 2, 4, 8 lateness allowances before the first poll: a job that
finishes well before its prediction (the API had a quiet moment) is still noticed, late in
proportion to the prediction's error."""
_GUARD_LEADS = (1, 2, 4, 8)
"""The guard polls' leads on the first poll, in lateness allowances."""

ExpectedFinish = tuple[float, float]
"""A job predicted to finish between these two times, in seconds after its submission."""


def lateness_allowed(job_seconds: float) -> float:
    """How late a poll may notice a job that finished after ``job_seconds``.

    :param job_seconds: the job's time since its submission.
    """
    return max(MIN_LATENESS_SECONDS, LATENESS_FRACTION * job_seconds)


def finish_bracket(
    submitted_at: float, found_at: float, last_pending_at: float | None
) -> tuple[float, float]:
    """When a finished job finished, as its polls prove it: ``(after, by)`` seconds after its
    submission (what :mod:`~airflow_provider_aimlstt.job_timing` learns from).

    :param submitted_at: epoch seconds when the create was answered.
    :param found_at: epoch seconds when the poll that saw it finished was answered.
    :param last_pending_at: epoch seconds when the last poll that saw it pending was sent, if any.
    """
    after = 0.0 if last_pending_at is None else max(0.0, last_pending_at - submitted_at)
    return after, max(after, found_at - submitted_at)


@dataclass(frozen=True)
class WaitResult:
    """What a wait for one job learned: the finished job, what its polls cost, and when they saw it
    finish. :meth:`AimlSttHook.wait_for_job` returns it; a task resumed from the trigger makes it
    from the trigger's event.

    :param generation_id: the job's id.
    :param job: the finished job (completed or error).
    :param poll_charge: what the wait's polls were charged, summed, where their answers said.
    :param found_at: epoch seconds when the poll that saw the job finished was answered.
    :param last_pending_at: epoch seconds when the last poll that saw it pending was sent, if any.
    """

    generation_id: str
    job: FetchResponse
    poll_charge: Charge | None = None
    found_at: float | None = None
    last_pending_at: float | None = None

    def finish_bracket(self, submitted_at: float | None) -> tuple[float, float] | None:
        """When the job finished, as :func:`finish_bracket` reads the polls; None when unknown.

        :param submitted_at: epoch seconds when the job's create was answered, if known.
        """
        if submitted_at is None or self.found_at is None:
            return None
        return finish_bracket(submitted_at, self.found_at, self.last_pending_at)


@dataclass(frozen=True)
class PollSchedule:
    """The polls of one job.

    :param poke_interval: seconds before the second poll (backoff).
    :param max_poke_interval: the longest wait between two polls of the backoff, and after a
        job's expected finish (raised to ``poke_interval`` when smaller). The wait until an
        expected finish may be longer: polling sooner only costs requests.
    :param jitter: each wait is shortened by a fraction in ``[0, jitter)``, fixed by the job's id.
    """

    poke_interval: float = FIRST_POLL_SECONDS
    max_poke_interval: float = MAX_POLL_SECONDS
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        for name in ("poke_interval", "max_poke_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise AimlSttValidationError(f"{name}: must be seconds above 0, got {value!r}")
        if (
            isinstance(self.jitter, bool)
            or not isinstance(self.jitter, (int, float))
            or not 0 <= self.jitter < 1
        ):
            raise AimlSttValidationError(f"jitter: must be a fraction from 0 to below 1, got {self.jitter!r}")
        object.__setattr__(self, "poke_interval", float(self.poke_interval))
        object.__setattr__(self, "max_poke_interval", max(float(self.max_poke_interval), self.poke_interval))
        object.__setattr__(self, "jitter", float(self.jitter))

    @classmethod
    def default(cls, poke_interval: float | None = None) -> PollSchedule:
        """The schedule of the provider's defaults, as :mod:`~airflow_provider_aimlstt.defaults`
        holds them now.

        :param poke_interval: seconds before the second poll; None: the default.
        """
        first = defaults.FIRST_POLL_SECONDS if poke_interval is None else poke_interval
        return cls(first, defaults.MAX_POLL_SECONDS)

    def intervals(self, key: str | None = None) -> Iterator[float]:
        """The backoff's waits, in order, without end (the first spread wider, see
        :data:`FIRST_WAIT_SPREAD`).

        :param key: the job's id, which fixes the jitter; None: no jitter.
        """
        shorten = self._shortener(key)
        interval = self.poke_interval
        yield interval * shorten(FIRST_WAIT_SPREAD)
        while True:
            interval = min(interval * BACKOFF_FACTOR, self.max_poke_interval)
            yield interval * shorten()

    def offsets(
        self, key: str | None = None, expected: ExpectedFinish | None = None, polled_at_start: bool = False
    ) -> Iterator[float]:
        """When to poll, in seconds after the wait's origin, in order, without end.

        Without ``expected`` the origin is the start of the wait, the first poll is at once
        (within ``jitter x poke_interval``, so that waits started together do not all poll in
        the same instant; none when ``polled_at_start``) and the backoff's waits follow. With it,
        the origin is the job's submission and the polls follow the expected finish (see the
        module's docstring).

        :param key: the job's id, which fixes the jitter.
        :param expected: the job's predicted finish, ``(earliest, latest)`` seconds after its submission.
        :param polled_at_start: the caller polled at the origin already (backoff only).
        """
        if expected is None:
            moment = 0.0
            if not polled_at_start:  # at once, give or take a jitter's fraction of poke_interval
                yield self.poke_interval * (1.0 - self._shortener(f"{key}:start")())
            for interval in self.intervals(key):
                moment += interval
                yield moment
            return
        earliest, latest = max(0.0, expected[0]), max(0.0, expected[0], expected[1])
        shorten = self._shortener(key)
        allowed = lateness_allowed(earliest)
        slack = earliest + allowed - latest
        if slack >= 0:  # one poll can find the job anywhere in the window, in time
            low, high = SLACK_BEFORE_THE_POLL
            first = latest + slack * (low + (high - low) * shorten.fraction())
        else:
            first = earliest + allowed * shorten()
        early = min(MAX_EARLY_POLLS, int(earliest // EARLY_POLL_EVERY_SECONDS))
        guards = (first - allowed * lead * shorten() for lead in reversed(_GUARD_LEADS[:early]))
        yield from (moment for moment in guards if moment > 0)
        least_step_in_window = (latest - earliest) / POLLS_ACROSS_A_WIDE_WINDOW
        moment = first
        while True:
            yield moment
            step = (1 - self.jitter) * lateness_allowed(moment)
            if moment < latest:
                step = max(step, least_step_in_window)
            moment += min(self.max_poke_interval, step) * shorten()

    def poll_times(
        self,
        origin: float,
        now: float,
        key: str | None = None,
        expected: ExpectedFinish | None = None,
        polled_at: float | None = None,
    ) -> Iterator[float]:
        """The moments to poll at, on the clock of ``origin`` and ``now``: :meth:`offsets` from
        ``origin``, with the moments already past (a wait resumed late) merged into one poll now.

        :param origin: when the wait began (backoff) or the job was submitted (expected finish).
        :param now: the time now.
        :param key: the job's id, which fixes the jitter.
        :param expected: the job's predicted finish, ``(earliest, latest)`` seconds after ``origin``.
        :param polled_at: when the caller last polled and saw the job pending (backoff: at the
            origin): the moments up to then are not polled again.
        """
        missed = False
        for offset in self.offsets(key, expected, polled_at_start=polled_at is not None):
            moment = origin + offset
            if polled_at is not None and moment <= polled_at:
                continue
            if moment < now:
                missed = True
                continue
            if missed:
                yield now
                missed = False
            yield moment

    def _shortener(self, key: str | None) -> _Shortener:
        if key is None or self.jitter == 0:
            return _Shortener(None, 0.0)
        return _Shortener(key, self.jitter)


class _Shortener:
    """Factors in ``(1 - jitter, 1]``, the n-th drawn from a hash of the job's id and n: the same
    in every process, and one string and a counter of state per wait.
    """

    __slots__ = ("_count", "_jitter", "_key")

    def __init__(self, key: str | None, jitter: float) -> None:
        self._key = key
        self._jitter = jitter
        self._count = 0

    def __call__(self, spread: float | None = None) -> float:
        """One factor; ``spread`` widens the range to ``(1 - spread, 1]``."""
        if self._key is None:
            return 1.0
        return 1.0 - (self._jitter if spread is None else spread) * self.fraction()

    def fraction(self) -> float:
        """One number in ``[0, 1)`` (0.5 without a key: the middle)."""
        if self._key is None:
            return 0.5
        self._count += 1
        digest = hashlib.blake2b(f"{self._key}:{self._count}".encode(), digest_size=8).digest()
        return (int.from_bytes(digest, "big") >> 11) / float(1 << 53)  # 53 bits: a float below 1
