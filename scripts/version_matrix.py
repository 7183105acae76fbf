"""The supported (Airflow, Python) cells: their pinned constraints, and the test runs that prove them.

Each cell has a constraints file, ``constraints/airflow-<minor>/python-<minor>.txt``: every package
of a resolved install of the provider with its ``test`` and ``release`` extras and of the emulator
(``emulator/``, a distribution of its own), the newest patch of that Airflow minor, on that
Python. Installing with it gives the same versions on every machine.

Usage (with any Python 3.11+; ``make constraints`` and ``make test-matrix`` call it):

    python scripts/version_matrix.py constraints [--cell 3.3/3.13 ...]   # resolve anew, rewrite the files
    python scripts/version_matrix.py venv --cell 3.3/3.13 --venv .venv   # a venv from a cell's file
    python scripts/version_matrix.py test [--cell ...] [--workers N]     # each cell's tests, a summary table
    python scripts/version_matrix.py cells                               # list the cells
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONSTRAINTS_DIR = REPO / "constraints"
MATRIX_DIR = REPO / ".matrix"
PROVIDER = "airflow-provider-aimlstt"
EMULATOR = "aimlstt-emulator"
EXTRAS = "test,release,distributed"
# Both distributions of the repository, editable: the emulator (emulator/) and the provider.
EDITABLE_INSTALL = ("-e", "./emulator", "-e", f".[{EXTRAS}]")
PYPROJECTS = (REPO / "pyproject.toml", REPO / "emulator" / "pyproject.toml")
# The pytest selection of a cell: "core" is the unit, emulator, Airflow and dag.test() end-to-end
# tests; "full" adds the e2e-marked tests, which run a real scheduler, dag-processor and triggerer.
SUITES = {"core": ["-m", "not e2e"], "full": []}
# pytest-xdist's workers per cell's run, as `make test` runs the suite: "auto" is the number
# tests/conftest.py's pytest_xdist_auto_num_workers gives; 0 runs without workers.
DEFAULT_WORKERS = "auto"
# pytest's exit statuses: 0 every test passed, 1 some failed; anything else (2 interrupted, 3 an
# internal error, 4 a usage error, 5 no test collected) means the cell's tests did not run as a whole.
PYTEST_PASSED, PYTEST_FAILED = 0, 1


@dataclass(frozen=True)
class Cell:
    """One supported combination: an Airflow minor version on a Python minor version."""

    airflow: str
    python: str
    suite: str = "core"

    @property
    def name(self) -> str:
        return f"{self.airflow}/{self.python}"

    @property
    def constraints(self) -> Path:
        return CONSTRAINTS_DIR / f"airflow-{self.airflow}" / f"python-{self.python}.txt"

    @property
    def venv(self) -> Path:
        return MATRIX_DIR / f"airflow-{self.airflow}-python-{self.python}"


# The Airflow minors the provider declares, each on one Python (spread over 3.11 to 3.13), and 3.3
# on the newest Python too. "full" cells run the e2e tests as well: the oldest Airflow here, the
# newest in `make test` (3.3 on python3). An "install" cell is one whose suite is not green yet:
# the release check installs the provider into its Airflow (which pip must leave as it was) and
# checks that Airflow registers it; `make test-matrix` does not run its suite.
INSTALL_ONLY = "install"
CELLS = [
    Cell("2.11", "3.11", suite="full"),
    Cell("3.0", "3.12", suite=INSTALL_ONLY),
    Cell("3.1", "3.13"),
    Cell("3.2", "3.12"),
    Cell("3.3", "3.11", suite="full"),
    Cell("3.3", "3.13"),
]
# Pins added to a minor's resolve, for what its newest patch declares too loosely: each says what breaks.
KNOWN_BAD = {
    # apache-airflow-core 3.0.6 declares universal-pathlib>=0.2.2 and fastapi>=0.115.0 without upper bounds.
    "3.0": [
        "universal-pathlib<0.3",  # 0.3: ObjectStoragePath("s3://...") fails, "detected protocol s3"
        "fastapi<0.118",  # 0.165: each task's start is refused 422 (3.1 declares this bound)
    ],
    # apache-airflow-core 3.2.2 declares svcs>=25.1.0 and fastapi>=0.129.0 without upper bounds.
    "3.2": [
        "svcs<26.2",  # 26.2 moved its registry into the app's lifespan: dag.test() fails, 'svcs_registry'
        "fastapi<=0.156.0",  # 0.156.8: the execution API's models fail with "needs a discriminator field"
    ],
}
MAKE_TEST_CELL = Cell("3.3", "3.11", suite="full")
"""The cell `make test` runs (Airflow 3.3 on this machine's python3): `make test-matrix` leaves it out."""
TESTED_CELLS = [cell for cell in CELLS if cell.suite in SUITES and cell != MAKE_TEST_CELL]


def find_cell(name: str) -> Cell:
    """The cell named ``<airflow minor>/<python minor>``, e.g. ``3.3/3.13``."""
    for cell in CELLS:
        if cell.name == name:
            return cell
    raise SystemExit(f"unknown cell {name!r}; the cells are: {', '.join(c.name for c in CELLS)}")


def find_python(minor: str) -> str:
    """A ``python<minor>`` interpreter: on PATH, else one of pyenv's."""
    candidates = [shutil.which(f"python{minor}")]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python{minor}")))
    for candidate in candidates:
        if candidate and _python_minor(candidate) == minor:
            return candidate
    raise SystemExit(f"no Python {minor} found (python{minor} on PATH, or ~/.pyenv/versions/{minor}.*)")


def _python_minor(python: str) -> str | None:
    probe = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


def run(*command: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command from the repository, failing loudly; its output goes to ours."""
    print("+", " ".join(str(part) for part in command), flush=True)
    return subprocess.run([str(part) for part in command], cwd=REPO, check=True, text=True, **kwargs)  # type: ignore[call-overload]


def make_venv(python: str, venv: Path) -> Path:
    """A new, empty virtual environment (an old one at that path is removed); its python."""
    shutil.rmtree(venv, ignore_errors=True)
    run(python, "-m", "venv", venv)
    return venv / "bin" / "python"


def refresh_constraints(cell: Cell) -> None:
    """Resolve the provider anew on the newest patch of the cell's Airflow; write its constraints file."""
    venv = MATRIX_DIR / f"resolve-airflow-{cell.airflow}-python-{cell.python}"
    python = make_venv(find_python(cell.python), venv)
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    known_bad = KNOWN_BAD.get(cell.airflow, [])
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        *EDITABLE_INSTALL,
        f"apache-airflow~={cell.airflow}.0",
        *known_bad,
    )
    run(python, "-m", "pip", "check")
    frozen = run(python, "-m", "pip", "freeze", "--all", "--exclude-editable", capture_output=True).stdout
    pins = sorted(
        (
            line
            for line in frozen.splitlines()
            if "==" in line and not line.startswith((f"{PROVIDER}==", f"{EMULATOR}=="))
        ),
        key=str.lower,
    )
    versions = dict(line.split("==", 1) for line in pins)
    python_version = run(
        python, "-c", "import platform; print(platform.python_version())", capture_output=True
    ).stdout.strip()
    header = [
        f"# Airflow {versions['apache-airflow']}, Python {python_version}: the resolved install",
        f"# of {PROVIDER}[{EXTRAS}] and {EMULATOR} on {date.today().isoformat()}, every package pinned.",
        f"# Written by `make constraints CELL={cell.name}`; do not edit by hand.",
    ]
    if known_bad:
        header.insert(2, f"# Resolved with {', '.join(known_bad)} (scripts/version_matrix.py's KNOWN_BAD).")
    cell.constraints.parent.mkdir(parents=True, exist_ok=True)
    cell.constraints.write_text("\n".join(header + pins) + "\n", encoding="utf-8")
    print(f"wrote {cell.constraints.relative_to(REPO)} ({len(pins)} pins)")
    shutil.rmtree(venv, ignore_errors=True)


def install_cell(cell: Cell, venv: Path) -> bool:
    """Make ``venv`` hold the provider and the emulator (editable), pinned by the cell's constraints file.

    Returns False when it already did: its stamp matches the constraints file and both pyproject.toml.
    """
    if not cell.constraints.exists():
        raise SystemExit(f"{cell.constraints.relative_to(REPO)} is missing: run `make constraints` for it")
    stamp = venv / ".installed"
    digest = hashlib.sha256(
        cell.constraints.read_bytes() + b"".join(path.read_bytes() for path in PYPROJECTS)
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return False
    python = make_venv(find_python(cell.python), venv)
    constraint = ["--constraint", cell.constraints]
    run(python, "-m", "pip", "install", "--quiet", *constraint, "--upgrade", "pip")
    run(python, "-m", "pip", "install", "--quiet", *constraint, *EDITABLE_INSTALL)
    run(python, "-m", "pip", "check")
    stamp.write_text(digest)
    return True


@dataclass
class CellResult:
    """What one cell's test run gave."""

    cell: Cell
    versions: str
    passed: int
    failed: int
    skipped: int
    install_seconds: float
    test_seconds: float
    exit_status: int = PYTEST_PASSED


def test_cell(cell: Cell, workers: str = DEFAULT_WORKERS) -> CellResult:
    """Install the cell (when needed) and run its suite; the counts come from pytest's JUnit report.

    An "install" cell, asked for by name (``--cell 3.0/3.12``), runs the core suite.

    A run that pytest did not end with "passed" or "failed" (no test collected, a usage error, an
    interruption) counts as one failure more than the report holds, so that it never reads as passed.
    """
    started = time.monotonic()
    install_cell(cell, cell.venv)
    installed = time.monotonic()
    python = cell.venv / "bin" / "python"
    report = cell.venv / "junit.xml"
    report.unlink(missing_ok=True)
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "-n", workers]
    selection = SUITES.get(cell.suite, SUITES["core"])
    exit_status = subprocess.run([str(part) for part in pytest + selection], cwd=REPO).returncode
    finished = time.monotonic()
    versions = run(
        python,
        "-c",
        "import platform, airflow; print(f'Airflow {airflow.__version__}, "
        "Python {platform.python_version()}')",
        capture_output=True,
    ).stdout.strip()
    passed = failed = skipped = 0
    if report.exists():
        suite = ElementTree.parse(report).getroot()
        suite = suite if suite.tag == "testsuite" else suite.find("testsuite")  # type: ignore[assignment]
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        passed = total - failed - skipped
    else:
        failed = 1  # pytest did not even report: count the cell as failed
    if exit_status not in (PYTEST_PASSED, PYTEST_FAILED) or (exit_status == PYTEST_FAILED and not failed):
        print(f"{cell.name}: pytest exited with status {exit_status}: counted as a failure", flush=True)
        failed += 1
    return CellResult(
        cell, versions, passed, failed, skipped, installed - started, finished - installed, exit_status
    )


def summary_table(results: list[CellResult]) -> str:
    """A Markdown table of the results, one row per cell."""
    lines = [
        "| cell | installed | suite | passed | failed | skipped | pytest exit | install s | tests s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.cell.name} | {r.versions} | {r.cell.suite} | {r.passed} | {r.failed} | {r.skipped} "
            f"| {r.exit_status} | {r.install_seconds:.0f} | {r.test_seconds:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["constraints", "venv", "test", "cells"])
    parser.add_argument("--cell", action="append", help="<airflow minor>/<python minor>, e.g. 3.3/3.13")
    parser.add_argument("--venv", type=Path, help="for `venv`: where to make it")
    parser.add_argument(
        "--workers",
        default=DEFAULT_WORKERS,
        help="for `test`: pytest-xdist's -n for each cell's run (auto: as `make test`; 0: none)",
    )
    args = parser.parse_args(argv)
    if args.action == "cells":
        for cell in CELLS:
            if cell == MAKE_TEST_CELL:
                tested = "make test (python3)"
            elif cell in TESTED_CELLS:
                tested = f"test-matrix: {cell.suite}"
            else:
                tested = "release check only: installed and registered; its suite is not run"
            print(f"{cell.name}\t{cell.constraints.relative_to(REPO)}\t{tested}")
        return 0
    if args.action == "venv":
        if not args.cell or len(args.cell) != 1 or args.venv is None:
            parser.error("venv takes one --cell and --venv")
        install_cell(find_cell(args.cell[0]), args.venv.resolve())
        return 0
    if args.action == "constraints":
        for cell in [find_cell(name) for name in args.cell] if args.cell else CELLS:
            refresh_constraints(cell)
        return 0
    cells = [find_cell(name) for name in args.cell] if args.cell else TESTED_CELLS
    results = []
    for cell in cells:
        results.append(test_cell(cell, args.workers))
        print(summary_table(results), flush=True)
    MATRIX_DIR.mkdir(exist_ok=True)
    table = summary_table(results)
    (MATRIX_DIR / "results.md").write_text(table + "\n", encoding="utf-8")
    print(f"\nVersion matrix ({MATRIX_DIR.relative_to(REPO)}/results.md):\n{table}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"matrix: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
