"""Reading a batch's results downstream: the manifests real batches wrote against the emulator."""

from __future__ import annotations

import json
import shutil
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from airflow_provider_aimlstt.batch.results import (
    FileResult,
    FileStatus,
    read_batch,
    read_batches,
    read_transcript,
)
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.transcripts import Transcript
from tests.airflow_compat import return_value
from tests.e2e.support import mono_samples, spoken_text, task_states
from tests.helpers import fast_batch_polls

pytestmark = pytest.mark.usefixtures("airflow_db")

BOOKKEEPING = {"attempts", "client_request_id", "submitted_at", "finished_between", "retryable"}


@pytest.fixture
def batch_dag(load_dag: Any, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test-only batch DAG (txt and json), polling fast, tolerating one failed file."""
    fast_batch_polls(monkeypatch)
    dag = load_dag("aimlstt_test_batch")
    monkeypatch.setattr(dag.get_task("batch"), "max_failed_files", 1)
    return dag


def _run_batch(dag: Any, input_dir: Path, output_dir: str) -> dict[str, Any]:
    """Run the batch over ``input_dir``; its return value."""
    run = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": output_dir})
    assert run.state == "success", task_states(run)
    counts = return_value(run, "batch")
    assert counts is not None
    return counts


def _folder(tmp_path: Path, name: str, samples: list[Path], empty: str | None = None) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for sample in samples:
        shutil.copy(sample, folder)
    if empty:
        (folder / empty).write_bytes(b"")  # refused before any create
    return folder


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_a_batch_read_from_its_return_value_gives_each_file_and_its_transcript(
    batch_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    samples = mono_samples()
    input_dir = _folder(tmp_path, "audio", samples, empty="broken.wav")
    output_dir = tmp_path / "out"

    counts = _run_batch(batch_dag, input_dir, str(output_dir))
    rows = read_batch(counts)

    manifest_lines = Path(counts["manifest"].removeprefix("file://")).read_text().splitlines()
    assert [row.source for row in rows] == [json.loads(line)["source"] for line in manifest_lines]
    assert len(rows) == counts["files"] == len(samples) + 1
    assert read_batch(counts["manifest"]) == rows  # the URI alone reads the same
    by_name = {row.name: row for row in rows}
    for sample in samples:
        row = by_name[sample.stem]
        assert row.status is FileStatus.TRANSCRIBED and row.error is None
        assert row.source == (input_dir / sample.name).as_uri()
        assert row.paths == {fmt: (output_dir / f"{sample.stem}.{fmt}").as_uri() for fmt in ("txt", "json")}
        transcript = row.transcript()
        assert transcript == Transcript.model_validate_json((output_dir / f"{sample.stem}.json").read_text())
        assert transcript.text == spoken_text(sample)
        assert row.generation_id == transcript.generation_id
        assert row.words == transcript.word_count == len(spoken_text(sample).split())
        assert row.audio_seconds == pytest.approx(_wav_seconds(sample), abs=0.05)
        job = emulator.jobs.get(row.generation_id)
        assert row.cost_usd == float(job.cost.usd) > 0 and row.credits == job.cost.credits
    broken = by_name["broken"]
    assert broken.status is FileStatus.FAILED and "audio_path" in str(broken.error)
    assert broken.paths == {} and broken.generation_id is None
    with pytest.raises(LookupError, match=r"broken\.wav: no json transcript \(status failed"):
        broken.transcript()
    # The manifest's bookkeeping is not part of the rows, and a row cannot be changed.
    assert not BOOKKEEPING & set(FileResult.model_fields)
    assert set(json.loads(manifest_lines[0])) >= BOOKKEEPING
    with pytest.raises(ValidationError):
        broken.status = FileStatus.TRANSCRIBED  # type: ignore[misc]


def test_a_manifest_row_with_fields_this_version_does_not_know_reads_the_same(
    batch_dag: Any, tmp_path: Path
) -> None:
    counts = _run_batch(batch_dag, _folder(tmp_path, "audio", mono_samples()[:2]), str(tmp_path / "out"))
    written = Path(counts["manifest"].removeprefix("file://"))
    newer = tmp_path / "newer.jsonl"
    lines = [
        json.dumps({**json.loads(line), "content_sha256": "ab" * 32, "labels": {"team": "sales"}})
        for line in written.read_text().splitlines()
    ]
    newer.write_text("\n".join(lines) + "\n")

    rows = read_batch(newer.as_uri())

    assert rows == read_batch(counts) and len(rows) == 2
    assert all(row.status is FileStatus.TRANSCRIBED for row in rows)
    assert "content_sha256" not in rows[0].model_dump()


def test_several_batches_are_read_batch_after_batch(batch_dag: Any, tmp_path: Path) -> None:
    first, second = mono_samples()[:2], mono_samples()[2:]
    counts_a = _run_batch(batch_dag, _folder(tmp_path, "a", first), str(tmp_path / "out_a"))
    counts_b = _run_batch(batch_dag, _folder(tmp_path, "b", second), str(tmp_path / "out_b"))

    rows = read_batches([counts_a, counts_b["manifest"]])  # a return value, or a manifest's URI

    assert [row.name for row in rows] == [sample.stem for sample in first + second]
    assert [row.transcript().text for row in rows] == [spoken_text(sample) for sample in first + second]
    assert read_batches([]) == []


def test_what_is_not_a_batch_is_refused_naming_the_argument(tmp_path: Path) -> None:
    with pytest.raises(AimlSttValidationError, match=r"^batch: .* got a dict without a 'manifest'"):
        read_batch({"files": 3, "transcribed": 3})
    with pytest.raises(AimlSttValidationError, match=r"^batch: .* got ''"):
        read_batch("")
    with pytest.raises(AimlSttValidationError, match=r"^batches\[1\]: .* got None"):
        read_batches([{"manifest": (tmp_path / "m.jsonl").as_uri()}, None])  # type: ignore[list-item]
    with pytest.raises(AimlSttValidationError, match=r"^batches: .* for one, use read_batch"):
        read_batches({"manifest": (tmp_path / "m.jsonl").as_uri()})  # type: ignore[arg-type]
    with pytest.raises(AimlSttValidationError, match=r"^uri: .* got ''"):
        read_transcript("")
    missing = (tmp_path / "_manifests" / "none.jsonl").as_uri()
    with pytest.raises(FileNotFoundError, match=f"No batch manifest at {missing}"):
        read_batch({"manifest": missing})


@pytest.fixture
def s3_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bucket on moto's S3 server, reached through the Airflow connection ``results_s3``."""
    from tests.e2e.servers import S3Server

    server = S3Server(tmp_path)
    server.start()
    try:
        server.client().create_bucket(Bucket="transcripts")
        monkeypatch.setenv("AIRFLOW_CONN_RESULTS_S3", server.connection_json())
        yield "results_s3"
    finally:
        server.stop()


def test_paths_on_an_object_store_name_its_connection_so_each_transcript_opens_anywhere(
    batch_dag: Any, s3_store: str, tmp_path: Path
) -> None:
    samples = mono_samples()[:2]
    counts = _run_batch(batch_dag, _folder(tmp_path, "audio", samples), f"s3://{s3_store}@transcripts/out")

    rows = read_batch(counts)

    assert counts["manifest"].startswith(f"s3://{s3_store}@transcripts/out/_manifests/")
    for row, sample in zip(rows, samples, strict=True):
        assert row.paths["json"] == f"s3://{s3_store}@transcripts/out/{sample.stem}.json"
        assert row.transcript().text == spoken_text(sample)
        assert read_transcript(row.paths["txt"].replace(".txt", ".json")) == row.transcript()
    # A URI without the connection reads with the one given.
    plain = counts["manifest"].replace(f"{s3_store}@", "")
    assert read_batch(plain, output_conn_id=s3_store) == rows
    assert read_transcript(f"s3://transcripts/out/{samples[0].stem}.json", s3_store) == rows[0].transcript()
