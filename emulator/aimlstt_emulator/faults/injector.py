"""Deciding the faults of each request, and counting them.

The contract is in :mod:`aimlstt_emulator.faults`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aimlstt_emulator.exceptions import ApiError, too_many_requests_error
from aimlstt_emulator.faults.config import FaultConfig
from aimlstt_emulator.stats import EmulatorStats

RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
DROP_CONNECTION = "drop_connection"
MALFORMED_JSON = "malformed_json"
LATENCY = "latency"
JOB_ERROR = "job_error"
JOB_NEVER_FINISHES = "job_never_finishes"
NOT_ACCEPTED_STATUSES = frozenset({429, 503})
_MESSAGES = {
    500: "Internal server error",
    502: "Bad Gateway",
    503: "Service unavailable",
    504: "Generation timeout",
}


@dataclass(frozen=True)
class FaultPlan:
    """What faults one request gets.

    :param latency_seconds: delay before answering (0 for none).
    :param answer: ``rate_limit``, ``server_error``, ``drop_connection``, ``malformed_json`` or None.
    :param status: the status of a ``rate_limit`` or ``server_error`` answer.
    :param retry_after_seconds: the ``Retry-After`` delay of a 429.
    :param retry_after_format: ``seconds`` or ``http-date``.
    :param job_fault: the new job's fate on a create: ``job_error``, ``job_never_finishes`` or None.
    """

    latency_seconds: float = 0.0
    answer: str | None = None
    status: int | None = None
    retry_after_seconds: int = 0
    retry_after_format: str = "seconds"
    job_fault: str | None = None

    @property
    def before_processing(self) -> bool:
        """True for 429 and 503: the request is refused before it is processed (no job is made)."""
        return self.status in NOT_ACCEPTED_STATUSES

    @property
    def loses_answer(self) -> bool:
        """True when the fault makes up or garbles the answer after processing (a 5xx other than 503,
        a dropped connection, broken JSON): nothing of the real answer, its headers included, gets through.
        """
        return self.answer is not None and not self.before_processing

    @property
    def kind(self) -> str | None:
        """The ``faults_by_kind`` key of the answer fault, for example ``server_error_502``."""
        return f"{SERVER_ERROR}_{self.status}" if self.answer == SERVER_ERROR else self.answer

    def error(self) -> ApiError | None:
        """The error answer of a ``rate_limit`` or ``server_error`` plan (``Retry-After`` dated now)."""
        if self.status is None:
            return None
        if self.status == 429:
            return too_many_requests_error(self.retry_after_seconds, self.retry_after_format)
        return ApiError(self.status, _MESSAGES.get(self.status) or HTTPStatus(self.status).phrase)


NO_FAULT = FaultPlan()


class FaultInjector:
    """Decides, per request, which fault applies; thread-safe, with a seedable random source.

    :param config: the initial settings (None: no faults).
    :param stats: where faults applied are counted (a private one when None).
    """

    def __init__(self, config: FaultConfig | None = None, stats: EmulatorStats | None = None) -> None:
        self._lock = threading.Lock()
        self._stats = stats if stats is not None else EmulatorStats()
        self._config = FaultConfig()
        self._random = random.Random()
        self._burst_left = 0
        self.set(config if config is not None else FaultConfig())

    @property
    def config(self) -> FaultConfig:
        """A copy of the current settings."""
        with self._lock:
            return FaultConfig.from_dict(self._config.to_dict())

    def set(self, config: FaultConfig | Mapping[str, Any] | None = None, /, **fields: Any) -> FaultConfig:
        """Replace the whole configuration; fields not given take their defaults. Ends a burst.

        :param config: a :class:`FaultConfig` or a mapping of its fields (None: defaults).
        :param fields: fields to set, on top of ``config``.
        :return: a copy of the new settings.
        :raises ValueError: naming a bad or unknown field; the old settings then stay.
        """
        if isinstance(config, FaultConfig):
            data = {**config.to_dict(), **fields}
        elif config is None or isinstance(config, Mapping):
            data = {**(config or {}), **fields}
        else:
            raise ValueError(f"config: expected a FaultConfig or a mapping, got {type(config).__name__}")
        new = FaultConfig.from_dict(data)
        with self._lock:
            self._config, self._random, self._burst_left = new, random.Random(new.seed), 0
        return self.config

    def update(self, **fields: Any) -> FaultConfig:
        """Change some fields and keep the others; a running burst goes on.

        :param fields: the fields to change.
        :return: a copy of the new settings.
        :raises ValueError: naming a bad or unknown field; the old settings then stay.
        """
        with self._lock:
            new = FaultConfig.from_dict({**self._config.to_dict(), **fields})
            self._config = new
            if "seed" in fields:
                self._random = random.Random(new.seed)
            self._burst_left = min(self._burst_left, new.server_error_burst - 1)
        return self.config

    def clear(self) -> FaultConfig:
        """Switch every fault off (and end a burst).

        :return: a copy of the new, default settings.
        """
        return self.set(FaultConfig())

    def plan(self, route: str) -> FaultPlan:
        """Decide the faults of one request.

        :param route: ``create`` or ``fetch``.
        """
        with self._lock:
            config, chance = self._config, self._chance
            if route not in config.routes:
                return NO_FAULT
            latency = 0.0
            if config.latency_seconds > 0 and chance(config.latency_probability):
                latency = config.latency_seconds
            answer: str | None = None
            if self._burst_left > 0:
                self._burst_left -= 1
                answer = SERVER_ERROR
            elif chance(config.rate_limit):
                answer = RATE_LIMIT
            elif chance(config.server_error):
                self._burst_left = config.server_error_burst - 1
                answer = SERVER_ERROR
            elif chance(config.drop_connection):
                answer = DROP_CONNECTION
            elif chance(config.malformed_json):
                answer = MALFORMED_JSON
            status = 429 if answer == RATE_LIMIT else None
            if answer == SERVER_ERROR:
                status = self._random.choice(config.server_error_codes)
            job_fault: str | None = None
            if route == "create" and chance(config.job_error):
                job_fault = JOB_ERROR
            elif route == "create" and chance(config.job_never_finishes):
                job_fault = JOB_NEVER_FINISHES
        if not latency and answer is None and job_fault is None:
            return NO_FAULT
        return FaultPlan(
            latency, answer, status, config.retry_after_seconds, config.retry_after_format, job_fault
        )

    def record(self, kind: str) -> None:
        """Count one fault applied.

        :param kind: its ``faults_by_kind`` key, for example ``rate_limit``.
        """
        self._stats.count_fault(kind)

    def counts(self) -> dict[str, int]:
        """Faults applied so far, per kind (reset with the other stats)."""
        return self._stats.snapshot()["faults_by_kind"]

    def _chance(self, probability: float) -> bool:
        # Certain and impossible outcomes draw nothing, so they never shift a seeded sequence.
        return probability >= 1.0 or (probability > 0.0 and self._random.random() < probability)
