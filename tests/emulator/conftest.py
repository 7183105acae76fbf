"""Fixtures of the emulator's own tests: a fresh emulator per test, WAV files, a small client, the CLI.

The emulator of each test runs on a :class:`ManualClock`: job statuses and retention move only when
the test advances ``emu_server.clock``, never with the wall clock.
"""

from __future__ import annotations

import io
import signal
import struct
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from aimlstt_emulator import EmulatorConfig, EmulatorServer, FaultInjector, ManualClock
from aimlstt_emulator.clock import Clock

API_KEY = "emulator-test-key-7d1f"
SIDECAR_TEXT = "Hello there. How are you today? I am fine, thanks. See you soon."
POLL_STEP_SECONDS = 0.05


def wav_bytes(seconds: float, channels: int = 1, rate: int = 16000, sample_width: int = 2) -> bytes:
    """A silent PCM WAV file of the given length."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(sample_width)
        writer.setframerate(rate)
        writer.writeframes(b"\0" * (round(seconds * rate) * channels * sample_width))
    return buffer.getvalue()


def wav_header(data_bytes: int, channels: int = 1, rate: int = 16000, sample_width: int = 2) -> bytes:
    """The 44-byte header of a PCM WAV file whose data chunk holds ``data_bytes`` bytes."""
    block = channels * sample_width
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, sample_width * 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class SttClient:
    """Create and fetch calls against one emulator, with the test key.

    :param base_url: the emulator's base URL.
    :param clock: the emulator's clock, moved on between polls.
    :param api_key: the key to send.
    """

    def __init__(self, base_url: str, clock: Clock, api_key: str = API_KEY) -> None:
        self.base_url = base_url
        self.clock = clock
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def create_json(self, body: dict[str, Any]) -> requests.Response:
        return self.session.post(f"{self.base_url}/v1/stt/create", json=body, timeout=30)

    def create_upload(
        self,
        model: str,
        audio: bytes,
        filename: str = "clip.wav",
        field: str | None = None,
        data: dict[str, Any] | list[tuple[str, str]] | None = None,
    ) -> requests.Response:
        upload_field = field or ("file" if model.startswith("openai/") else "audio")
        form: list[tuple[str, str]] = [("model", model)]
        form += list(data.items()) if isinstance(data, dict) else list(data or [])
        files = {upload_field: (filename, audio, "application/octet-stream")}
        return self.session.post(f"{self.base_url}/v1/stt/create", data=form, files=files, timeout=30)

    def fetch(self, generation_id: str) -> requests.Response:
        return self.session.get(f"{self.base_url}/v1/stt/{generation_id}", timeout=30)

    def result_of(self, create_response: requests.Response, timeout: float = 10.0) -> dict[str, Any]:
        """Poll until the job is finished, moving the emulator's clock on between polls; return the body.

        :param create_response: the answer to the create call.
        :param timeout: emulated seconds to wait at most.
        """
        assert create_response.status_code in (200, 201), create_response.text
        generation_id = create_response.json()["generation_id"]
        waited = 0.0
        while waited <= timeout:
            body = self.fetch(generation_id).json()
            if body["status"] in ("completed", "error"):
                return body
            self.clock.advance(POLL_STEP_SECONDS)
            waited += POLL_STEP_SECONDS
        raise AssertionError(f"job {generation_id} did not finish in {timeout} emulated seconds")


@pytest.fixture
def transcripts_dir(tmp_path: Path) -> Path:
    """A transcripts folder with ``hello.txt`` and ``sample.txt`` sidecars."""
    folder = tmp_path / "transcripts"
    folder.mkdir()
    (folder / "hello.txt").write_text(SIDECAR_TEXT + "\n", encoding="utf-8")
    (folder / "sample.txt").write_text(SIDECAR_TEXT + "\n", encoding="utf-8")
    (folder / "sample-0.txt").write_text(SIDECAR_TEXT + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def emu_config(transcripts_dir: Path, tmp_path: Path) -> EmulatorConfig:
    """Settings for a fast emulator: jobs complete at once, uploads spool into the test's folder."""
    spool = tmp_path / "spool"
    spool.mkdir()
    return EmulatorConfig(
        api_key=API_KEY,
        transcripts_dir=transcripts_dir,
        queued_seconds=0,
        processing_seconds=0,
        temp_dir=spool,
    )


@pytest.fixture
def emu_server(emu_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    """A running emulator of its own for each test, on a clock that moves only when the test advances it."""
    with EmulatorServer(emu_config, clock=ManualClock()) as server:
        yield server


@pytest.fixture
def client(emu_server: EmulatorServer) -> SttClient:
    """A client of :func:`emu_server` with the right key."""
    return SttClient(emu_server.base_url, emu_server.clock)


@pytest.fixture
def loopback_files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP file server on 127.0.0.1 (which the emulator downloads from): its base URL
    and the folder it serves."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def make_wav() -> Callable[..., bytes]:
    """The :func:`wav_bytes` maker."""
    return wav_bytes


@pytest.fixture
def make_wav_header() -> Callable[..., bytes]:
    """The :func:`wav_header` maker."""
    return wav_header


@pytest.fixture
def api_key() -> str:
    """The key the test emulator accepts."""
    return API_KEY


@pytest.fixture
def sidecar_text() -> str:
    """The text of every sidecar in :func:`transcripts_dir`."""
    return SIDECAR_TEXT


@pytest.fixture
def faults(emu_server: EmulatorServer) -> FaultInjector:
    """The fault injector of :func:`emu_server` (no faults until the test sets some)."""
    return emu_server.faults


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """Start the emulator's command line with extra arguments; return the process and its base URL.

    Each process is stopped with SIGTERM at the end of the test.
    """
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        port_file = tmp_path / f"port-{len(started)}"
        command = [sys.executable, "-m", "aimlstt_emulator", "--port", "0"]
        process = subprocess.Popen(
            [*command, "--port-file", str(port_file), "--api-key", API_KEY, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the emulator did not start: {process.communicate(timeout=5)}")
            time.sleep(0.02)
        return process, f"http://127.0.0.1:{int(port_file.read_text())}"

    yield start
    for process in started:
        if process.returncode is None:  # not yet stopped and read by the test
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=10)
