"""The emulator page's fault-injection lines, run as written: the command starts an emulator with
those faults, and each curl line changes or reads them (only the port is another, a free one)."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.helpers import wait_for

SNIPPET = REPO / "docs" / "snippets" / "emulator_faults.sh"
WRITTEN_PORT = "8765"


def _commands(port: int) -> tuple[list[str], list[str]]:
    """The snippet's emulator command (its arguments) and its curl lines, on ``port``."""
    lines = [line for line in SNIPPET.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    text = "\n".join(lines).replace("\\\n", " ").replace(WRITTEN_PORT, str(port))
    commands = [line.split("  #")[0].strip() for line in text.splitlines() if line.strip()]
    start, curls = commands[0], commands[1:]
    assert start.startswith("aimlstt-emulator ") and start.endswith(" &"), start
    return shlex.split(start.removesuffix("&")), curls


def test_the_fault_lines_start_change_read_and_clear_the_faults(tmp_path: Path) -> None:
    port = _free_port()
    start, curls = _commands(port)
    assert [curl.split()[:4] for curl in curls] == [
        ["curl", "-s", "-X", "PUT"],
        ["curl", "-s", f"localhost:{port}/_emulator/faults"],
        ["curl", "-s", "-X", "DELETE"],
    ]
    command = [str(Path(sys.executable).parent / start[0]), *start[1:]]  # the venv's aimlstt-emulator
    emulator = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        assert wait_for(lambda: _answers(port), timeout=30), "the emulator did not start"
        started = _faults(port)
        assert started["rate_limit"] == 0.2 and started["seed"] == 7, started
        outputs = [
            subprocess.run(["bash", "-c", curl], capture_output=True, text=True, check=True).stdout
            for curl in curls
        ]
        assert json.loads(outputs[1])["drop_connection"] == 0.1
        assert json.loads(outputs[1])["rate_limit"] == 0  # PUT replaced the whole set
        cleared = _faults(port)
        assert cleared["drop_connection"] == 0 and cleared["rate_limit"] == 0, cleared
    finally:
        os.killpg(emulator.pid, signal.SIGTERM)
        emulator.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    return (
        subprocess.run(["curl", "-sf", f"localhost:{port}/_emulator/faults"], capture_output=True).returncode
        == 0
    )


def _faults(port: int) -> dict:
    answer = subprocess.run(
        ["curl", "-s", f"localhost:{port}/_emulator/faults"], capture_output=True, text=True
    )
    return json.loads(answer.stdout)
