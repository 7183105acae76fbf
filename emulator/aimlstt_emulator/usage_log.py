"""The rows ``GET /v2/logs`` lists: one per create request the API processed.

- A create that made a job: ``succeeded``, with its cost and ``inference_id`` = the generation id,
  even when a fault then lost its answer (500/502/504, a dropped connection, broken JSON): the row
  and its ``client_request_id`` are how a careful client finds out that the job exists.
- A create refused with a valid key (400, 413, 429, 503, ...): ``failed``, at zero cost, with a
  fresh ``inference_id`` (the one its answer's ``x-inference-id`` reported).
- Not logged: a request without a valid key (401), and polls, which are not inference requests.

The docs warn that the charge is recorded after the response was delivered, so a row becomes
visible only ``usage_log_delay_seconds`` after its request, on the emulator's clock (a test moves
it with ``server.clock.advance``). ``created`` is the UTC wall-clock time of the request.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aimlstt_emulator.billing import FREE, Bill
from aimlstt_emulator.clock import Clock
from aimlstt_emulator.config import EmulatorConfig

SUCCEEDED = "succeeded"
FAILED = "failed"
ORIGIN = "api"
MAX_ROWS = 100_000


@dataclass(frozen=True)
class UsageRow:
    """One logged request.

    :param sequence: its place in the order requests were logged (for newest-first ties).
    :param created: when the request was made (UTC).
    :param visible_at: the emulator clock's time from which ``/v2/logs`` lists it.
    :param status: ``succeeded`` or ``failed``.
    :param model: the model the request named ("" when the API read none).
    :param cost: what it was charged.
    :param request_id: the id of the HTTP call (a failed row's is its error body's ``requestId``).
    :param inference_id: the ``x-inference-id`` of its answer.
    :param client_request_id: its valid ``X-Client-Request-Id``, or None.
    """

    sequence: int
    created: datetime
    visible_at: float
    status: str
    model: str
    cost: Bill
    request_id: str | None
    inference_id: str
    client_request_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """The row as ``/v2/logs`` answers it."""
        return {
            "created": self.created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "status": self.status,
            "origin": ORIGIN,
            "model": self.model,
            "cost": {"usd": float(self.cost.usd), "credits": self.cost.credits},
            "tokens": {"input": 0, "output": 0, "total": 0},
            "request_id": self.request_id,
            "inference_id": self.inference_id,
            "client_request_id": self.client_request_id,
        }


class UsageLog:
    """The logged requests of one emulator, safe to use from many request threads.

    :param config: read on every call, for the delay before a row shows.
    :param clock: the clock the delay runs on.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._rows: deque[UsageRow] = deque(maxlen=MAX_ROWS)
        self._sequence = 0

    def record(
        self,
        *,
        status: str,
        model: str,
        inference_id: str,
        request_id: str | None,
        client_request_id: str | None,
        cost: Bill = FREE,
    ) -> UsageRow:
        """Log one request, made now; it shows after the configured delay.

        :param status: ``succeeded`` or ``failed``.
        :param model: the model id the request named.
        :param inference_id: the ``x-inference-id`` of its answer.
        :param request_id: the id of the HTTP call.
        :param client_request_id: its valid ``X-Client-Request-Id``, or None.
        :param cost: what it was charged (nothing for a failed request).
        """
        with self._lock:
            self._sequence += 1
            row = UsageRow(
                sequence=self._sequence,
                created=datetime.now(timezone.utc),
                visible_at=self._clock.now() + self._config.usage_log_delay_seconds,
                status=status,
                model=model,
                cost=cost if status == SUCCEEDED else FREE,
                request_id=request_id,
                inference_id=inference_id,
                client_request_id=client_request_id,
            )
            self._rows.append(row)
        return row

    def rows(self, *, visible_only: bool = False) -> list[UsageRow]:
        """The logged rows, newest first.

        :param visible_only: True for only the rows ``/v2/logs`` shows now (past their delay).
        """
        now = self._clock.now()
        with self._lock:
            rows = list(self._rows)
        return [row for row in reversed(rows) if not visible_only or row.visible_at <= now]

    def clear(self) -> None:
        """Forget every row."""
        with self._lock:
            self._rows.clear()
