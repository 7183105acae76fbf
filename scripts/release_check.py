"""Check what would be published: build the sdist and wheel, then use the wheel as a user would.

1. ``python -m build`` makes both into ``dist/`` (the wheel is built from the sdist).
2. ``twine check --strict`` passes on both.
3. The wheel holds every shipped API schema (``api_schemas/*/*.json``) and both entry points.
4. A clean venv gets the wheel with its declared dependencies only (pinned by the constraints
   file, which limits versions and adds no package): ``pip check`` passes, pytest is absent,
   ``airflow providers list`` shows the provider, and the ``aimlstt-emulator`` console script
   serves the API (401 without a key, 404 for an unknown job with one).

Usage: ``.venv/bin/python scripts/release_check.py --constraints constraints/airflow-3.3/python-3.11.txt``
(``make release-check``). Exits non-zero, naming the failed check, on any failure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "dist"
PACKAGE = "airflow_provider_aimlstt"
DISTRIBUTION = "airflow-provider-aimlstt"
EMULATOR_KEY = "release-check-key"


class ReleaseCheckFailed(Exception):
    """One check failed; the message says which and why."""


def run(*command: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or a failure with that output."""
    printable = " ".join(str(part) for part in command)
    print("+", printable, flush=True)
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise ReleaseCheckFailed(f"`{printable}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build() -> tuple[Path, Path]:
    """Build into a fresh ``dist/``; the sdist and the wheel."""
    shutil.rmtree(DIST, ignore_errors=True)
    run(sys.executable, "-m", "build", "--outdir", DIST, REPO)
    (sdist,) = DIST.glob("*.tar.gz")
    (wheel,) = DIST.glob("*.whl")
    run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
    return sdist, wheel


def check_wheel_contents(wheel: Path) -> None:
    """Every schema of the source tree is in the wheel, and so are both entry points."""
    schemas = {str(path.relative_to(REPO)) for path in (REPO / PACKAGE).glob("api_schemas/*/*.json")}
    if not schemas:
        raise ReleaseCheckFailed(f"no api_schemas/*/*.json under {PACKAGE}/: nothing to compare")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        entry_text = archive.read(entry_points).decode()
    missing = sorted(schemas - names)
    if missing:
        raise ReleaseCheckFailed(f"the wheel lacks {len(missing)} schema(s), e.g. {missing[:3]}")
    for needed in ("[apache_airflow_provider]", "provider_info", "aimlstt-emulator"):
        if needed not in entry_text:
            raise ReleaseCheckFailed(f"the wheel's entry_points.txt lacks {needed!r}:\n{entry_text}")
    if any(name.startswith(("tests/", "example_dags/", "benchmarks/")) for name in names):
        raise ReleaseCheckFailed("the wheel ships tests, example DAGs or benchmarks")
    print(f"wheel: {len(schemas)} schemas, both entry points")


def install_clean(wheel: Path, constraints: Path, workdir: Path) -> Path:
    """A new venv holding the wheel and its declared dependencies only; its bin folder."""
    venv = workdir / "venv"
    run(sys.executable, "-m", "venv", venv)
    bin_dir = venv / "bin"
    run(
        bin_dir / "python", "-m", "pip", "install", "--quiet", "--constraint", constraints, "--upgrade", "pip"
    )
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--constraint", constraints, wheel)
    run(bin_dir / "python", "-m", "pip", "check")
    return bin_dir


def check_installed(bin_dir: Path, workdir: Path) -> None:
    """The installed wheel, away from the source tree: imports, Airflow sees it, the emulator serves."""
    env = {**os.environ, "AIRFLOW_HOME": str(workdir / "airflow-home"), "PYTHONPATH": ""}
    env.pop("AIRFLOW_CONN_AIMLSTT_DEFAULT", None)
    where = run(
        bin_dir / "python", "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)", cwd=workdir, env=env
    )
    if str(REPO / PACKAGE) in where:
        raise ReleaseCheckFailed(f"imported the source tree, not the wheel: {where}")
    absent = subprocess.run([bin_dir / "python", "-c", "import pytest"], capture_output=True, cwd=workdir)
    if absent.returncode == 0:
        raise ReleaseCheckFailed(
            "pytest is installed: the wheel pulled in more than its declared dependencies"
        )
    providers = run(bin_dir / "airflow", "providers", "list", "--output", "plain", cwd=workdir, env=env)
    if DISTRIBUTION not in providers:
        raise ReleaseCheckFailed(f"`airflow providers list` does not show {DISTRIBUTION}:\n{providers}")
    print(f"airflow providers list: shows {DISTRIBUTION}")
    check_emulator(bin_dir / "aimlstt-emulator", workdir, env)


def check_emulator(script: Path, workdir: Path, env: dict[str, str]) -> None:
    """Start the console script on a free port; it must authenticate and answer as the API does."""
    command = [str(script), "--port", "0", "--api-key", EMULATOR_KEY]
    with subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, text=True) as emulator:
        try:
            assert emulator.stdout is not None
            ready = emulator.stdout.readline().strip()
            if "listening on " not in ready:
                raise ReleaseCheckFailed(f"aimlstt-emulator did not say it listens: {ready!r}")
            base_url = ready.rsplit(" ", 1)[-1]
            unknown_job = f"{base_url}/v1/stt/00000000-0000-0000-0000-000000000000"
            statuses = (_status(unknown_job, None), _status(unknown_job, EMULATOR_KEY))
            if statuses != (401, 404):
                raise ReleaseCheckFailed(f"aimlstt-emulator answered {statuses}, not (401, 404)")
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
    print(f"aimlstt-emulator: served {base_url} (401 without the key, 404 for an unknown job)")


def _status(url: str, api_key: str | None) -> int:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--constraints", type=Path, required=True, help="pins for the clean install")
    args = parser.parse_args(argv)
    try:
        _sdist, wheel = build()
        check_wheel_contents(wheel)
        with tempfile.TemporaryDirectory(prefix="aimlstt-release-") as workdir:
            bin_dir = install_clean(wheel, args.constraints.resolve(), Path(workdir))
            check_installed(bin_dir, Path(workdir))
    except ReleaseCheckFailed as failure:
        print(f"release check FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"release check passed: {', '.join(sorted(p.name for p in DIST.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
