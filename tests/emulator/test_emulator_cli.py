"""The command line: start as a subprocess, serve, log without the key, stop on a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from aimlstt_emulator import EmulatorConfig, EmulatorServer
from aimlstt_emulator.__main__ import build_parser

SECRET_KEY = "sk-cli-secret-91b2"


def start_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "aimlstt_emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def wait_for_port_file(path: Path, process: subprocess.Popen[str], timeout: float = 15.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return int(path.read_text().strip())
        if process.poll() is not None:
            raise AssertionError(f"emulator exited early: {process.communicate()}")
        time.sleep(0.02)
    raise AssertionError("no port file")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly(tmp_path, transcripts_dir, make_wav, sidecar_text, stop_signal) -> None:
    port_file = tmp_path / "port"
    process = start_cli(
        "--port", "0", "--port-file", str(port_file), "--transcripts-dir", str(transcripts_dir),
        "--queued-seconds", "0", "--processing-seconds", "0", "--fetch-style", "universal",
        env={"AIMLSTT_EMULATOR_API_KEY": SECRET_KEY},
    )  # fmt: skip
    try:
        port = wait_for_port_file(port_file, process)
        assert process.stdout is not None
        assert process.stdout.readline() == f"aimlstt emulator listening on http://127.0.0.1:{port}\n"
        headers = {"Authorization": f"Bearer {SECRET_KEY}"}
        base = f"http://127.0.0.1:{port}"
        created = requests.post(
            f"{base}/v1/stt/create",
            data={"model": "#g1_nova-2-general"},
            files={"audio": ("hello.wav", make_wav(1.0))},
            headers=headers,
            timeout=10,
        )
        assert created.status_code == 201
        fetched = requests.get(
            f"{base}/v1/stt/{created.json()['generation_id']}", headers=headers, timeout=10
        )
        assert (
            fetched.json()["output"]["results"]["channels"][0]["alternatives"][0]["transcript"]
            == sidecar_text
        )
        assert (
            requests.get(f"{base}/v1/stt/x", headers={"Authorization": "Bearer nope"}, timeout=10).status_code
            == 401
        )
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "POST /v1/stt/create 201" in stderr
    assert "GET /v1/stt/x 401" in stderr
    assert SECRET_KEY not in stderr and "Bearer" not in stderr
    assert not port_file.exists()


def test_cli_refuses_a_non_loopback_host() -> None:
    process = start_cli("--host", "0.0.0.0", "--port", "0")
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 2 and "--allow-remote" in stderr


def test_python_api_refuses_a_non_loopback_host() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        EmulatorServer(EmulatorConfig(), host="0.0.0.0")
    with EmulatorServer(EmulatorConfig(), host="localhost") as server:
        assert server.base_url == f"http://localhost:{server.port}"


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="fetch_style"):
        EmulatorConfig(fetch_style="modern")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="queued_seconds"):
        EmulatorConfig(queued_seconds=-1)
    with pytest.raises(ValueError, match=r"^usage_log_delay_seconds: "):
        EmulatorConfig(usage_log_delay_seconds=-0.5)
    with pytest.raises(ValueError, match=r"^prices_per_second: 'nova-9' is neither"):
        EmulatorConfig(prices_per_second={"nova-9": 0.1})
    with pytest.raises(ValueError, match=r"^prices_per_second: the price of 'nova-3' must be 0 or more"):
        EmulatorConfig(prices_per_second={"nova-3": -1.0})
    with pytest.raises(ValueError, match=r"^prices_per_second: the price of 'deepgram'"):
        EmulatorConfig(prices_per_second={"deepgram": True})  # type: ignore[dict-item]
    assert (
        EmulatorConfig(prices_per_second={"deepgram": 0, "slam-1": 1e-5}).prices_per_second["slam-1"] == 1e-5
    )
    for limit in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match=r"^max_concurrent_jobs: must be 1 or more"):
            EmulatorConfig(max_concurrent_jobs=limit)  # type: ignore[arg-type]
    for factor in (-0.1, float("inf"), float("nan"), "1"):
        with pytest.raises(ValueError, match=r"^processing_seconds_per_audio_second: "):
            EmulatorConfig(processing_seconds_per_audio_second=factor)  # type: ignore[arg-type]
    assert (
        EmulatorConfig(max_concurrent_jobs=1, processing_seconds_per_audio_second=2).max_concurrent_jobs == 1
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--price", "nova-3"], "--price: expected MODEL_OR_FAMILY=USD_PER_SECOND, got 'nova-3'"),
        (["--price", "nova-3=cheap"], "--price: expected MODEL_OR_FAMILY=USD_PER_SECOND"),
        (["--price", "nova-9=0.1"], "prices_per_second: 'nova-9' is neither a model id nor a family name"),
        (["--usage-log-delay-seconds", "-1"], "usage_log_delay_seconds: must be 0 or more"),
        (["--max-concurrent-jobs", "0"], "max_concurrent_jobs: must be 1 or more"),
        (["--max-concurrent-jobs", "two"], "--max-concurrent-jobs: invalid int value"),
        (["--processing-seconds-per-audio-second", "-1"], "processing_seconds_per_audio_second: must be 0"),
        (["--processing-spread", "1.5"], "processing_spread: must be a fraction from 0 to below 1"),
    ],
)
def test_cli_refuses_bad_billing_and_log_flags(flags, message) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "aimlstt_emulator", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert finished.returncode == 2 and message in finished.stderr


def test_stop_closes_kept_alive_connections(make_wav) -> None:
    server = EmulatorServer(EmulatorConfig()).start()
    session = requests.Session()
    assert session.get(f"{server.base_url}/_emulator/stats", timeout=5).status_code == 200
    url = f"{server.base_url}/_emulator/stats"
    server.stop()
    with pytest.raises(requests.ConnectionError):
        session.get(url, timeout=5)
    server.stop()  # a second stop does nothing


def test_the_emulator_imports_no_airflow() -> None:
    code = (
        "import sys, aimlstt_emulator.__main__; "
        "print(sorted(m for m in sys.modules if m == 'airflow' or m.startswith('airflow.')))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "[]"


def test_the_help_documents_the_batch_settings() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "--max-concurrent-jobs N" in text and "before any job is made, with 429 Too Many Requests" in text
    assert "the seconds until the earliest of them finishes" in text
    assert "--processing-seconds-per-audio-second FACTOR" in text
    assert "--processing-spread FRACTION" in text
    defaults = build_parser().parse_args([])
    assert defaults.max_concurrent_jobs is None and defaults.processing_seconds_per_audio_second == 0.0
    assert defaults.processing_spread == 0.0


def test_the_cli_limits_concurrent_jobs_and_lengthens_them(run_cli, api_key, make_wav) -> None:
    _, base = run_cli(
        "--max-concurrent-jobs", "1", "--queued-seconds", "0", "--processing-seconds", "100",
        "--processing-seconds-per-audio-second", "1000",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {api_key}"}

    def create() -> requests.Response:
        files = {"audio": ("clip.wav", make_wav(1.0))}
        return requests.post(f"{base}/v1/stt/create", data={"model": "nova-3"}, files=files, headers=headers)

    assert create().status_code == 201
    refused = create()
    assert refused.status_code == 429 and refused.json()["message"] == "Too Many Requests"
    assert 1000 < int(refused.headers["Retry-After"]) <= 1100  # 100 s + 1000 s per second of audio
    assert requests.get(f"{base}/_emulator/stats", timeout=10).json()["concurrency_limited"] == 1
