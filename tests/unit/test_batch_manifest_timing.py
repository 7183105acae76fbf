"""How long the batch's jobs take, as the manifest tells it: the trigger's first poll waits that long."""

from __future__ import annotations

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow


def _row(index: int, submitted_at: float | None, finished_at: float | None) -> ManifestRow:
    return ManifestRow(
        source=f"s3://bucket/rec_{index}.wav",
        name=f"rec_{index}",
        status=FileStatus.TRANSCRIBED,
        submitted_at=submitted_at,
        finished_at=finished_at,
    )


def test_the_lower_quartile_of_the_most_recently_finished_jobs() -> None:
    # Older jobs took 100 s; the latest eight took 4..11 s: only the latest count.
    rows = [_row(i, 0.0, 100.0) for i in range(10)]
    rows += [_row(10 + i, 1000.0, 1004.0 + i) for i in range(8)]
    manifest = Manifest("file:///tmp/m.jsonl", rows)
    assert manifest.typical_job_seconds(latest=8) == 6.0  # sorted 4..11, the quartile is the third


def test_none_before_four_jobs_finished_and_rows_without_times_are_left_out() -> None:
    rows = [_row(0, 0.0, 5.0), _row(1, 0.0, 6.0), _row(2, 0.0, 7.0), _row(3, None, 9.0), _row(4, 5.0, None)]
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) is None
    rows.append(_row(5, 0.0, 8.0))
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) == 6.0


def test_a_row_resubmitted_after_its_finish_time_is_left_out() -> None:
    # A job gone (404) and the file submitted again: its old finish is before the new create.
    rows = [_row(i, 0.0, 5.0) for i in range(4)] + [_row(9, 50.0, 10.0)]
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) == 5.0
