"""The single-file path on a bad day: the combined operator given random bytes named ``garbage.mp3``.

In a real ``dag.test()`` run against the emulator, for a model family that refuses undecodable
audio at create (Deepgram: a 400) and one whose job ends in ``error`` (AssemblyAI), waiting on the
worker and in the triggerer: each task fails with the API's cause, writes nothing, and is billed
nothing.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import task_states

pytestmark = pytest.mark.usefixtures("airflow_db")

GARBAGE = random.Random(20261207).randbytes(30_000)  # no audio format starts so
# task id: (model, deferrable, the words the model's service refuses undecodable audio in)
TASKS = {
    "deepgram_on_the_worker": ("#g1_nova-2-general", False, "corrupt or unsupported data"),
    "deepgram_deferred": ("#g1_nova-2-general", True, "corrupt or unsupported data"),
    "assemblyai_on_the_worker": ("aai/universal", False, "File does not appear to contain audio."),
    "assemblyai_deferred": ("aai/universal", True, "File does not appear to contain audio."),
}


@pytest.fixture(autouse=True)
def _short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The transcribe operator polls with the provider's defaults: short ones here, to run fast."""
    from airflow_provider_aimlstt import defaults

    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.3)


def test_each_task_fails_with_the_apis_cause_writes_nothing_and_is_not_billed(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    audio, output = tmp_path / "garbage.mp3", tmp_path / "out"
    audio.write_bytes(GARBAGE)
    dag = load_dag("aimlstt_test_transcribe_undecodable")
    assert {task.task_id: (task.model, task.deferrable) for task in dag.tasks} == {
        task_id: (model, deferrable) for task_id, (model, deferrable, _) in TASKS.items()
    }
    emulator.usage_log.clear()

    dag_run = dag.test(run_conf={"audio_path": str(audio), "output_dir": str(output)})

    assert task_states(dag_run) == {(task_id, -1): "failed" for task_id in TASKS}
    text = logs()
    for _, _, cause in TASKS.values():
        assert f"{cause} (garbage.mp3: no known audio container or codec signature)" in text
    assert not output.exists() or list(output.iterdir()) == []
    log_rows = emulator.usage_log.rows()
    assert len(log_rows) == len(TASKS)  # one create each: a refusal is not sent again
    assert {(row.model, row.status, row.cost.credits) for row in log_rows} == {
        ("#g1_nova-2-general", "failed", 0),
        ("aai/universal", "failed", 0),
    }
