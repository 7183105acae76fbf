"""Job statuses reported by ``GET /v1/stt/{generation_id}``."""

from __future__ import annotations

from enum import Enum


class SttStatus(str, Enum):
    """A documented job status. Older pages use waiting/active, newer ones queued/generating."""

    QUEUED = "queued"
    WAITING = "waiting"
    ACTIVE = "active"
    GENERATING = "generating"
    PROCESSING = "processing"
    COMPLETED = "completed"
    ERROR = "error"

    @property
    def is_finished(self) -> bool:
        """True when the job will not change any more: completed, or ended in error."""
        return self in (SttStatus.COMPLETED, SttStatus.ERROR)

    @property
    def is_success(self) -> bool:
        """True when the job finished with a result."""
        return self is SttStatus.COMPLETED

    @classmethod
    def parse(cls, value: str) -> SttStatus | None:
        """Return the status for a raw value, or None when the value is not documented.

        :param value: the ``status`` field as the API sent it (case is ignored).
        """
        try:
            return cls(value.strip().lower())
        except ValueError:
            return None
