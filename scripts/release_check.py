"""Check what would be published: both distributions built, then each wheel used alone as a user would.

The repository holds two distributions: the provider (``airflow-provider-aimlstt``, this folder's
``pyproject.toml``) and the emulator (``aimlstt-emulator``, ``emulator/pyproject.toml``).

1. ``python -m build`` makes the sdist and the wheel of each (the wheel is built from the sdist)
   into ``dist/``.
2. ``twine check --strict`` passes on all four.
3. The provider's wheel holds its Airflow entry point and no emulator code, schema or console
   script, and depends on neither the emulator nor its libraries (``jsonschema``,
   ``python-multipart``); the emulator's wheel holds every API schema of the source tree
   (``emulator/aimlstt_emulator/api_schemas/*/*.json``) and the ``aimlstt-emulator`` console
   script. Neither ships tests, example DAGs or benchmarks.
4. Each wheel goes into a clean venv of its own, with its declared dependencies only (pinned by the
   constraints file, which limits versions and adds no package); ``pip check`` passes and pytest
   is absent in both.

   - The provider's venv: the provider imports, ``airflow providers list`` shows it, and the
     emulator is absent (no ``aimlstt_emulator``, no ``aimlstt-emulator`` script).
   - The emulator's venv: neither Airflow nor the provider is installed, and the
     ``aimlstt-emulator`` console script serves the API (401 without a key, 404 for an unknown
     job with one, and a multipart upload of a WAV file accepted as a job).
5. For each cell of the version matrix (``scripts/version_matrix.py``), on the cell's Python: a
   venv with only the Airflow its constraints file pins (``apache-airflow==<version>``, with those
   constraints), as a user's Airflow; then ``pip install`` of the provider's wheel, unconstrained,
   as that user would run it. pip must leave Airflow as it was (``apache-airflow``, and
   ``apache-airflow-core`` and ``apache-airflow-task-sdk`` where the version has them), ``pip
   check`` pass, the provider import, and Airflow register it with its connection type's hook,
   and its connection form where that Airflow builds one. A table per cell shows what the install
   changed; a cell without a constraints file fails, naming it.

Usage: ``.venv/bin/python scripts/release_check.py --constraints constraints/airflow-3.3/python-3.11.txt``
(``make release-check``; ``--cell 2.11/3.11``: that cell only).
Exits non-zero, naming the failed check, on any failure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import wave
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path
from typing import Any

from version_matrix import CELLS, Cell, find_cell, find_python

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "dist"
EMULATOR_KEY = "release-check-key"


@dataclass(frozen=True)
class Distribution:
    """One of the repository's two distributions.

    :param name: the distribution's name on the package index.
    :param source: the folder of its ``pyproject.toml``.
    :param package: its import package.
    """

    name: str
    source: Path
    package: str

    @property
    def file_prefix(self) -> str:
        """How its sdist and wheel file names begin."""
        return self.name.replace("-", "_") + "-"


PROVIDER = Distribution("airflow-provider-aimlstt", REPO, "airflow_provider_aimlstt")
EMULATOR = Distribution("aimlstt-emulator", REPO / "emulator", "aimlstt_emulator")
# What the emulator brings and the provider's wheel must not: its distribution and its libraries.
EMULATOR_ONLY_REQUIREMENTS = ("aimlstt-emulator", "aimlstt_emulator", "jsonschema", "python-multipart")


class ReleaseCheckFailed(Exception):
    """One check failed; the message says which and why."""


def run(*command: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or a failure with that output.

    :param command: the program and its arguments.
    :param cwd: the folder to run it in.
    :param env: its environment (None: ours).
    """
    printable = " ".join(str(part) for part in command)
    print("+", printable, flush=True)
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise ReleaseCheckFailed(f"`{printable}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build(distribution: Distribution) -> tuple[Path, Path]:
    """Build one distribution into ``dist/`` and check both files with twine; its sdist and wheel.

    :param distribution: the distribution to build.
    """
    run(sys.executable, "-m", "build", "--outdir", DIST, distribution.source)
    (sdist,) = DIST.glob(f"{distribution.file_prefix}*.tar.gz")
    (wheel,) = DIST.glob(f"{distribution.file_prefix}*.whl")
    run(sys.executable, "-m", "twine", "check", "--strict", sdist, wheel)
    return sdist, wheel


def wheel_names(wheel: Path) -> set[str]:
    """The paths of every file in a wheel.

    :param wheel: the wheel file.
    """
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def wheel_metadata(wheel: Path, suffix: str) -> str:
    """The text of one ``.dist-info`` file of a wheel, empty when it has none.

    :param wheel: the wheel file.
    :param suffix: how the file's path ends, e.g. ``/entry_points.txt``.
    """
    with zipfile.ZipFile(wheel) as archive:
        found = [name for name in archive.namelist() if ".dist-info/" in name and name.endswith(suffix)]
        return archive.read(found[0]).decode() if found else ""


def _ships_development_files(names: set[str]) -> bool:
    return any(name.startswith(("tests/", "example_dags/", "benchmarks/", "scripts/")) for name in names)


def check_provider_wheel(wheel: Path) -> None:
    """The provider's wheel: its Airflow entry point; no emulator code, schema, script or library.

    :param wheel: the provider's wheel.
    """
    names = wheel_names(wheel)
    emulator_files = sorted(
        name
        for name in names
        if name.startswith(f"{EMULATOR.package}/")
        or "/emulator/" in name
        or "api_schemas/" in name
        or name.endswith(".json")
    )
    if emulator_files:
        count = len(emulator_files)
        raise ReleaseCheckFailed(
            f"the provider's wheel holds {count} emulator or schema file(s), e.g. {emulator_files[:3]}"
        )
    entry_text = wheel_metadata(wheel, "/entry_points.txt")
    for needed in ("[apache_airflow_provider]", "provider_info"):
        if needed not in entry_text:
            raise ReleaseCheckFailed(f"the provider's entry_points.txt lacks {needed!r}:\n{entry_text}")
    if "aimlstt-emulator" in entry_text or "[console_scripts]" in entry_text:
        raise ReleaseCheckFailed(f"the provider's wheel declares a console script:\n{entry_text}")
    requires = [
        value.split(";")[0].strip().lower()
        for key, value in Parser().parsestr(wheel_metadata(wheel, "/METADATA")).items()
        if key == "Requires-Dist" and "extra ==" not in value
    ]
    brought = [req for req in requires if req.startswith(EMULATOR_ONLY_REQUIREMENTS)]
    if brought:
        raise ReleaseCheckFailed(f"the provider's wheel depends on the emulator's libraries: {brought}")
    if _ships_development_files(names):
        raise ReleaseCheckFailed("the provider's wheel ships tests, example DAGs, benchmarks or scripts")
    size = wheel.stat().st_size
    print(f"provider wheel: {len(names)} files, {size:,} bytes; no emulator code, schema or script")


def check_emulator_wheel(wheel: Path) -> None:
    """The emulator's wheel: every API schema of the source tree and the console script.

    :param wheel: the emulator's wheel.
    """
    schemas_root = EMULATOR.source / EMULATOR.package
    schemas = {str(path.relative_to(EMULATOR.source)) for path in schemas_root.glob("api_schemas/*/*.json")}
    if not schemas:
        raise ReleaseCheckFailed(f"no api_schemas/*/*.json under {schemas_root}: nothing to compare")
    names = wheel_names(wheel)
    missing = sorted(schemas - names)
    if missing:
        raise ReleaseCheckFailed(f"the emulator's wheel lacks {len(missing)} schema(s), e.g. {missing[:3]}")
    entry_text = wheel_metadata(wheel, "/entry_points.txt")
    if "aimlstt-emulator" not in entry_text:
        raise ReleaseCheckFailed(f"the emulator's entry_points.txt lacks aimlstt-emulator:\n{entry_text}")
    if any(name.startswith(f"{PROVIDER.package}/") for name in names) or _ships_development_files(names):
        raise ReleaseCheckFailed("the emulator's wheel ships provider code, tests, examples or scripts")
    print(f"emulator wheel: {len(names)} files, {len(schemas)} schemas, the aimlstt-emulator script")


def install_clean(wheel: Path, constraints: Path, venv: Path) -> Path:
    """A new venv holding one wheel and its declared dependencies only; its bin folder.

    :param wheel: the wheel to install.
    :param constraints: the pins every install follows.
    :param venv: where to make the venv.
    """
    run(sys.executable, "-m", "venv", venv)
    bin_dir = venv / "bin"
    run(
        bin_dir / "python", "-m", "pip", "install", "--quiet", "--constraint", constraints, "--upgrade", "pip"
    )
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--constraint", constraints, wheel)
    run(bin_dir / "python", "-m", "pip", "check")
    return bin_dir


def clean_env(workdir: Path) -> dict[str, str]:
    """The environment of the installed tools: away from the source tree and any Airflow settings.

    :param workdir: the scratch folder (``AIRFLOW_HOME`` goes under it).
    """
    env = {**os.environ, "AIRFLOW_HOME": str(workdir / "airflow-home"), "PYTHONPATH": ""}
    env.pop("AIRFLOW_CONN_AIMLSTT_DEFAULT", None)
    return env


def importable(bin_dir: Path, module: str, workdir: Path) -> bool:
    """Whether a venv's python can import a module.

    :param bin_dir: the venv's bin folder.
    :param module: the module's name.
    :param workdir: the folder to run in (away from the source tree).
    """
    probe = subprocess.run(
        [bin_dir / "python", "-c", f"import {module}"],
        capture_output=True,
        cwd=workdir,
        env=clean_env(workdir),
    )
    return probe.returncode == 0


def check_imported_from_venv(bin_dir: Path, distribution: Distribution, workdir: Path) -> None:
    """The venv imports the distribution's package from the installed wheel, not the source tree.

    :param bin_dir: the venv's bin folder.
    :param distribution: the installed distribution.
    :param workdir: the folder to run in.
    """
    package = distribution.package
    where = run(
        bin_dir / "python",
        "-c",
        f"import {package}; print({package}.__file__)",
        cwd=workdir,
        env=clean_env(workdir),
    )
    if str(distribution.source / package) in where:
        raise ReleaseCheckFailed(f"imported the source tree, not the wheel: {where}")
    if importable(bin_dir, "pytest", workdir):
        raise ReleaseCheckFailed(
            f"pytest is installed: {distribution.name}'s wheel pulled in more than its declared dependencies"
        )


def check_provider_installed(bin_dir: Path, workdir: Path) -> None:
    """The provider alone: imports, Airflow lists it, and the emulator is nowhere.

    :param bin_dir: the venv's bin folder.
    :param workdir: the folder to run in.
    """
    check_imported_from_venv(bin_dir, PROVIDER, workdir)
    providers = run(
        bin_dir / "airflow", "providers", "list", "--output", "plain", cwd=workdir, env=clean_env(workdir)
    )
    if PROVIDER.name not in providers:
        raise ReleaseCheckFailed(f"`airflow providers list` does not show {PROVIDER.name}:\n{providers}")
    if importable(bin_dir, EMULATOR.package, workdir) or (bin_dir / "aimlstt-emulator").exists():
        raise ReleaseCheckFailed("the provider's venv has the emulator: the provider's wheel brought it")
    print(f"provider alone: imports, `airflow providers list` shows {PROVIDER.name}, no emulator")


def check_emulator_installed(bin_dir: Path, workdir: Path) -> None:
    """The emulator alone: no Airflow, no provider, and its console script serves the API.

    :param bin_dir: the venv's bin folder.
    :param workdir: the folder to run in.
    """
    check_imported_from_venv(bin_dir, EMULATOR, workdir)
    for absent in ("airflow", PROVIDER.package):
        if importable(bin_dir, absent, workdir):
            raise ReleaseCheckFailed(f"{absent} is importable: the emulator's wheel brought it")
    check_emulator_serves(bin_dir / "aimlstt-emulator", workdir, clean_env(workdir))


def check_emulator_serves(script: Path, workdir: Path, env: dict[str, str]) -> None:
    """Start the console script on a free port; it must authenticate and answer as the API does.

    :param script: the installed ``aimlstt-emulator``.
    :param workdir: the folder to run it in.
    :param env: its environment.
    """
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
            generation_id = _upload_wav(base_url)
            fetched = _status(f"{base_url}/v1/stt/{generation_id}", EMULATOR_KEY)
            if fetched != 200:
                raise ReleaseCheckFailed(f"aimlstt-emulator answered {fetched} to the fetch of its own job")
        finally:
            emulator.terminate()
            emulator.wait(timeout=30)
    print(f"emulator alone: served {base_url} (401 without the key, 404 for an unknown job, an upload)")


def _status(url: str, api_key: str | None) -> int:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _upload_wav(base_url: str) -> str:
    """Create a job from a one-second WAV upload (multipart, as a client sends it); its generation id.

    :param base_url: the emulator's base URL.
    """
    audio = io.BytesIO()
    with wave.open(audio, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(bytes(2 * 16000))
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n#g1_nova-2-general\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="check.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + audio.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Bearer {EMULATOR_KEY}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    request = urllib.request.Request(f"{base_url}/v1/stt/create", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            generation_id = json.load(answer).get("generation_id")
    except urllib.error.HTTPError as error:
        raise ReleaseCheckFailed(
            f"aimlstt-emulator refused an upload: {error.code} {error.read()!r}"
        ) from None
    if not isinstance(generation_id, str):
        raise ReleaseCheckFailed("aimlstt-emulator's create answer has no generation_id")
    return generation_id


# What a user's Airflow is made of: the provider's install must leave each exactly as it was.
AIRFLOW_DISTRIBUTIONS = ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk")
# Every installed distribution and its version, as JSON.
INSTALLED_PROBE = (
    "import json, importlib.metadata as m; "
    "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))"
)
# The provider imports, and Airflow registers it: its provider info, and its connection type's hook
# where task runners look hooks up. The connection form (its relabelled fields) is checked where
# Airflow builds it: from the provider info on 3.2+, from the hook through Flask-AppBuilder below
# (Airflow 2.11 ships it; 3.0 and 3.1 leave every form bare without it, a hook's as any other's).
# Prints what it found, as JSON.
REGISTRATION_PROBE = f"""
import importlib.util, json
import {PROVIDER.package}
from {PROVIDER.package}.version_compat import AIRFLOW_V_3_2_PLUS
from airflow.providers_manager import ProvidersManager

manager = ProvidersManager()
provider = manager.providers["{PROVIDER.name}"]
(connection,) = provider.data["connection-types"]
conn_type = connection["connection-type"]
if AIRFLOW_V_3_2_PLUS:
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook = ProvidersManagerTaskRuntime().hooks[conn_type]
else:
    hook = manager.hooks[conn_type]
form = AIRFLOW_V_3_2_PLUS or importlib.util.find_spec("flask_appbuilder") is not None
print(json.dumps({{
    "version": provider.version,
    "connection_type": conn_type,
    "hook": hook.hook_class_name,
    "relabeled_fields": sorted(manager.field_behaviours[conn_type]["relabeling"]) if form else None,
}}))
"""


@dataclass
class CellCheck:
    """What the provider's wheel did to one cell's Airflow.

    :param cell: the cell.
    :param seconds: how long its check took.
    :param airflow: the Airflow version the cell pins ("" when unknown).
    :param failure: why it failed; None when it passed.
    :param report: the table of what the install changed, and what registered.
    """

    cell: Cell
    seconds: float = 0.0
    airflow: str = ""
    failure: str | None = None
    report: str = ""


def pinned_version(constraints: Path, distribution: str) -> str | None:
    """The version a constraints file pins for a distribution, or None.

    :param constraints: the constraints file.
    :param distribution: the distribution's name.
    """
    for line in constraints.read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == distribution and version:
            return version.strip()
    return None


def last_json_line(output: str) -> dict[str, Any]:
    """The JSON object a probe printed last (Airflow may log to stdout before it).

    :param output: the probe's standard output.
    """
    lines = output.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict):
        raise ReleaseCheckFailed(f"the probe printed no JSON object last:\n{output[-2000:]}")
    return found


def installed(python: Path, workdir: Path) -> dict[str, str]:
    """Every distribution a venv holds, and its version.

    :param python: the venv's python.
    :param workdir: the folder to run in (away from the source tree).
    """
    return last_json_line(run(python, "-c", INSTALLED_PROBE, cwd=workdir, env=clean_env(workdir)))


def install_changes(before: dict[str, str], after: dict[str, str]) -> str:
    """A Markdown table of each of Airflow's distributions, and of every other the install changed.

    :param before: the versions before the install.
    :param after: the versions after it.
    """
    names = [name for name in AIRFLOW_DISTRIBUTIONS if name in before or name in after]
    names += sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))
    lines = ["| distribution | before the provider | after |", "|---|---|---|"]
    for name in dict.fromkeys(names):
        lines.append(f"| {name} | {before.get(name, '-')} | {after.get(name, '-')} |")
    return "\n".join(lines)


def check_cell(cell: Cell, wheel: Path, workdir: Path) -> CellCheck:
    """Install the cell's pinned Airflow alone, then the provider's wheel; see the module's step 5.

    :param cell: the cell.
    :param wheel: the provider's wheel.
    :param workdir: a scratch folder (its venv goes under it).
    """
    started = time.monotonic()
    check = CellCheck(cell)
    try:
        if not cell.constraints.exists():
            missing = cell.constraints.relative_to(REPO)
            raise ReleaseCheckFailed(f"{missing} is missing: pin it with `make constraints CELL={cell.name}`")
        airflow = pinned_version(cell.constraints, "apache-airflow")
        if airflow is None:
            raise ReleaseCheckFailed(f"{cell.constraints.relative_to(REPO)} pins no apache-airflow")
        check.airflow = airflow
        try:
            interpreter = find_python(cell.python)
        except SystemExit as missing:
            raise ReleaseCheckFailed(str(missing)) from None
        venv = workdir / f"airflow-{cell.airflow}-python-{cell.python}"
        run(interpreter, "-m", "venv", venv)
        python = venv / "bin" / "python"
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        run(*pip, "--constraint", cell.constraints, f"apache-airflow=={airflow}")
        before = installed(python, workdir)
        run(*pip, wheel)
        after = installed(python, workdir)
        check.report = install_changes(before, after)
        moved = [name for name in AIRFLOW_DISTRIBUTIONS if before.get(name) != after.get(name)]
        if moved:
            raise ReleaseCheckFailed(
                "installing the provider changed Airflow: "
                + ", ".join(f"{name} {before.get(name, '-')} -> {after.get(name, '-')}" for name in moved)
            )
        run(python, "-m", "pip", "check")
        found = last_json_line(run(python, "-c", REGISTRATION_PROBE, cwd=workdir, env=clean_env(workdir)))
        if found["relabeled_fields"] is None:
            form = "no connection form: this Airflow builds forms with Flask-AppBuilder, not installed"
        else:
            form = f"its form relabels {', '.join(found['relabeled_fields'])}"
        check.report += (
            f"\n\nregistered: {PROVIDER.name} {found['version']}, connection type "
            f"{found['connection_type']} ({found['hook']}; {form})"
        )
    except ReleaseCheckFailed as failure:
        check.failure = str(failure)
    check.seconds = time.monotonic() - started
    return check


def check_cells(cells: list[Cell], wheel: Path, workdir: Path) -> list[CellCheck]:
    """Check each cell in turn, printing its table as it ends, then a summary table of all.

    :param cells: the cells.
    :param wheel: the provider's wheel.
    :param workdir: a scratch folder.
    """
    checks = []
    for cell in cells:
        check = check_cell(cell, wheel, workdir)
        checks.append(check)
        outcome = "passed" if check.failure is None else f"FAILED: {check.failure}"
        print(f"\n## cell {cell.name}: Airflow {check.airflow or '?'}, {check.seconds:.0f} s: {outcome}")
        if check.report:
            print(check.report)
        print(flush=True)
    lines = ["| cell | Airflow | provider installed alone | seconds |", "|---|---|---|---|"]
    for check in checks:
        outcome = "Airflow unchanged, registered" if check.failure is None else "FAILED"
        lines.append(f"| {check.cell.name} | {check.airflow or '?'} | {outcome} | {check.seconds:.0f} |")
    print("\n".join(lines), flush=True)
    return checks


def main(argv: list[str]) -> int:
    """Command line entry point.

    :param argv: the arguments after the program's name.
    """
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--constraints", type=Path, required=True, help="pins for the clean installs")
    parser.add_argument(
        "--cell",
        action="append",
        help="a version matrix cell to install the provider's wheel into (default: every cell)",
    )
    args = parser.parse_args(argv)
    constraints = args.constraints.resolve()
    cells = [find_cell(name) for name in args.cell] if args.cell else CELLS
    try:
        shutil.rmtree(DIST, ignore_errors=True)
        _provider_sdist, provider_wheel = build(PROVIDER)
        _emulator_sdist, emulator_wheel = build(EMULATOR)
        check_provider_wheel(provider_wheel)
        check_emulator_wheel(emulator_wheel)
        with tempfile.TemporaryDirectory(prefix="aimlstt-release-") as scratch:
            workdir = Path(scratch)
            check_provider_installed(
                install_clean(provider_wheel, constraints, workdir / "provider"), workdir
            )
            check_emulator_installed(
                install_clean(emulator_wheel, constraints, workdir / "emulator"), workdir
            )
            failed_cells = [
                check for check in check_cells(cells, provider_wheel, workdir) if check.failure is not None
            ]
            if failed_cells:
                raise ReleaseCheckFailed(
                    "the provider's wheel in an Airflow of the version matrix: "
                    + "; ".join(f"{check.cell.name}: {check.failure}" for check in failed_cells)
                )
    except ReleaseCheckFailed as failure:
        print(f"release check FAILED: {failure}", file=sys.stderr)
        return 1
    print(f"release check passed: {', '.join(sorted(p.name for p in DIST.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
