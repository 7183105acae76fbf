"""The README's quick start, run as written from a fresh clone: the emulator in one shell, then
``airflow db migrate`` and ``airflow dags test`` of the quick start DAG in another, and the
transcript it prints. Then the connection page's snippet (``airflow connections add`` and
``airflow connections test``) in the same Airflow home, against the same emulator.

The clone reuses this checkout's ``.venv`` (a link: a fresh install takes minutes), with the
clone's own package and emulator first on ``PYTHONPATH``, so the clone's code is what runs. The
only change to the commands is the port: a free one instead of 8765.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import AUDIO_DIR, REPO
from tests.docs.test_readme import quickstart_blocks
from tests.helpers import wait_for

WRITTEN_PORT = "8765"
CONNECTION_SNIPPET = REPO / "docs" / "snippets" / "connection.sh"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _clean_environment(clone: Path) -> dict[str, str]:
    """The environment of a new shell: none of the test session's Airflow settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")}
    env["PYTHONPATH"] = f"{clone}{os.pathsep}{clone / 'emulator'}"
    return env


@pytest.mark.e2e
def test_the_readme_quickstart_runs_as_written_from_a_fresh_clone(tmp_path: Path) -> None:
    started = time.monotonic()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    (clone / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    emulator_block, dag_block, run_block = [text for _, text in quickstart_blocks()]
    assert dag_block == (clone / "docs" / "quickstart" / "my_first_transcript.py").read_text(encoding="utf-8")
    port = _free_port()
    env = _clean_environment(clone)
    emulator = subprocess.Popen(
        ["bash", "-c", emulator_block.replace(WRITTEN_PORT, str(port))],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: _listening(port), timeout=60), "the emulator did not start"
        run = subprocess.run(
            ["bash", "-e", "-c", run_block.replace(WRITTEN_PORT, str(port))],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        spoken = (AUDIO_DIR / "meeting_note.txt").read_text(encoding="utf-8").strip()
        assert run.stdout.rstrip().endswith(spoken), run.stdout[-2000:]
        written = clone / ".quickstart" / "transcripts"
        assert sorted(path.name for path in written.iterdir()) == [
            "meeting_note.json",
            "meeting_note.srt",
            "meeting_note.txt",
        ]
        quickstart_seconds = time.monotonic() - started

        connection = subprocess.run(
            ["bash", "-e", "-c", CONNECTION_SNIPPET.read_text(encoding="utf-8")],
            cwd=clone,
            env={
                **env,
                "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{env['PATH']}",
                "AIRFLOW_HOME": str(clone / ".quickstart"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIMLAPI_BASE_URL": f"http://127.0.0.1:{port}",
                "AIMLAPI_KEY": "emulator-key",
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert connection.returncode == 0, connection.stdout[-3000:] + connection.stderr[-3000:]
        assert "Connection success!" in connection.stdout, connection.stdout[-2000:]
        assert f"aimlstt_default | aimlstt   | http://127.0.0.1:{port} |" in connection.stdout
    finally:
        os.killpg(emulator.pid, signal.SIGTERM)
        emulator.wait(timeout=30)
    total_seconds = time.monotonic() - started
    print(f"quick start {quickstart_seconds:.0f} s, with the connection snippet {total_seconds:.0f} s")
