"""When to poll a job: one interval schedule for every wait (the trigger, the hook, the sensor).

The first wait is ``poke_interval``; each next one is 1.5 times longer, up to ``max_poke_interval``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from airflow_provider_aimlstt.exceptions import AimlSttValidationError

BACKOFF_FACTOR = 1.5


@dataclass(frozen=True)
class PollSchedule:
    """The waits between the polls of one job.

    :param poke_interval: seconds before the second poll.
    :param max_poke_interval: the longest wait between two polls (raised to ``poke_interval``
        when smaller).
    """

    poke_interval: float = 10.0
    max_poke_interval: float = 60.0

    def __post_init__(self) -> None:
        for name in ("poke_interval", "max_poke_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise AimlSttValidationError(f"{name}: must be seconds above 0, got {value!r}")
        object.__setattr__(self, "poke_interval", float(self.poke_interval))
        object.__setattr__(self, "max_poke_interval", max(float(self.max_poke_interval), self.poke_interval))

    def intervals(self) -> Iterator[float]:
        """The waits, in order, without end."""
        interval = self.poke_interval
        while True:
            yield interval
            interval = min(interval * BACKOFF_FACTOR, self.max_poke_interval)
