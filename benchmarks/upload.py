"""P3: a 1 GiB upload through the hook, beside curl and a naive ``requests`` upload, same run.

Each client uploads the same WAV file (a 44-byte header, then zeros) to the emulator's
``POST /v1/stt/create`` as multipart, in a fresh process, after one small upload that imports
and sets up what a process does once. Reported: wall time, its ratio to curl's (higher is
faster), and the process's resident memory growth (peak RSS minus RSS before the big upload).
Goal: growth <= 64 MB and >= 0.8x curl's speed.

Run alone with ``python benchmarks/upload.py``; ``make bench`` runs it in its goals table.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from goals import GoalResult, print_table

UPLOAD_BYTES = 1 << 30
GROWTH_GOAL_MB = 64.0
SPEED_GOAL = 0.8
API_KEY = "bench-upload-key"
MODEL = "#g1_nova-2-general"

# Each child prints one JSON line: {"seconds": wall, "growth_mb": peak RSS - RSS before}. The peak
# is the kernel's high-water mark (VmHWM), reset just before the upload: a process's lifetime peak
# (ru_maxrss) would count a passing peak of its first, small upload (imports and set-up whose
# memory is freed again) as the big upload's.
_MEASURE = """
import json, re, sys, time
def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20
def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
def peak_mb():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) / 1024
"""
OURS = (
    _MEASURE
    + """
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models.request import TranscriptionRequest
hook = AimlSttHook(aimlstt_conn_id="bench_upload")
# A first, small upload: what the process imports and sets up once is not the upload's cost.
hook.submit(TranscriptionRequest(model=sys.argv[2], audio_path=sys.argv[4]))
request = TranscriptionRequest(model=sys.argv[2], audio_path=sys.argv[1])
before = rss_mb()
reset_peak()
started = time.monotonic()
hook.submit(request)
seconds = time.monotonic() - started
peak = peak_mb()
print(json.dumps({"seconds": seconds, "growth_mb": peak - before}))
"""
)
NAIVE = (
    _MEASURE
    + """
import os, requests
with open(sys.argv[4], "rb") as small:  # the same first, small upload
    requests.post(
        sys.argv[3] + "/v1/stt/create",
        headers={"Authorization": "Bearer " + os.environ["BENCH_API_KEY"]},
        data={"model": sys.argv[2]},
        files={"audio": ("small.wav", small, "audio/wav")},
        timeout=600,
    ).raise_for_status()
before = rss_mb()
reset_peak()
started = time.monotonic()
with open(sys.argv[1], "rb") as audio:
    answer = requests.post(
        sys.argv[3] + "/v1/stt/create",
        headers={"Authorization": "Bearer " + os.environ["BENCH_API_KEY"]},
        data={"model": sys.argv[2]},
        files={"audio": ("long.wav", audio, "audio/wav")},
        timeout=600,
    )
answer.raise_for_status()
seconds = time.monotonic() - started
peak = peak_mb()
print(json.dumps({"seconds": seconds, "growth_mb": peak - before}))
"""
)


def _write_wav(path: Path, data_bytes: int) -> None:
    """A mono 16 kHz 16-bit WAV of ``data_bytes`` zero bytes (sparse on disk)."""
    rate, channels, width = 16000, 1, 2
    header = b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
    header += b"fmt " + struct.pack(
        "<IHHIIHH", 16, 1, channels, rate, rate * channels * width, channels * width, 16
    )
    header += b"data" + struct.pack("<I", data_bytes)
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(len(header) + data_bytes)


def _start_emulator(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = folder / "port"
    emulator = subprocess.Popen(
        [
            *(sys.executable, "-m", "aimlstt_emulator"),
            *("--port", "0", "--api-key", API_KEY, "--port-file", str(port_file)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or emulator.poll() is not None:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.1)
    return emulator, f"http://127.0.0.1:{port_file.read_text().strip()}"


def _child(code: str, audio: Path, base_url: str) -> dict[str, float]:
    env = {
        **os.environ,
        "BENCH_API_KEY": API_KEY,
        "AIRFLOW_CONN_BENCH_UPLOAD": json.dumps(
            {"conn_type": "aimlstt", "host": base_url, "password": API_KEY, "extra": {"read_timeout": 600}}
        ),
    }
    finished = subprocess.run(
        [sys.executable, "-c", code, str(audio), MODEL, base_url, str(audio.with_name("small.wav"))],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    result: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return result


def _curl_seconds(audio: Path, base_url: str) -> float:
    finished = subprocess.run(
        [
            *("curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{time_total}"),
            # no "Expect: 100-continue": curl would wait up to a second for an answer to it
            *("-H", "Expect:", "-H", f"Authorization: Bearer {API_KEY}", "-F", f"model={MODEL}"),
            *("-F", f"audio=@{audio};type=audio/wav", f"{base_url}/v1/stt/create"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    return float(finished.stdout)


def goals() -> list[GoalResult]:
    """P3's row: the hook's 1 GiB upload against curl and a naive ``requests`` upload."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        audio = folder / "long.wav"
        _write_wav(audio, UPLOAD_BYTES)
        _write_wav(audio.with_name("small.wav"), 64_000)
        emulator, base_url = _start_emulator(folder)
        try:
            curl = _curl_seconds(audio, base_url)
            ours = _child(OURS, audio, base_url)
            naive = _child(NAIVE, audio, base_url)
        finally:
            emulator.terminate()
            emulator.wait()
    speed = curl / ours["seconds"]
    naive_speed = curl / naive["seconds"]
    print(
        f"P3 1 GiB upload: curl {curl:.1f} s; ours {ours['seconds']:.1f} s ({speed:.2f}x curl), "
        f"+{ours['growth_mb']:.1f} MiB; requests files= {naive['seconds']:.1f} s "
        f"({naive_speed:.2f}x curl), +{naive['growth_mb']:.0f} MiB"
    )
    return [
        GoalResult(
            goal=f"P3 1 GiB upload: RSS growth <= {GROWTH_GOAL_MB:.0f} MB, >= {SPEED_GOAL}x curl",
            anchors=(
                f"curl {curl:.1f} s; requests files= +{naive['growth_mb']:,.0f} MiB, {naive_speed:.2f}x curl"
            ),
            ours=f"+{ours['growth_mb']:.1f} MiB, {speed:.2f}x curl",
            passed=ours["growth_mb"] <= GROWTH_GOAL_MB and speed >= SPEED_GOAL,
        )
    ]


if __name__ == "__main__":
    print_table(goals())
