"""The nightly DAG over 30 files with every fault of the emulator switched on.

Every file ends transcribed, or failed with its cause written next to the transcripts; no audio
is submitted twice; the run ends (no task hangs). The counts are printed for the record.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
import time
import wave
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DAGS_FOLDER
from tests.e2e.support import task_states

FILES = 30
FAULTS = {
    "rate_limit": 0.08,
    "retry_after_seconds": 1,
    "server_error": 0.06,
    "server_error_burst": 2,
    "server_error_codes": [500, 502, 503, 504],
    "latency_seconds": 0.2,
    "latency_probability": 0.1,
    "drop_connection": 0.06,
    "malformed_json": 0.06,
    "job_error": 0.15,
    "job_never_finishes": 0.15,
    "seed": 20261121,
}
# A failed file's cause, as the provider words it; each names what went wrong.
CAUSES = {
    "submission may have been accepted": r"AirflowFailException: Submitting file .* may have reached the API",
    "job ended in error": r"AimlSttTranscriptionFailedError: Transcription \S+ .*failed",
    "deadline passed": r"AimlSttTimeoutError: Transcription \S+ did not finish before its deadline",
    "rate limited": r"AimlSttRateLimitedError: AI/ML API error \(HTTP 429",
    "server error": r"AimlSttServerError: AI/ML API error \(HTTP 5\d\d",
    "network": r"AimlSttConnectionError: ",
    "unreadable answer": r"AimlSttResponseError: ",
}


def _write_tone(path: Path, frequency: float, seconds: float) -> None:
    """A mono 8 kHz WAV of a sine tone: each file its own audio, so its own sha256."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * n / rate)))
        for n in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frames)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.usefixtures("airflow_db")
def test_thirty_files_under_faults_end_transcribed_or_failed_with_a_cause_never_twice(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    for index in range(FILES):
        _write_tone(input_dir / f"call_{index:02d}.wav", 200 + 15 * index, 0.5 + (index % 4) * 0.25)
    hashes = {path.name: _sha256(path) for path in input_dir.iterdir()}
    assert len(set(hashes.values())) == FILES
    # Stuck jobs must end: each wait gets 6 s (the DAG reads this when parsed).
    monkeypatch.setenv("AIMLSTT_WAIT_TIMEOUT_SECONDS", "6")
    monkeypatch.setenv("AIMLSTT_POKE_INTERVAL_SECONDS", "0.5")
    dag = DagBag(dag_folder=str(DAGS_FOLDER / "example_dags")).dags["example_aimlstt_nightly"]
    stats_before = emulator.stats()
    emulator.faults.set(**FAULTS)

    started = time.monotonic()
    dag_run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})
    elapsed = time.monotonic() - started
    emulator.faults.clear()
    stats = emulator.stats()

    states = task_states(dag_run)
    assert all(state in ("success", "failed", "upstream_failed", "skipped") for state in states.values()), (
        states
    )

    outcomes: dict[str, str] = {}
    for name in sorted(hashes):
        stem = Path(name).stem
        transcribed = (output_dir / f"{stem}.json").exists() and (output_dir / f"{stem}.txt").exists()
        error_file = output_dir / f"{stem}.error.txt"
        assert transcribed != error_file.exists(), f"{name}: transcribed and failed, or neither"
        if transcribed:
            outcomes[name] = "transcribed"
            continue
        cause = error_file.read_text(encoding="utf-8")
        matching = [label for label, pattern in CAUSES.items() if re.search(pattern, cause)]
        assert matching, f"{name} failed without a recognised cause: {cause}"
        outcomes[name] = matching[0]

    creates = {name: stats["creates_by_sha256"].get(digest, 0) for name, digest in hashes.items()}
    duplicates = {name: count for name, count in creates.items() if count > 1}
    assert not duplicates, duplicates

    faults = {
        kind: stats["faults_by_kind"].get(kind, 0) - stats_before["faults_by_kind"].get(kind, 0)
        for kind in stats["faults_by_kind"]
    }
    faults = {kind: count for kind, count in faults.items() if count}
    for kind in (
        "rate_limit",
        "drop_connection",
        "malformed_json",
        "latency",
        "job_error",
        "job_never_finishes",
    ):
        assert faults.get(kind, 0) > 0, f"fault {kind} never hit: {faults}"
    assert any(kind.startswith("server_error_") for kind in faults), faults
    retries = len(re.findall(r"API call (?:GET|POST) \S+ failed .*; retry \d+/\d+", logs()))
    assert retries > 0
    tally = Counter(outcomes.values())
    assert tally["transcribed"] >= FILES // 4, tally  # the faults bite, yet files get through
    assert dag_run.state == ("success" if tally["transcribed"] == FILES else "failed")

    print(
        f"\nfault run: {FILES} files in {elapsed:.0f} s; outcomes {dict(tally)}; faults hit {faults}; "
        f"retries {retries}; create requests {stats['create_attempts'] - stats_before['create_attempts']}, "
        f"jobs made {sum(creates.values())}, duplicates {len(duplicates)}"
    )
