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

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from airflow_provider_aimlstt.exceptions import AimlSttValidationError

BACKOFF_FACTOR = 1.5
DEFAULT_JITTER = 0.2
"""Each wait is shortened by up to this fraction (never lengthened: the caps hold)."""
MIN_LATENESS_SECONDS = 2.0
LATENESS_FRACTION = 0.1
"""A finished job is to be noticed within ``max(MIN_LATENESS_SECONDS, LATENESS_FRACTION x its time)``."""
FIRST_POLL_AFTER_EXPECTED = 0.4
"""The poll meant to find the job finished comes this fraction of the lateness allowed after the
expected completion: one poll then covers predictions from 60 % of it too late to 40 % too early."""
MAX_EARLY_POLLS = 4
EARLY_POLL_EVERY_SECONDS = 60.0
"""One guard poll before the expected completion per this many seconds of expected job (at most
:data:`MAX_EARLY_POLLS`), spaced 2, 4, 8, ... lateness allowances before it: a job that finishes
well before its prediction is still noticed, late in proportion to the prediction's error."""


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
        """The backoff's waits, in order, without end.

        :param key: the job's id, which fixes the jitter; None: no jitter.
        """
        shorten = self._shortener(key)
        interval = self.poke_interval
        while True:
            yield interval * shorten()
            interval = min(interval * BACKOFF_FACTOR, self.max_poke_interval)

    def offsets(self, key: str | None = None, expected_seconds: float | None = None) -> Iterator[float]:
        """When to poll, in seconds after the wait's origin, in order, without end.

        Without ``expected_seconds`` the origin is the start of the wait, and the first poll is at
        once (0). With it, the origin is the job's submission and the polls follow the expected
        completion (see the module's docstring).

        :param key: the job's id, which fixes the jitter.
        :param expected_seconds: the job's predicted time from its submission to its completion.
        """
        if expected_seconds is None or expected_seconds <= 0:
            moment = 0.0
            yield moment
            for interval in self.intervals(key):
                moment += interval
                yield moment
            return
        shorten = self._shortener(key)
        allowed = lateness_allowed(expected_seconds)
        first = expected_seconds + allowed * FIRST_POLL_AFTER_EXPECTED * shorten()
        early = min(MAX_EARLY_POLLS, int(expected_seconds // EARLY_POLL_EVERY_SECONDS))
        guards = (first - allowed * 2**number * shorten() for number in range(early, 0, -1))
        yield from (moment for moment in guards if moment > 0)
        moment = first
        while True:
            yield moment
            step = min(self.max_poke_interval, (1 - self.jitter) * lateness_allowed(moment))
            moment += step * shorten()

    def poll_times(
        self, origin: float, now: float, key: str | None = None, expected_seconds: float | None = None
    ) -> Iterator[float]:
        """The moments to poll at, on the clock of ``origin`` and ``now``: :meth:`offsets` from
        ``origin``, with the moments already past (a wait resumed late) merged into one poll now.

        :param origin: when the wait began (backoff) or the job was submitted (expected completion).
        :param now: the time now.
        :param key: the job's id, which fixes the jitter.
        :param expected_seconds: the job's predicted time from its submission to its completion.
        """
        missed = False
        for offset in self.offsets(key, expected_seconds):
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
        return _Shortener(random.Random(zlib.crc32(key.encode())), self.jitter)


class _Shortener:
    """Factors in ``(1 - jitter, 1]``, from a seeded generator (the same in every process)."""

    __slots__ = ("_draw", "_jitter")

    def __init__(self, draw: random.Random | None, jitter: float) -> None:
        self._draw = draw
        self._jitter = jitter

    def __call__(self) -> float:
        return 1.0 if self._draw is None else 1.0 - self._jitter * self._draw.random()
