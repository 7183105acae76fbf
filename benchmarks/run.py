"""``make bench``: every benchmark, each printing the provider's figure beside a baseline or an
anchor measured in the same run, then one table of the performance goals.

1. Batches (``benchmarks/batch.py``, quick sizes here; run it alone for the full sizes): the batch
   operator in ``dag.test()`` against a hook-threads floor, under a concurrency limit, and one
   batch trigger over many ids.
2. Batches in real Airflow (``benchmarks/batch_cluster.py``, 300 files here; alone, 1,500 and
   5,000): the nightly DAG through a scheduler, dag-processor and triggerer against the floor.
3. The goals table: the rows of every module in :data:`GOAL_MODULES` (each has
   ``goals() -> list[GoalResult]``). P1 ``imports.py``: parse-time import CPU beside other
   providers'; P2 ``trigger_waits.py``: 1,000 waits in one event loop beside two other providers'
   triggers; P3 ``upload.py``: a 1 GiB upload beside curl and ``requests``; P4 ``polls.py``: the
   polls of a wait beside the docs' loop and the official SDK's.

Nothing here asserts a time: machines are noisy, read the ratios.
"""

from __future__ import annotations

import importlib
import os
import sys

from goals import GoalResult, print_table  # benchmarks/ is on the path when this runs as a script

GOAL_MODULES: tuple[str, ...] = ("imports", "trigger_waits", "upload", "polls")
"""The benchmark modules (in ``benchmarks/``) whose ``goals()`` rows make the goals table; one
name per module, in goal order. A listed module that is missing fails the run."""


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
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import batch

    batch.run(quick=True)
    import batch_cluster

    batch_cluster.main(["--quick"])
    print()
    print_table(collect_goals())
