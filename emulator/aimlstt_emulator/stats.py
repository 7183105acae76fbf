"""Counters of what the emulator was asked, for tests and fault injection.

Counting is O(1); a snapshot copies the counters, so it grows with the distinct audio created.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class EmulatorStats:
    """Thread-safe counters: creates per audio sha256, requests per route, answers per status, faults,
    and creates refused by the concurrency limit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._creates_by_sha256: Counter[str] = Counter()
        self._requests_by_route: Counter[str] = Counter()
        self._responses_by_status: Counter[str] = Counter()
        self._faults_by_kind: Counter[str] = Counter()
        self._create_attempts = 0
        self._creates_total = 0
        self._requests_total = 0
        self._concurrency_limited = 0

    def count_request(self, route: str) -> None:
        """Count one request.

        :param route: the route template, for example ``GET /v1/stt/{generation_id}``.
        """
        with self._lock:
            self._requests_by_route[route] += 1
            self._requests_total += 1

    def count_response(self, status: int) -> None:
        """Count one answer.

        :param status: its HTTP status code.
        """
        with self._lock:
            self._responses_by_status[str(status)] += 1

    def count_create(self, sha256: str) -> None:
        """Count one create call that made a job (even when a fault then lost its answer).

        :param sha256: the digest of its audio (of the URL text when there was no audio).
        """
        with self._lock:
            self._creates_by_sha256[sha256] += 1
            self._creates_total += 1

    def count_create_attempt(self) -> None:
        """Count one create request received, whatever its answer (faulted, refused or accepted)."""
        with self._lock:
            self._create_attempts += 1

    def count_concurrency_limited(self) -> None:
        """Count one create refused with 429 because its key had ``max_concurrent_jobs`` unfinished jobs."""
        with self._lock:
            self._concurrency_limited += 1

    def count_fault(self, kind: str) -> None:
        """Count one fault applied.

        :param kind: for example ``rate_limit``, ``server_error_503`` or ``job_error``.
        """
        with self._lock:
            self._faults_by_kind[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        """A copy of every counter, safe to keep and to serialise as JSON."""
        with self._lock:
            return {
                "creates_total": self._creates_total,
                "creates_by_sha256": dict(self._creates_by_sha256),
                "create_attempts": self._create_attempts,
                "requests_total": self._requests_total,
                "requests_by_route": dict(self._requests_by_route),
                "responses_by_status": dict(self._responses_by_status),
                "faults_by_kind": dict(self._faults_by_kind),
                "concurrency_limited": self._concurrency_limited,
            }

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self._creates_by_sha256.clear()
            self._requests_by_route.clear()
            self._responses_by_status.clear()
            self._faults_by_kind.clear()
            self._create_attempts = self._creates_total = self._requests_total = 0
            self._concurrency_limited = 0
