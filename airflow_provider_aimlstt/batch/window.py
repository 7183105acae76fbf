"""How many jobs a batch keeps in flight: additive increase, multiplicative decrease on a 429.

A rate limit is the API saying "fewer at once": the window halves (never below one) and grows
back by one job per accepted create, up to the task's ``max_in_flight``. A night that meets a
limit slows down to what the API takes instead of failing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class InFlightWindow:
    """The current bound on jobs in flight.

    :param limit: the most jobs in flight (the task's ``max_in_flight``).
    :param size: the current bound (starts at ``limit``).
    :param resume_at: epoch seconds before which no create is sent (the longest ``Retry-After`` seen).
    """

    limit: int
    size: int = field(default=0)
    resume_at: float = 0.0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError(f"max_in_flight: must be 1 or more, got {self.limit}")
        self.size = self.limit if self.size <= 0 else min(self.size, self.limit)

    def accepted(self) -> None:
        """A create was accepted: one more job may be in flight, up to the limit."""
        self.size = min(self.limit, self.size + 1)

    def rate_limited(self, retry_after: float | None) -> None:
        """A wave of creates met 429s: halve the bound (once per wave) and wait as long as the API asked.

        :param retry_after: the answer's ``Retry-After`` in seconds, if it had one.
        """
        self.size = max(1, self.size // 2)
        self.resume_at = max(self.resume_at, time.time() + (retry_after or 1.0))

    def free(self, in_flight: int) -> int:
        """How many more creates may be sent now.

        :param in_flight: jobs in flight now.
        """
        if time.time() < self.resume_at:
            return 0
        return max(0, self.size - in_flight)
