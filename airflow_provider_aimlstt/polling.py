"""When to poll a job: the one schedule of every wait (the trigger, the hook's blocking wait, the
sensor, the batch trigger).

Two shapes, chosen by what is known of the job:

- **Backoff** (nothing known): the first wait is ``poke_interval``; each next one is 1.5 times
  longer, up to ``max_poke_interval``.
- **Expected completion** (the job's length was predicted, see
  :mod:`~airflow_provider_aimlstt.job_timing`): a few polls before the expected time, one just
  after it, then polls no further apart than the lateness allowed,
  ``max(2 s, 10 % of the job's time so far)`` (and ``max_poke_interval``).

Each wait is shortened by a fraction in ``[0, jitter)`` drawn from a generator seeded by the job's
id: the waits of a thousand jobs started together spread out instead of waking in one burst, and
the schedule of one job is the same in every process (it can be replayed and tested).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from airflow_provider_aimlstt.exceptions import AimlSttValidationError

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
FIRST_POLL_AFTER_EXPECTED = 0.6
"""The poll meant to find the job finished comes this fraction of the lateness allowed after the
expected completion: one poll then covers predictions from 60 % of it too short (the usual error:
a prediction in proportion to the audio, learned from one longer job, misses the fixed part of a
job's time) to 40 % too long."""
UNSEEN_START_BEFORE_FINDING = 0.7
"""When no poll saw a job pending, it is taken to have finished this fraction of the lateness
allowed before the poll that saw it finished: a little more than that poll's lead on a prediction
that came true, so that what is learned drifts shorter until a poll sees the job pending, instead
of longer job after job."""
MAX_EARLY_POLLS = 4
EARLY_POLL_EVERY_SECONDS = 60.0
"""One guard poll before the expected completion per this many seconds of expected job (at most
:data:`MAX_EARLY_POLLS`), spaced 1, 2, 4, 8 lateness allowances before it: a job that finishes
well before its prediction is still noticed, late in proportion to the prediction's error."""
_GUARD_LEADS = (1, 2, 4, 8)
"""The guard polls' leads on the poll after the expected completion, in lateness allowances."""


def finished_after(found: float, last_pending: float | None) -> float:
    """When a job finished, as near as its polls tell (seconds on any one clock).

    Midway between the last poll that saw it pending and the first that saw it finished; without
    a pending poll,
    :data:`UNSEEN_START_BEFORE_FINDING` of the lateness allowed before the finding poll.

    :param found: when a poll saw it finished (since its submission).
    :param last_pending: when the last poll saw it pending, if one did.
    """
    if last_pending is None:
        return max(0.0, found - UNSEEN_START_BEFORE_FINDING * lateness_allowed(found))
    return max(0.0, (last_pending + found) / 2)


def lateness_allowed(job_seconds: float) -> float:
    """How late a poll may notice a job that finished after ``job_seconds``.

    :param job_seconds: the job's time since its submission.
    """
    return max(MIN_LATENESS_SECONDS, LATENESS_FRACTION * job_seconds)


@dataclass(frozen=True)
class PollSchedule:
    """The polls of one job.

    :param poke_interval: seconds before the second poll (backoff).
    :param max_poke_interval: the longest wait between two polls of the backoff, and after a
        job's expected completion (raised to ``poke_interval`` when smaller). The wait until an
        expected completion may be longer: polling sooner only costs requests.
    :param jitter: each wait is shortened by a fraction in ``[0, jitter)``, fixed by the job's id.
    """

    poke_interval: float = 10.0
    max_poke_interval: float = 60.0
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
        self, key: str | None = None, expected_seconds: float | None = None, polled_at_start: bool = False
    ) -> Iterator[float]:
        """When to poll, in seconds after the wait's origin, in order, without end.

        Without ``expected_seconds`` the origin is the start of the wait, the first poll is at once
        (within ``jitter x poke_interval``, so that waits started together do not all poll in
        the same instant; none when ``polled_at_start``) and the backoff's waits follow. With it,
        the origin is the job's submission and the polls follow the expected completion (see the
        module's docstring).

        :param key: the job's id, which fixes the jitter.
        :param expected_seconds: the job's predicted time from its submission to its completion.
        :param polled_at_start: the caller polled at the origin already (backoff only).
        """
        if expected_seconds is None or expected_seconds <= 0:
            moment = 0.0
            if not polled_at_start:  # at once, give or take a jitter's fraction of poke_interval
                yield self.poke_interval * (1.0 - self._shortener(f"{key}:start")())
            for interval in self.intervals(key):
                moment += interval
                yield moment
            return
        shorten = self._shortener(key)
        allowed = lateness_allowed(expected_seconds)
        first = expected_seconds + allowed * FIRST_POLL_AFTER_EXPECTED * shorten()
        early = min(MAX_EARLY_POLLS, int(expected_seconds // EARLY_POLL_EVERY_SECONDS))
        guards = (first - allowed * lead * shorten() for lead in reversed(_GUARD_LEADS[:early]))
        yield from (moment for moment in guards if moment > 0)
        moment = first
        while True:
            yield moment
            step = min(self.max_poke_interval, (1 - self.jitter) * lateness_allowed(moment))
            moment += step * shorten()

    def poll_times(
        self,
        origin: float,
        now: float,
        key: str | None = None,
        expected_seconds: float | None = None,
        polled_at_start: bool = False,
    ) -> Iterator[float]:
        """The moments to poll at, on the clock of ``origin`` and ``now``: :meth:`offsets` from
        ``origin``, with the moments already past (a wait resumed late) merged into one poll now.

        :param origin: when the wait began (backoff) or the job was submitted (expected completion).
        :param now: the time now.
        :param key: the job's id, which fixes the jitter.
        :param expected_seconds: the job's predicted time from its submission to its completion.
        :param polled_at_start: the caller polled at the origin already (backoff only).
        """
        missed = False
        for offset in self.offsets(key, expected_seconds, polled_at_start):
            moment = origin + offset
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
        return _Shortener(zlib.crc32(key.encode()), self.jitter)


_MASK64 = (1 << 64) - 1


class _Shortener:
    """Factors in ``(1 - jitter, 1]``, from a generator seeded by the job's id (the same in every
    process). SplitMix64: one integer of state, where a ``random.Random`` keeps 2.5 KB per wait.
    """

    __slots__ = ("_jitter", "_state")

    def __init__(self, seed: int | None, jitter: float) -> None:
        self._state = seed
        self._jitter = jitter

    def __call__(self, spread: float | None = None) -> float:
        """One factor; ``spread`` widens the range to ``(1 - spread, 1]``."""
        if self._state is None:
            return 1.0
        self._state = (self._state + 0x9E3779B97F4A7C15) & _MASK64
        mixed = ((self._state ^ (self._state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & _MASK64
        fraction = ((mixed ^ (mixed >> 31)) >> 11) / float(1 << 53)
        return 1.0 - (self._jitter if spread is None else spread) * fraction
