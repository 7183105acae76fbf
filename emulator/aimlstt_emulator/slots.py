"""The per-key concurrency limit (``EmulatorConfig.max_concurrent_jobs``), in O(log n) per create.

The contract, which provider tests rely on:

- A job holds one of its API key's slots from its create until it is finished (``completed`` or
  ``error`` on the emulator's clock) or gone (past its retention). A held job
  (``job_never_finishes``) keeps its slot until it is gone. A create being processed holds a slot
  too, so creates sent at the same time never get past the limit together.
- A create that would give the key more than ``max_concurrent_jobs`` unfinished jobs gets the
  documented 429 (``Too Many Requests``, "a rate or concurrency limit", in the API's error body)
  once its body is validated and BEFORE anything is processed: no URL is downloaded, no job is
  made, nothing is billed or counted in ``creates_by_sha256``. It is logged for ``GET /v2/logs``
  as ``failed`` at zero cost, like every refused create, and counted in the stats'
  ``concurrency_limited`` (it is no fault, so never in ``faults_by_kind``).
- Its ``Retry-After`` (in seconds) is the whole seconds, at least 1, until the key's earliest
  unfinished job finishes, so a client that waits that long succeeds -- unless another create
  took the slot first.
- Timing settings are read on every request, as everywhere: changing them re-sorts the key's
  stored jobs once (one pass over them), after which every operation is cheap again. So a job that
  completed is counted again if a longer ``processing_seconds`` makes it running again.

How: per key, a heap of ``(time the job frees its slot, generation id)``. Its top is settled
lazily (finished or gone jobs popped, a job held since it was pushed moved back) whenever the key
is counted, so the count is the heap's size and each create costs O(log n) amortised.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from types import TracebackType


class ConcurrencyLimitReached(Exception):
    """The key already has as many unfinished jobs as it may.

    :param retry_after_seconds: whole seconds (at least 1) until its earliest job finishes.
    """

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"concurrency limit reached; retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class Slot:
    """One slot of a key, taken for a create about to make a job.

    A context manager: leaving it gives the slot back unless a job was stored in it.

    :param owner: the API key it counts against.
    :param release: gives the slot back.
    """

    def __init__(self, owner: str, release: Callable[[], None]) -> None:
        self.owner = owner
        self.filled = False
        self._release = release

    def __enter__(self) -> Slot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self.filled:
            self.filled = True  # given back once only
            self._release()


@dataclass
class _KeySlots:
    heap: list[tuple[float, str]] = field(default_factory=list)
    reserved: int = 0


class SlotTable:
    """Per key, the unfinished jobs ordered by when they free their slot, plus the slots reserved.

    Not thread-safe: the job store calls it under its own lock.

    :param frees_at: when a job frees its slot on the current settings (None once it is gone).
    :param stored: ``(owner, generation id)`` of every stored job that took a slot, to re-sort from.
    """

    def __init__(
        self, frees_at: Callable[[str], float | None], stored: Callable[[], Iterable[tuple[str, str]]]
    ) -> None:
        self._frees_at = frees_at
        self._stored = stored
        self._keys: dict[str, _KeySlots] = {}
        self._queued: set[str] = set()  # the generation ids in some heap
        self._timing: Hashable = None
        self.examined = 0
        """Heap entries looked at so far: an operation counter for scale tests."""

    def reserve(self, owner: str, limit: int | None, now: float, timing: Hashable) -> None:
        """Take one of the key's slots.

        :param owner: the API key.
        :param limit: the most unfinished jobs it may have (None: no limit).
        :param now: the current time on the store's clock.
        :param timing: the timing settings (a change re-sorts the heaps).
        :raises ConcurrencyLimitReached: when ``limit`` slots are taken already.
        """
        slots = self._settled(owner, now, timing)
        if limit is not None and len(slots.heap) + slots.reserved >= limit:
            frees = slots.heap[0][0] if slots.heap else now
            raise ConcurrencyLimitReached(max(1, math.ceil(frees - now)))
        slots.reserved += 1

    def release(self, owner: str) -> None:
        """Give back a reserved slot no job took.

        :param owner: the API key.
        """
        slots = self._keys.get(owner)
        if slots is not None and slots.reserved > 0:
            slots.reserved -= 1
            self._forget_if_idle(owner)

    def track(self, owner: str, generation_id: str, frees_at: float, now: float, timing: Hashable) -> None:
        """Turn a reserved slot into a stored job's.

        :param owner: the API key whose slot it is.
        :param generation_id: the job's id.
        :param frees_at: when the job frees the slot.
        :param now: the current time on the store's clock.
        :param timing: the timing settings.
        """
        slots = self._settled(owner, now, timing)
        slots.reserved = max(0, slots.reserved - 1)
        self._push(slots, frees_at, generation_id)

    def retrack(self, owner: str, generation_id: str, frees_at: float, now: float, timing: Hashable) -> None:
        """A stored job frees its slot later than it did (it was held): count it again if it was done.

        :param owner: the API key whose slot it took.
        :param generation_id: the job's id.
        :param frees_at: when it now frees the slot.
        :param now: the current time on the store's clock.
        :param timing: the timing settings.
        """
        slots = self._settled(owner, now, timing)
        if generation_id not in self._queued and frees_at > now:
            self._push(slots, frees_at, generation_id)
        self._forget_if_idle(owner)

    def unfinished(self, owner: str, now: float, timing: Hashable) -> int:
        """How many of the key's slots are taken: unfinished jobs, and creates being processed.

        :param owner: the API key.
        :param now: the current time on the store's clock.
        :param timing: the timing settings.
        """
        slots = self._settled(owner, now, timing)
        count = len(slots.heap) + slots.reserved
        self._forget_if_idle(owner)
        return count

    def forget_jobs(self) -> None:
        """Drop every tracked job (the store forgot them); slots of creates in progress stay taken."""
        self._queued.clear()
        for owner in list(self._keys):
            self._keys[owner].heap = []
            self._forget_if_idle(owner)

    def tracked(self) -> int:
        """Heap entries held, over every key (finished jobs not yet pruned included)."""
        return sum(len(slots.heap) for slots in self._keys.values())

    def _settled(self, owner: str, now: float, timing: Hashable) -> _KeySlots:
        if timing != self._timing:
            self._resort(now)
            self._timing = timing
        slots = self._keys.setdefault(owner, _KeySlots())
        heap = slots.heap
        while heap:
            self.examined += 1
            frees_at, generation_id = heap[0]
            actual = self._frees_at(generation_id)
            if actual is None or actual <= now:
                heapq.heappop(heap)
                self._queued.discard(generation_id)
            elif actual != frees_at:  # held since it was pushed: it frees its slot later
                heapq.heapreplace(heap, (actual, generation_id))
            else:
                break
        return slots

    def _resort(self, now: float) -> None:
        heaps: dict[str, list[tuple[float, str]]] = {}
        for owner, generation_id in self._stored():
            self.examined += 1
            frees_at = self._frees_at(generation_id)
            if frees_at is not None and frees_at > now:
                heaps.setdefault(owner, []).append((frees_at, generation_id))
        self._queued = {generation_id for heap in heaps.values() for _, generation_id in heap}
        for owner in set(self._keys) | set(heaps):
            heap = heaps.get(owner, [])
            heapq.heapify(heap)
            self._keys.setdefault(owner, _KeySlots()).heap = heap
            self._forget_if_idle(owner)

    def _push(self, slots: _KeySlots, frees_at: float, generation_id: str) -> None:
        heapq.heappush(slots.heap, (frees_at, generation_id))
        self._queued.add(generation_id)

    def _forget_if_idle(self, owner: str) -> None:
        slots = self._keys.get(owner)
        if slots is not None and not slots.heap and not slots.reserved:
            del self._keys[owner]
