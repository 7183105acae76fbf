"""Benchmarks: each prints the provider's figure, a baseline measured in the same run, and their ratio.

1. Upload memory: peak Python memory while encoding a 64 MiB upload, the provider's streamed
   multipart body against ``requests``' own ``files=`` encoding.
2. Triggerer clients: CPU time and memory to open the async HTTP clients of 300 waiting triggers,
   the provider's (one shared TLS context) against a default ``httpx.AsyncClient`` each.

3. Batches (``benchmarks/batch.py``, quick sizes here; run it alone for the full sizes): the batch
   operator in ``dag.test()`` against a hook-threads floor, under a concurrency limit, and one
   batch trigger over many ids.
4. Batches in real Airflow (``benchmarks/batch_cluster.py``, 300 files here; alone, 1,500 and
   5,000): the nightly DAG through a scheduler, dag-processor and triggerer against the floor.

Then the goals table: the rows of every module in :data:`GOAL_MODULES` (each has
``goals() -> list[GoalResult]``), printed together at the end. P1 (``benchmarks/imports.py``): the
CPU time of importing the operators and sensor over ``airflow.sdk``, beside the anchors.

Run with ``make bench``. Nothing here asserts a time: machines are noisy, read the ratios.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable

import httpx
import requests
from goals import GoalResult, print_table  # benchmarks/ is on the path when this runs as a script

from airflow_provider_aimlstt.hooks.transport import shared_ssl_context
from airflow_provider_aimlstt.multipart import MultipartFileBody, UploadFile

UPLOAD_BYTES = 64 * 1024 * 1024
TRIGGERS = 300
GOAL_MODULES: tuple[str, ...] = ("imports",)
"""The benchmark modules (in ``benchmarks/``) whose ``goals()`` rows make the goals table; one
name per module, in goal order. A listed module that is missing fails the run."""


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def bench_upload_memory() -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as audio:
        audio.truncate(UPLOAD_BYTES)
        audio.flush()

        def streamed() -> None:
            for _ in MultipartFileBody([("model", "aai/universal")], "audio", UploadFile.local(audio.name)):
                pass

        def baseline() -> None:
            with open(audio.name, "rb") as handle:
                requests.Request(
                    "POST", "http://127.0.0.1/", data={"model": "aai/universal"}, files={"audio": handle}
                ).prepare()

        ours, theirs = _peak_bytes(streamed), _peak_bytes(baseline)
    print(
        f"upload {UPLOAD_BYTES >> 20} MiB: streamed body peak {ours / 2**20:.2f} MiB, "
        f"requests files= peak {theirs / 2**20:.2f} MiB, ratio {theirs / max(ours, 1):.0f}x less memory"
    )


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _clients_cost(make: Callable[[], httpx.AsyncClient]) -> tuple[float, int]:
    """CPU seconds and resident memory (TLS contexts live outside Python's allocator) of the clients."""

    async def open_and_close() -> tuple[float, int]:
        rss_before = _rss_bytes()
        started = time.process_time()
        clients = [make() for _ in range(TRIGGERS)]
        cpu = time.process_time() - started
        memory = _rss_bytes() - rss_before
        await asyncio.gather(*(client.aclose() for client in clients))
        return cpu, memory

    return asyncio.run(open_and_close())


def bench_trigger_clients() -> None:
    shared_ssl_context()  # built once per triggerer process; not part of the per-trigger cost
    ours_cpu, ours_mem = _clients_cost(lambda: httpx.AsyncClient(verify=shared_ssl_context()))
    base_cpu, base_mem = _clients_cost(httpx.AsyncClient)
    cpu_ratio = base_cpu / max(ours_cpu, 1e-9)
    memory_ratio = base_mem / max(ours_mem, 2**20)
    print(
        f"{TRIGGERS} trigger clients: shared TLS context {ours_cpu * 1000:.0f} ms CPU / "
        f"{ours_mem / 2**20:.1f} MiB, default clients {base_cpu * 1000:.0f} ms CPU / "
        f"{base_mem / 2**20:.1f} MiB, "
        f"ratio {cpu_ratio:.0f}x less CPU, {memory_ratio:.0f}x less memory"
    )


def collect_goals(module_names: tuple[str, ...] = GOAL_MODULES) -> list[GoalResult]:
    """Run each goal module's measurements and gather its rows.

    :param module_names: modules importable from ``benchmarks/`` (it must be on ``sys.path``).
    :return: the rows, in module order.
    """
    rows: list[GoalResult] = []
    for name in module_names:
        rows.extend(importlib.import_module(name).goals())
    return rows


if __name__ == "__main__":
    print(f"benchmarks on {os.cpu_count()} cores")
    bench_upload_memory()
    bench_trigger_clients()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import batch

    batch.run(quick=True)
    import batch_cluster

    batch_cluster.main(["--quick"])
    print()
    print_table(collect_goals())
