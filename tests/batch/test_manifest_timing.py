"""How long the batch's jobs take, as the manifest tells it: the trigger's first poll of a job with no
expected finish of its own waits that long."""

from __future__ import annotations

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow


def _row(index: int, submitted_at: float | None, took: float | None, spread: float = 1.0) -> ManifestRow:
    """A transcribed row whose polls proved its job finished ``took`` s in, give or take ``spread``/2."""
    return ManifestRow(
        source=f"s3://bucket/rec_{index}.wav",
        name=f"rec_{index}",
        status=FileStatus.TRANSCRIBED,
        submitted_at=submitted_at,
        finished_between=None if took is None else (took - spread / 2, took + spread / 2),
    )


def test_the_lower_quartile_of_the_most_recently_finished_jobs() -> None:
    # Older jobs took 100 s; the latest eight took 4..11 s: only the latest count.
    rows = [_row(i, 0.0, 100.0) for i in range(10)]
    rows += [_row(10 + i, 1000.0, 4.0 + i) for i in range(8)]
    manifest = Manifest("file:///tmp/m.jsonl", rows)
    assert manifest.typical_job_seconds(latest=8) == 6.0  # sorted 4..11, the quartile is the third


def test_none_before_four_jobs_finished_and_rows_without_times_are_left_out() -> None:
    rows = [_row(0, 0.0, 5.0), _row(1, 0.0, 6.0), _row(2, 0.0, 7.0), _row(3, None, 9.0), _row(4, 5.0, None)]
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) is None
    rows.append(_row(5, 0.0, 8.0))
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) == 6.0


def test_each_job_counts_as_the_middle_of_what_its_polls_proved() -> None:
    rows = [_row(i, 0.0, 5.0, spread=4.0) for i in range(4)]  # each finished between 3 and 7 s
    assert Manifest("file:///tmp/m.jsonl", rows).typical_job_seconds(latest=32) == 5.0


def test_an_older_manifests_finish_times_are_ignored() -> None:
    row = ManifestRow.model_validate({"source": "a.wav", "name": "a", "finished_at": 12.5})
    assert row.finished_between is None
