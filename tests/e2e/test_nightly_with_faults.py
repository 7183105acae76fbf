"""The nightly DAG over 30 files with every fault of the emulator switched on.

Every file ends transcribed, or failed with its cause written next to the transcripts; the run
ends (no task hangs). The DAG retries each task twice: a try submits at most once, and a retry
submits again only when its file's earlier job ended in ``error`` (by design: that job is dead);
otherwise it reuses the job, so no audio is submitted twice blindly. The counts are printed for
the record.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import time
import wave
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt import defaults
from tests.airflow_compat import dag_bag
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
# The task log lines of a submission the API answered (naming the file and its job), and of a
# retry that submits again because the earlier try's job ended in error.
SUBMITTED = re.compile(r"Submitted file \S+/([^/\s]+) \(model [^)]*\) as generation_id=(\S+)")
# A submission whose answer was lost, settled by finding its job in the usage log.
ADOPTED = re.compile(r"Adopting generation_id=(\S+) for file \S+/([^/\s]+): the API accepted")
RESUBMITTED_AFTER_ERROR = re.compile(r"earlier try's generation_id=(\S+) ended in error")
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


@pytest.mark.long_running
@pytest.mark.usefixtures("airflow_db")
def test_thirty_files_under_faults_end_transcribed_or_failed_with_a_cause_never_twice(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    for index in range(FILES):
        _write_tone(input_dir / f"call_{index:02d}.wav", 200 + 15 * index, 0.5 + (index % 4) * 0.25)
    hashes = {path.name: _sha256(path) for path in input_dir.iterdir()}
    assert len(set(hashes.values())) == FILES
    # Stuck jobs must end: each wait gets 4 s; retries come at once (the DAG reads these when parsed).
    monkeypatch.setenv("AIMLSTT_WAIT_TIMEOUT_SECONDS", "4")
    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.5)  # the transcribe operator's first wait
    monkeypatch.setattr(defaults, "MAX_POLL_SECONDS", 30.0)
    monkeypatch.setenv("AIMLSTT_RETRY_DELAY_SECONDS", "0")
    dag = dag_bag(str(DAGS_FOLDER / "example_dags")).dags["example_aimlstt_per_file"]
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

    # Jobs made per file, against its tries (the DAG gives each task 2 retries).
    transcribe_tis = [ti for ti in dag_run.get_task_instances() if ti.task_id == "transcribe"]
    file_of = {ti.map_index: str(ti.rendered_map_index) for ti in transcribe_tis}
    assert sorted(file_of.values()) == sorted(hashes), file_of
    tries = {file_of[ti.map_index]: ti.try_number for ti in transcribe_tis}
    creates = {  # since this test began: the emulator serves the whole session, and audio may repeat
        name: stats["creates_by_sha256"].get(digest, 0) - stats_before["creates_by_sha256"].get(digest, 0)
        for name, digest in hashes.items()
    }
    text = logs()
    file_of_job = {generation_id: name for name, generation_id in SUBMITTED.findall(text)}
    file_of_job |= {generation_id: name for generation_id, name in ADOPTED.findall(text)}
    assert set(file_of_job.values()) <= set(hashes), file_of_job
    assert {name for name, outcome in outcomes.items() if outcome == "transcribed"} <= set(
        file_of_job.values()
    ), "a transcribed file's submission was not logged"
    # A retry submits again only after its file's earlier job ended in error, and says so; any
    # other retry (after a timeout, a failed poll, a rate limit...) reuses the job.
    after_error: dict[str, list[str]] = {name: [] for name in hashes}
    for generation_id in RESUBMITTED_AFTER_ERROR.findall(text):
        assert generation_id in file_of_job, f"{generation_id} ended in error; its submission was not logged"
        after_error[file_of_job[generation_id]].append(generation_id)
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook

    hook = AimlSttHook()
    for name in sorted(hashes):
        assert creates[name] <= tries[name], f"{name}: {creates[name]} jobs in {tries[name]} tries"
        assert creates[name] <= 1 + len(after_error[name]), (
            f"{name}: {creates[name]} jobs, but only {len(after_error[name])} retries found the earlier "
            "job in error: a retry submitted again blindly"
        )
        for generation_id in after_error[name]:
            assert hook.get_job(generation_id).is_failed, f"{name}: {generation_id} did not end in error"
    assert any(count > 1 for count in tries.values()), "no file was retried: the faults did not bite"
    resubmitted = sum(len(ids) for ids in after_error.values())
    assert resubmitted > 0, "no retry submitted again after a job error: that path went untested"

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
    retries = len(re.findall(r"API call (?:GET|POST) \S+ failed .*; retry \d+/\d+", text))
    assert retries > 0
    tally = Counter(outcomes.values())
    assert tally["transcribed"] >= FILES // 4, tally  # the faults bite, yet files get through
    assert dag_run.state == ("success" if tally["transcribed"] == FILES else "failed")

    print(
        f"\nfault run: {FILES} files in {elapsed:.0f} s; outcomes {dict(tally)}; faults hit {faults}; "
        f"API retries {retries}; task tries {sum(tries.values())} for {FILES} files; create requests "
        f"{stats['create_attempts'] - stats_before['create_attempts']}, jobs made {sum(creates.values())}, "
        f"submitted again after a job error {resubmitted}"
    )


# Faults that make the job and then lose its answer (the faults module's contract): the create's
# fate is unknown to the task until it looks the request up in the usage log.
POST_CREATE_DROPS = {
    "routes": ["create"],
    "drop_connection": 0.3,
    "malformed_json": 0.15,
    "server_error": 0.15,
    "server_error_burst": 1,
    "server_error_codes": [500, 502, 504],
    "seed": 20261202,
}


@pytest.mark.long_running
@pytest.mark.usefixtures("airflow_db")
def test_creates_whose_answer_is_lost_are_found_in_the_usage_log_and_never_made_twice(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    files = 12
    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    for index in range(files):
        _write_tone(input_dir / f"memo_{index:02d}.wav", 300 + 11 * index, 0.5)
    hashes = {path.name: _sha256(path) for path in input_dir.iterdir()}
    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.5)  # the transcribe operator's first wait
    monkeypatch.setattr(defaults, "MAX_POLL_SECONDS", 30.0)
    monkeypatch.setenv("AIMLSTT_RETRY_DELAY_SECONDS", "0")
    dag = dag_bag(str(DAGS_FOLDER / "example_dags")).dags["example_aimlstt_per_file"]
    stats_before = emulator.stats()
    emulator.faults.set(**POST_CREATE_DROPS)

    dag_run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})
    emulator.faults.clear()
    stats = emulator.stats()

    assert dag_run.state == "success", task_states(dag_run)
    for name in hashes:
        assert (output_dir / f"{Path(name).stem}.json").exists(), f"{name} was not transcribed"
    creates = {name: stats["creates_by_sha256"].get(digest, 0) for name, digest in hashes.items()}
    before = {name: stats_before["creates_by_sha256"].get(digest, 0) for name, digest in hashes.items()}
    assert {name: creates[name] - before[name] for name in hashes} == dict.fromkeys(hashes, 1)
    adopted = {name: generation_id for generation_id, name in ADOPTED.findall(logs())}
    lost = sum(
        stats["faults_by_kind"].get(kind, 0) - stats_before["faults_by_kind"].get(kind, 0)
        for kind in (
            "drop_connection",
            "malformed_json",
            "server_error_500",
            "server_error_502",
            "server_error_504",
        )
    )
    assert lost > 0 and len(adopted) == lost, (lost, adopted)
    for name, generation_id in adopted.items():
        summary = json.loads((output_dir / f"{Path(name).stem}.json").read_text(encoding="utf-8"))
        assert summary["generation_id"] == generation_id
    print(
        f"\npost-create drops: {files} files, {lost} answers lost, {len(adopted)} jobs adopted, 0 made twice"
    )
