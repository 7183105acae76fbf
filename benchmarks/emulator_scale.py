"""Benchmark: the emulator's creates and fetches per second with 100 and with 10,000 jobs held.

In-process (no HTTP, whose cost is the same at any size), on a manual clock that moves on with every
create so that the store holds a steady number of jobs: the oldest expire as new ones come, half
of them are unfinished and counted against ``max_concurrent_jobs``. Then the fetches again just
after all but the newest 1% expired at once (a batch whose retention ran out). A rate that falls
as the store grows would mean a per-request scan; the ratios should stay near 1.

Run with ``.venv/bin/python benchmarks/emulator_scale.py``. Nothing asserts a time: read the ratios.
"""

from __future__ import annotations

import random
import time

from aimlstt_emulator import EmulatorConfig, ManualClock
from aimlstt_emulator.jobs import JobStore
from aimlstt_emulator.models import SttBackend
from aimlstt_emulator.stats import EmulatorStats

SIZES = (100, 10_000)
MEASURED_CREATES = 3_000
MEASURED_FETCHES = 30_000
RETENTION_SECONDS = 600.0
MODEL = "nova-3"


def rates(jobs_held: int) -> tuple[float, float, float]:
    """Creates and fetches per second while the store holds ``jobs_held`` jobs, and fetches per
    second after all but the newest 1% of them expired.

    :param jobs_held: how many jobs stay within their retention at any time.
    """
    config = EmulatorConfig(
        queued_seconds=0.0,
        processing_seconds=RETENTION_SECONDS / 2,
        retention_seconds=RETENTION_SECONDS,
        nominal_duration_seconds=1.0,
        max_concurrent_jobs=jobs_held * 2,
    )
    clock = ManualClock()
    store = JobStore(config, clock)
    backend = SttBackend(config, store, EmulatorStats())
    step = RETENTION_SECONDS / jobs_held
    ids: list[str] = []

    def create(index: int) -> None:
        job, _, _ = backend.create(MODEL, {}, url=f"https://example.com/batch/{index}.mp3")
        ids.append(job.generation_id)
        clock.advance(step)

    for index in range(2 * jobs_held):  # past one retention: jobs now expire as fast as they come
        create(index)
    started = time.perf_counter()
    for index in range(MEASURED_CREATES):
        create(2 * jobs_held + index)
    creates = MEASURED_CREATES / (time.perf_counter() - started)
    live = ids[-jobs_held:]
    fetches = _fetch_rate(backend, live)
    assert len(store) <= jobs_held + 1
    survivors = max(1, jobs_held // 100)
    clock.advance(RETENTION_SECONDS - survivors * step)
    backend.fetch(live[-1])  # this fetch drops the expired ones
    assert len(store) <= survivors + 1
    return creates, fetches, _fetch_rate(backend, live[-survivors:])


def _fetch_rate(backend: SttBackend, ids: list[str]) -> float:
    chooser = random.Random(len(ids))
    picks = [chooser.choice(ids) for _ in range(MEASURED_FETCHES)]
    started = time.perf_counter()
    for generation_id in picks:
        backend.fetch(generation_id)
    return MEASURED_FETCHES / (time.perf_counter() - started)


def main() -> None:
    """Print the rates at each size and the ratio of the smallest to the largest."""
    results = {size: rates(size) for size in SIZES}
    for size, (creates, fetches, after) in results.items():
        print(
            f"{size:>6} jobs held: {creates:9.0f} creates/s {fetches:9.0f} fetches/s "
            f"{after:9.0f} fetches/s after 99% expired"
        )
    small, large = results[SIZES[0]], results[SIZES[-1]]
    ratios = ", ".join(
        f"{name} {small[index] / large[index]:.2f}x"
        for index, name in enumerate(("creates", "fetches", "fetches after expiry"))
    )
    print(f"ratio {SIZES[0]} / {SIZES[-1]} jobs: {ratios} (1.00x: no slower with more jobs)")


if __name__ == "__main__":
    main()
