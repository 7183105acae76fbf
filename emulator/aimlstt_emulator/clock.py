"""The clocks a job store can run on: real time, or a clock that only moves when a test moves it."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """A monotonic clock in seconds that can be moved forward."""

    def now(self) -> float:
        """The current time in seconds (only differences between readings mean anything)."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        :param seconds: how far, 0 or more.
        """
        ...


class MonotonicClock:
    """Real time (``time.monotonic``) plus whatever was skipped with :meth:`advance`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped = 0.0

    def now(self) -> float:
        """Real monotonic time plus the time skipped so far."""
        with self._lock:
            return time.monotonic() + self._skipped

    def advance(self, seconds: float) -> None:
        """Skip ahead, so every job is ``seconds`` older at once.

        :param seconds: how far, 0 or more.
        :raises ValueError: for a negative or non-finite value.
        """
        _check_step(seconds)
        with self._lock:
            self._skipped += seconds


class ManualClock:
    """Time that stands still until :meth:`advance` moves it: job statuses change only when told.

    :param start: the time it shows at first.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._now = start

    def now(self) -> float:
        """The time it was last moved to."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move forward.

        :param seconds: how far, 0 or more.
        :raises ValueError: for a negative or non-finite value.
        """
        _check_step(seconds)
        with self._lock:
            self._now += seconds


def _check_step(seconds: float) -> None:
    if not 0 <= seconds < float("inf"):
        raise ValueError(f"seconds: must be 0 or more and finite, got {seconds!r}")
