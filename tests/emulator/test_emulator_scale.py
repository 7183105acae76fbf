"""Ten thousand jobs: the work per request stays bounded, counted by the job store, never timed.

``JobStore.examined`` counts the entries expiry and the concurrency count look at. A scan of every
job per request (as a naive count of a key's unfinished jobs would be) shows up here as thousands
per create; the lazy heaps and the expiry queue look at a few, and at each job a bounded number of
times in all. ``benchmarks/emulator_scale.py`` measures the speed itself.
"""

from __future__ import annotations

import math

from aimlstt_emulator import EmulatorConfig, ManualClock
from aimlstt_emulator.catalog import MODEL_FAMILIES
from aimlstt_emulator.exceptions import ApiError
from aimlstt_emulator.jobs import JobStore
from aimlstt_emulator.models import SttBackend
from aimlstt_emulator.stats import EmulatorStats

JOBS = 10_000
PER_REQUEST = 4  # expiry and the concurrency heap each look at one live entry, twice per create
MODEL = "nova-3"


def test_ten_thousand_unfinished_jobs_cost_each_create_and_fetch_the_same() -> None:
    config = EmulatorConfig(
        queued_seconds=1000.0,
        retention_seconds=5000.0,
        nominal_duration_seconds=1.0,
        max_concurrent_jobs=JOBS,
    )
    clock, stats = ManualClock(), EmulatorStats()
    jobs = JobStore(config, clock)
    backend = SttBackend(config, jobs, stats)
    ids = []
    for index in range(JOBS):
        before = jobs.examined
        job, _, _ = backend.create(MODEL, {}, url=f"https://example.com/batch/{index}.mp3")
        assert jobs.examined - before <= PER_REQUEST, f"create {index}"  # fails fast, not in minutes
        ids.append(job.generation_id)
        clock.advance(0.01)
    assert jobs.unfinished(config.api_key) == len(jobs) == stats.snapshot()["creates_total"] == JOBS

    before = jobs.examined
    try:
        backend.create(MODEL, {}, url="https://example.com/one-too-many.mp3")
    except ApiError as refused:
        first = jobs.get(ids[0])
        assert first is not None
        first_finishes = jobs.finishes_at(first)  # 1000 + 2 s after it began, 100 s ago
        assert refused.status == 429 and refused.headers == {
            "Retry-After": str(math.ceil(first_finishes - clock.now()))
        }
    else:
        raise AssertionError("the create past the limit was accepted")
    assert jobs.examined - before <= PER_REQUEST and stats.snapshot()["concurrency_limited"] == 1

    before = jobs.examined
    for generation_id in ids[::10]:
        assert backend.fetch(generation_id)["status"] == "waiting"
    assert jobs.examined - before <= len(ids[::10])  # one look at the oldest job per fetch

    clock.advance(1100.0)  # every job completes: the next create prunes them all, once
    before = jobs.examined
    backend.create(MODEL, {}, url="https://example.com/next.mp3")
    assert JOBS <= jobs.examined - before <= JOBS + PER_REQUEST
    assert jobs.unfinished(config.api_key) == 1
    assert jobs.examined <= 3 * PER_REQUEST * JOBS  # amortised over the whole run

    clock.advance(config.retention_seconds + 1)  # every job is past its retention
    assert backend.fetch(backend.create(MODEL, {}, url="https://example.com/last.mp3")[0].generation_id)
    assert len(jobs) == 1 and jobs.footprint() <= 3  # the newest job, its expiry entry and its slot


def test_a_steady_stream_of_jobs_stays_bounded_in_work_and_memory() -> None:
    """Jobs finish and expire while new ones come: 0.5 s each, 30 s retention, one every 0.01 s."""
    config = EmulatorConfig(queued_seconds=0.1, processing_seconds=0.4, retention_seconds=30.0)
    clock = ManualClock()
    jobs = JobStore(config, clock)
    family = MODEL_FAMILIES[MODEL]
    for index in range(JOBS):
        before = jobs.examined
        with jobs.take_slot("key", 100) as slot:
            jobs.add(f"job-{index}", MODEL, family, {}, slot=slot)
        assert jobs.examined - before <= 2 * PER_REQUEST, f"create {index}"  # a job or two end per step
        assert jobs.footprint() <= 2 * 3001 + 60, f"create {index}"  # ~3000 within retention, ~50 running
        clock.advance(0.01)
    assert jobs.examined <= 2 * PER_REQUEST * JOBS
    assert jobs.unfinished("key") <= 51
