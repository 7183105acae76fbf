"""The job store: jobs, their ids, and their status on the store's clock.

A job's status follows the time since its creation: first pending (``waiting`` for the
Deepgram-style models, ``queued`` for the newer ones) for ``queued_seconds``, then running
(``active`` / ``generating``) for ``processing_seconds`` plus ``processing_seconds_per_audio_second``
times its audio's duration (scaled by a factor fixed by its id when ``processing_spread`` is set),
then ``completed`` -- or ``error`` when a failure was set on it. A held
job stays pending for good. After the retention time every job is gone.

Every operation is O(1) or O(log n) in the number of jobs: a dict by id, expiry popped lazily from
a queue in creation order, and the per-key concurrency count of :mod:`.slots`. :attr:`JobStore.examined`
counts the entries those two looked at, so a test can check that the work per request stays bounded.
"""

from __future__ import annotations

import math
import re
import secrets
import string
import threading
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from aimlstt_emulator.billing import FREE, Bill
from aimlstt_emulator.catalog import Family
from aimlstt_emulator.clock import Clock, MonotonicClock
from aimlstt_emulator.config import EmulatorConfig
from aimlstt_emulator.slots import Slot, SlotTable

_SHORT_ID_ALPHABET = string.ascii_letters + string.digits + "_-"
_SHORT_ID_LENGTH = 21
_ISSUED_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    rf"|[A-Za-z0-9_-]{{{_SHORT_ID_LENGTH}}}"
)


class JobStatus(str, Enum):
    """The ``status`` of a fetch answer, as the fetch schemas list them."""

    WAITING = "waiting"
    ACTIVE = "active"
    QUEUED = "queued"
    GENERATING = "generating"
    COMPLETED = "completed"
    ERROR = "error"


def new_generation_id(family: Family) -> str:
    """A UUID for the older models, a 21-character url-safe id (``RlLz0hRdAs9voL5Qi1Pzr``) for the newer.

    :param family: the model family.
    """
    if family.uses_legacy_statuses:
        return str(uuid.uuid4())
    return new_inference_id()


def new_inference_id() -> str:
    """A 21-character url-safe id, as the newer generation ids and the tracing page's example are."""
    return "".join(secrets.choice(_SHORT_ID_ALPHABET) for _ in range(_SHORT_ID_LENGTH))


def looks_like_generation_id(value: str) -> bool:
    """True for an id the emulator could have issued: a lowercase UUID4 or a 21-character url-safe id.

    :param value: an id from a request path.
    """
    return _ISSUED_ID.fullmatch(value) is not None


@dataclass
class Job:
    """One transcription job.

    :param generation_id: the id the create call answered.
    :param model: the model id.
    :param family: the model's family.
    :param created_at: creation time on the store's clock.
    :param result: the body served once the job is completed.
    :param failure: when set, the job ends in ``error`` with this ``{name, message}`` instead.
    :param error_result: the result its fetch answers carry once it ended in ``error`` (None: none).
    :param held: when True, the job stays pending forever (until its retention expires).
    :param cost: what its create was billed.
    :param client_request_id: the valid ``X-Client-Request-Id`` of its create, or None.
    :param audio_seconds: its audio's duration, which lengthens its processing when
        ``processing_seconds_per_audio_second`` is set.
    :param owner: the API key whose concurrency slot it took (None: it took none).
    """

    generation_id: str
    model: str
    family: Family
    created_at: float
    result: dict[str, Any]
    failure: dict[str, str] | None = None
    error_result: dict[str, Any] | None = None
    held: bool = False
    cost: Bill = FREE
    client_request_id: str | None = None
    audio_seconds: float = 0.0
    owner: str | None = field(default=None, repr=False)


class JobStore:
    """The jobs of one emulator, safe to use from many request threads.

    :param config: read on every call, so timing changes apply at once.
    :param clock: the clock job ages are measured on (default: real time); tests pass a
        :class:`~aimlstt_emulator.clock.ManualClock` and advance it.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock | None = None) -> None:
        self._config = config
        self._clock: Clock = clock if clock is not None else MonotonicClock()
        self._jobs: dict[str, Job] = {}
        self._by_age: deque[tuple[float, str]] = deque()  # (created_at, id), oldest first
        self._slots = SlotTable(self._frees_slot_at, self._slot_holders)
        self._expiry_examined = 0
        self._lock = threading.Lock()

    @property
    def clock(self) -> Clock:
        """The clock job ages are measured on; ``clock.advance(seconds)`` ages every job at once."""
        return self._clock

    @property
    def examined(self) -> int:
        """Entries looked at so far by expiry and by the concurrency count: an operation counter."""
        with self._lock:
            return self._expiry_examined + self._slots.examined

    def footprint(self) -> int:
        """Entries the store's indexes hold (jobs, the expiry queue, the concurrency heaps): what a
        memory test bounds, as expired and finished jobs are pruned lazily."""
        with self._lock:
            return len(self._jobs) + len(self._by_age) + self._slots.tracked()

    def take_slot(self, owner: str, limit: int | None) -> Slot:
        """Take one of a key's concurrency slots for a create about to make a job.

        Use it as a context manager around making the job: the slot is given back unless
        :meth:`add` stored a job in it.

        :param owner: the API key the job counts against.
        :param limit: the most unfinished jobs the key may have (None: no limit).
        :raises ConcurrencyLimitReached: when the key has ``limit`` unfinished jobs already.
        """
        with self._lock:
            self._drop_expired()
            self._slots.reserve(owner, limit, self._clock.now(), self._timing())
        return Slot(owner, lambda: self._release(owner))

    def unfinished(self, owner: str) -> int:
        """How many of the key's jobs are not yet finished (or gone), creates in progress included.

        :param owner: the API key.
        """
        with self._lock:
            self._drop_expired()
            return self._slots.unfinished(owner, self._clock.now(), self._timing())

    def add(
        self,
        generation_id: str,
        model: str,
        family: Family,
        result: dict[str, Any],
        *,
        cost: Bill = FREE,
        client_request_id: str | None = None,
        audio_seconds: float = 0.0,
        slot: Slot | None = None,
    ) -> Job:
        """Store a new job, created now.

        :param generation_id: its id, from :func:`new_generation_id`.
        :param model: the model id.
        :param family: the model's family.
        :param result: the body to serve once it is completed.
        :param cost: what its create was billed.
        :param client_request_id: the valid ``X-Client-Request-Id`` of its create, or None.
        :param audio_seconds: its audio's duration.
        :param slot: the slot from :meth:`take_slot` the job takes (None: it counts against no key).
        :raises ValueError: for a slot that already holds a job or was given back.
        """
        if slot is not None and slot.filled:
            raise ValueError("slot: already holds a job or was given back")
        with self._lock:
            now = self._clock.now()
            job = Job(
                generation_id,
                model,
                family,
                now,
                result,
                cost=cost,
                client_request_id=client_request_id,
                audio_seconds=audio_seconds,
                owner=slot.owner if slot is not None else None,
            )
            self._drop_expired()
            self._jobs[generation_id] = job
            self._by_age.append((now, generation_id))
            if slot is not None:
                self._slots.track(slot.owner, generation_id, self._frees_at(job), now, self._timing())
                slot.filled = True
        return job

    def get(self, generation_id: str) -> Job | None:
        """The job, or None when the id is unknown or the job is past its retention.

        :param generation_id: the id from the request.
        """
        with self._lock:
            self._drop_expired()
            return self._jobs.get(generation_id)

    def fail(
        self,
        generation_id: str,
        name: str = "Error",
        message: str = "Transcription failed",
        result: dict[str, Any] | None = None,
    ) -> bool:
        """Make a job end in ``error`` (once it is past its pending and running phases).

        :param generation_id: the job's id.
        :param name: the ``error.name`` to report.
        :param message: the ``error.message`` to report.
        :param result: the result to answer with the ``error`` status (None: no result).
        :return: False when there is no such job.
        """
        job = self.get(generation_id)
        if job is None:
            return False
        job.failure = {"name": name, "message": message}
        job.error_result = result
        return True

    def hold(self, generation_id: str) -> bool:
        """Make a job stay pending (``waiting``/``queued``) until its retention expires.

        :param generation_id: the job's id.
        :return: False when there is no such job.
        """
        with self._lock:
            self._drop_expired()
            job = self._jobs.get(generation_id)
            if job is None:
                return False
            job.held = True
            if job.owner is not None:  # its slot is taken again, should it have finished already
                now = self._clock.now()
                self._slots.retrack(job.owner, generation_id, self._frees_at(job), now, self._timing())
        return True

    def clear(self) -> None:
        """Forget every job, and free the slots they held: a fresh store for the next test that
        shares this emulator (a held job would otherwise keep its slot until its retention ends)."""
        with self._lock:
            self._jobs.clear()
            self._by_age.clear()
            self._slots.forget_jobs()

    def status_of(self, job: Job) -> JobStatus:
        """The job's status now.

        :param job: a stored job.
        """
        now = self._clock.now()
        legacy = job.family.uses_legacy_statuses
        if job.held or now < job.created_at + self._config.queued_seconds:
            return JobStatus.WAITING if legacy else JobStatus.QUEUED
        if now < self.finishes_at(job):
            return JobStatus.ACTIVE if legacy else JobStatus.GENERATING
        return JobStatus.ERROR if job.failure is not None else JobStatus.COMPLETED

    def finishes_at(self, job: Job) -> float:
        """When the job becomes ``completed`` or ``error`` on the store's clock (infinity when held).

        :param job: a stored job.
        """
        if job.held:
            return math.inf
        config = self._config
        processing = (
            config.processing_seconds + config.processing_seconds_per_audio_second * job.audio_seconds
        )
        if config.processing_spread:
            share = zlib.crc32(job.generation_id.encode()) / 0xFFFFFFFF  # fixed by the id, 0 to 1
            processing *= 1 + config.processing_spread * (2 * share - 1)
        return job.created_at + config.queued_seconds + processing

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._jobs)

    def _frees_at(self, job: Job) -> float:
        return min(self.finishes_at(job), job.created_at + self._config.retention_seconds)

    def _frees_slot_at(self, generation_id: str) -> float | None:
        job = self._jobs.get(generation_id)
        return self._frees_at(job) if job is not None else None

    def _slot_holders(self) -> list[tuple[str, str]]:
        return [(job.owner, key) for key, job in self._jobs.items() if job.owner is not None]

    def _timing(self) -> tuple[float, ...]:
        config = self._config
        return (
            config.queued_seconds,
            config.processing_seconds,
            config.processing_seconds_per_audio_second,
            config.processing_spread,
            config.retention_seconds,
        )

    def _release(self, owner: str) -> None:
        with self._lock:
            self._slots.release(owner)

    def _drop_expired(self) -> None:
        # Jobs are queued oldest first, so the expired ones are at the front: O(1) amortised.
        # (Not the dict's own order: finding a dict's first key after deleting many is O(deleted).)
        now, retention = self._clock.now(), self._config.retention_seconds
        while self._by_age:
            self._expiry_examined += 1
            created_at, generation_id = self._by_age[0]
            if created_at + retention >= now:
                break
            self._by_age.popleft()
            self._jobs.pop(generation_id, None)
