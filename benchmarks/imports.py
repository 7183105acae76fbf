"""Benchmark P1: the CPU time a DAG file pays to import the provider's operators and sensor.

Each figure is measured in a fresh interpreter: the child imports the baseline every DAG file
pays anyway (``airflow.sdk``, ``airflow.triggers.base``), then reads ``time.process_time()``
around the import of the measured modules only. The anchors (other providers' operator and
sensor modules, from ``benchmarks/anchors.txt``) are measured the same way in the same run,
round-robin with ours, so the machine's load falls on every subject alike. Each figure is the
median of ``--runs`` children, after one warm-up child per subject (compiles the bytecode).

Run alone with ``.bench/venv/bin/python benchmarks/imports.py [--runs N]``; ``make bench`` runs
it through ``benchmarks/run.py``. Nothing asserts a time here: the verdict is the goal's row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from goals import GoalResult, print_table  # benchmarks/ is on the path: run as a script, or by run.py

REPO = Path(__file__).resolve().parents[1]
BASELINE: tuple[str, ...] = ("airflow.sdk", "airflow.triggers.base")
"""What every DAG file with a deferrable task imports before any provider."""
GOAL_MS = 50.0
DEFAULT_RUNS = 7


@dataclass(frozen=True)
class Subject:
    """Modules whose import is measured over the baseline.

    :param name: how the table names it.
    :param modules: the modules a DAG file imports to use its operators and sensors.
    """

    name: str
    modules: tuple[str, ...]


OURS = Subject(
    "ours",
    (
        "airflow_provider_aimlstt.operators.submit",
        "airflow_provider_aimlstt.operators.transcribe",
        "airflow_provider_aimlstt.operators.batch",
        "airflow_provider_aimlstt.sensors.job",
    ),
)
ANCHORS: tuple[Subject, ...] = (
    Subject(
        "dbt-cloud",
        ("airflow.providers.dbt.cloud.operators.dbt", "airflow.providers.dbt.cloud.sensors.dbt"),
    ),
    Subject("http", ("airflow.providers.http.operators.http", "airflow.providers.http.sensors.http")),
    # The OpenAI provider has no sensor: its deferrable operator's trigger module stands for one.
    Subject(
        "openai",
        ("airflow.providers.openai.operators.openai", "airflow.providers.openai.triggers.openai"),
    ),
)

_CHILD = """
import importlib, json, sys, time
for name in {baseline!r}:
    importlib.import_module(name)
started = time.process_time()
try:
    for name in {modules!r}:
        importlib.import_module(name)
except ImportError as exc:
    print(json.dumps({{"missing": str(exc)}}))
    sys.exit(0)
print(json.dumps({{"cpu_seconds": time.process_time() - started}}))
"""


def _child_env() -> dict[str, str]:
    """The environment of a child: this checkout first on the path, so its code is what is measured."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    return env


def measure_once(subject: Subject) -> float | None:
    """One fresh interpreter's CPU seconds to import the subject's modules over the baseline.

    :param subject: what to import.
    :return: the seconds, or None when one of its modules is not installed.
    :raises RuntimeError: when the child fails otherwise.
    """
    code = _CHILD.format(baseline=BASELINE, modules=subject.modules)
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=_child_env(), check=False
    )
    if child.returncode != 0:
        raise RuntimeError(f"importing {subject.name} failed:\n{child.stderr[-2000:]}")
    answer = json.loads(child.stdout.strip().splitlines()[-1])
    return None if "missing" in answer else float(answer["cpu_seconds"])


def measure(subjects: tuple[Subject, ...], runs: int) -> dict[str, float | None]:
    """The median milliseconds of each subject over ``runs`` children, taken round-robin.

    :param subjects: ours and the anchors.
    :param runs: children per subject (after one warm-up child each, not counted).
    :return: milliseconds by subject name; None for a subject that is not installed.
    """
    samples: dict[str, list[float]] = {subject.name: [] for subject in subjects}
    missing: set[str] = set()
    for round_number in range(runs + 1):
        for subject in subjects:
            if subject.name in missing:
                continue
            seconds = measure_once(subject)
            if seconds is None:
                missing.add(subject.name)
            elif round_number > 0:
                samples[subject.name].append(seconds * 1000)
    return {name: None if name in missing else statistics.median(values) for name, values in samples.items()}


def verdict(medians: dict[str, float | None], runs: int) -> GoalResult:
    """The goal's row: ours against the threshold, beside each anchor and its ratio to ours.

    :param medians: milliseconds by subject name (:func:`measure`).
    :param runs: the children per subject, for the row's text.
    """
    ours = medians[OURS.name]
    if ours is None:
        raise RuntimeError("the provider itself could not be imported")
    figures = []
    for anchor in ANCHORS:
        theirs = medians.get(anchor.name)
        if theirs is None:
            figures.append(f"{anchor.name} not installed")
        else:
            figures.append(f"{anchor.name} {theirs:.0f} ms ({theirs / max(ours, 0.1):.1f}x ours)")
    return GoalResult(
        goal=f"P1 import of operators + sensor over airflow.sdk, CPU <= {GOAL_MS:.0f} ms",
        anchors=", ".join(figures),
        ours=f"{ours:.0f} ms (median of {runs})",
        passed=ours <= GOAL_MS,
    )


def goals(runs: int = DEFAULT_RUNS) -> list[GoalResult]:
    """Measure P1 and return its row for the goals table.

    :param runs: children per subject.
    """
    return [verdict(measure((OURS, *ANCHORS), runs), runs)]


def main(argv: list[str] | None = None) -> None:
    """Print each subject's median and the goal's row.

    :param argv: the command line (``--runs N``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help="children per subject")
    runs = parser.parse_args(argv).runs
    medians = measure((OURS, *ANCHORS), runs)
    for name, value in medians.items():
        print(f"{name}: " + ("not installed" if value is None else f"{value:.1f} ms CPU, median of {runs}"))
    print_table([verdict(medians, runs)])


if __name__ == "__main__":
    main()
