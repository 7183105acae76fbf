"""A bad day ends honestly: random bytes named ``garbage.mp3`` among good recordings.

In a real ``dag.test()`` run of the batch operator against the emulator, for a model family that
refuses undecodable audio at create (Deepgram: a 400) and one whose job ends in ``error``
(AssemblyAI): the good files are transcribed, ``garbage.mp3`` alone is ``failed`` in the manifest
with the API's cause, unbilled, and the task fails naming it (``max_failed_files=0``).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest
from tests.conftest import AUDIO_DIR
from tests.e2e.support import task_states

pytestmark = pytest.mark.usefixtures("airflow_db", "fast_batch")

GOOD = ("meeting_note.wav", "weather_report.wav")
GARBAGE = random.Random(20261207).randbytes(30_000)  # no audio format starts so
# model: the words its service refuses undecodable audio in
CAUSES = {
    "#g1_nova-2-general": "failed to process audio: corrupt or unsupported data",
    "aai/universal": "File does not appear to contain audio",
}


@pytest.mark.parametrize("model", list(CAUSES))
def test_garbage_among_good_files_fails_alone_named_with_the_apis_cause_and_unbilled(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "out"
    input_dir.mkdir()
    for name in GOOD:
        shutil.copy(AUDIO_DIR / name, input_dir / name)
    (input_dir / "garbage.mp3").write_bytes(GARBAGE)
    dag = load_dag("aimlstt_test_batch")
    monkeypatch.setattr(dag.get_task("batch"), "max_failed_files", 0)
    # On the task, not in the run's conf: a model given as a param outlived its run, in later
    # dag.test() runs of the same DAG id.
    monkeypatch.setattr(dag.get_task("batch"), "model", model)

    run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert run.state == "failed" and task_states(run)[("batch", -1)] == "failed", task_states(run)
    manifest = Manifest.load(next((output_dir / "_manifests").iterdir()).as_uri())
    rows = {Path(row.source).name: row for row in manifest}
    garbage = rows["garbage.mp3"]
    assert garbage.status is FileStatus.FAILED, garbage
    assert CAUSES[model] in str(garbage.error) and "garbage.mp3" in str(garbage.error)
    assert garbage.cost_usd in (None, 0) and garbage.credits in (None, 0)
    assert garbage.attempts == 1  # refused or failed once: not sent again within the run
    for name in GOOD:
        row = rows[name]
        assert row.status is FileStatus.TRANSCRIBED, row
        assert row.cost_usd is not None and row.cost_usd > 0
        assert (output_dir / f"{row.name}.txt").read_text(encoding="utf-8").strip()
    assert not (output_dir / "garbage.txt").exists()
    failure = next(
        line for line in logs().splitlines() if "file(s) failed, more than max_failed_files=0" in line
    )
    assert "1 of 3 file(s) failed" in failure and "garbage.mp3" in failure and CAUSES[model] in failure
    log_rows = emulator.usage_log.rows()
    assert sum(row.cost.credits for row in log_rows if row.status == "failed") == 0
    assert any(row.status == "failed" and row.model == model for row in log_rows)
