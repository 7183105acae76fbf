"""The batch's counts (its XCom value): what was accepted, and what the transcripts cost."""

from __future__ import annotations

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow


def _row(name: str, status: FileStatus, **fields: object) -> ManifestRow:
    return ManifestRow(source=f"s3://bucket/{name}.wav", name=name, status=status, **fields)


def test_submitted_counts_the_files_whose_create_the_api_accepted() -> None:
    rows = [
        _row("refused", FileStatus.PENDING, attempts=1),  # a create refused or that found no API
        _row("unsent", FileStatus.PENDING),
        _row("lost", FileStatus.FAILED, attempts=1, error="the job may exist"),
        _row("running", FileStatus.SUBMITTED, attempts=1, generation_id="g-1"),
        _row("done", FileStatus.TRANSCRIBED, attempts=2, generation_id="g-2", cost_usd=0.001),
        _row("job_error", FileStatus.FAILED, attempts=1, generation_id="g-3"),
        _row("skipped", FileStatus.SKIPPED),
    ]
    counts = Manifest("file:///tmp/m.jsonl", rows).counts()
    assert {key: counts[key] for key in ("files", "submitted", "transcribed", "skipped", "failed")} == {
        "files": 7, "submitted": 3, "transcribed": 1, "skipped": 1, "failed": 2,
    }  # fmt: skip


def test_nothing_transcribed_cost_nothing() -> None:
    rows = [_row("a", FileStatus.SKIPPED), _row("b", FileStatus.FAILED, cost_usd=0.002, generation_id="g")]
    counts = Manifest("file:///tmp/m.jsonl", rows).counts()
    assert counts["cost_usd"] == 0.0 and isinstance(counts["cost_usd"], float)
    assert counts["audio_seconds"] == 0.0 and isinstance(counts["audio_seconds"], float)


def test_the_cost_is_the_sum_of_the_transcribed_files_and_unknown_when_one_of_theirs_is() -> None:
    known = [
        _row("a", FileStatus.TRANSCRIBED, generation_id="g-a", cost_usd=0.00124),
        _row("b", FileStatus.TRANSCRIBED, generation_id="g-b", cost_usd=0.00031),
    ]
    assert Manifest("file:///tmp/m.jsonl", known).counts()["cost_usd"] == 0.00155
    unknown = [*known, _row("c", FileStatus.TRANSCRIBED, generation_id="g-c")]
    assert Manifest("file:///tmp/m.jsonl", unknown).counts()["cost_usd"] is None
