"""The run's summary and its asset event, over manifests written on a real local store.

Each operator's ``execute`` runs here with a stand-in task instance that answers the listing's XCom
and keeps what is pushed; whole DAG runs of them are in ``tests/task_groups/test_nightly.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.estimate import CostEstimate
from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow, manifest_location
from airflow_provider_aimlstt.links import REPORT_URL_XCOM_KEY
from airflow_provider_aimlstt.operators.listing import NIGHT_XCOM_KEY
from airflow_provider_aimlstt.operators.summary import (
    NAMED_FILES,
    AimlSttAnnounceBatchesOperator,
    AimlSttBatchSummaryOperator,
)
from tests.batch.test_report import Page

LISTING, BATCH = "group.list_new_audio", "group.transcribe"
PRICE = 0.0001
EMPTY = "audio_path: file is empty"
OVER_THE_CAP = "not submitted: its create would have passed max_cost_usd"


class TaskInstance:
    """A task instance of the run: the listing's XCom as given, and this task's pushes."""

    dag_id, run_id, task_id = "nightly", "scheduled__2026-12-06T02:00:00+00:00", "group.summarize"

    def __init__(self, chunks: list[dict[str, Any]] | None, night: dict[str, Any] | None = None) -> None:
        self.values = {"return_value": chunks, NIGHT_XCOM_KEY: night}
        self.pushed: dict[str, Any] = {}

    def xcom_pull(self, task_ids: str, key: str = "return_value") -> Any:
        assert task_ids == LISTING
        return self.values[key]

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def _estimate(seconds: float, files: int) -> dict[str, Any]:
    return CostEstimate(
        files=files,
        files_with_duration=files,
        audio_seconds_known=seconds,
        unknown_files=0,
        unreadable_files=0,
        usd_per_audio_second=PRICE,
        rate_source="given",
        estimated_usd=seconds * PRICE,
        unknown_audio_seconds_guess=None,
        unknown_estimated_usd=None,
        head_reads=files,
        size_lookups=0,
        read_seconds=0.01,
    ).summary()


def _row(name: str, status: FileStatus, seconds: float = 2.0, **fields: Any) -> ManifestRow:
    done = status is FileStatus.TRANSCRIBED
    return ManifestRow(
        source=f"s3://calls/2026/12/06/{name}.wav",
        name=name,
        status=status,
        audio_seconds=seconds,
        words=5 if done else None,
        cost_usd=seconds * PRICE if done else None,
        generation_id=f"job-{name}" if done else None,
        **fields,
    )


def _run(output_dir: Path, batches: list[list[ManifestRow] | None], **night: Any) -> TaskInstance:
    """The listing's chunks, one per batch, and each batch's manifest (None: it wrote none, and its
    list had 2 files)."""
    chunks = []
    for index, rows in enumerate(batches):
        where = f"file://{output_dir}/_chunks/chunk-{index:05d}.json"
        chunks.append({"audio_list_path": where, "max_cost_usd": None})
        if rows is not None:
            location = manifest_location(str(output_dir), None, "nightly", TaskInstance.run_id, BATCH, index)
            Manifest(location, rows).save()
    sizes = [2 if rows is None else len(rows) for rows in batches]
    return TaskInstance(
        chunks,
        {
            "listed": sum(sizes),
            "new": sum(sizes),
            "chunks": len(chunks),
            "chunk_sizes": sizes,
            "max_cost_usd": None,
            "dry_run": False,
            "estimate": _estimate(2.0 * sum(sizes), sum(sizes)),
            **night,
        },
    )


def _summary(output_dir: Path) -> AimlSttBatchSummaryOperator:
    return AimlSttBatchSummaryOperator(
        task_id="summarize",
        output_path=str(output_dir),
        listing_task_id=LISTING,
        batch_task_id=BATCH,
        model="#g1_nova-2-general",
    )


def test_a_run_whose_files_were_all_transcribed_or_skipped_succeeds_with_its_totals_and_report(
    tmp_path: Path, logs: Any
) -> None:
    ti = _run(
        tmp_path,
        [
            [_row("a", FileStatus.TRANSCRIBED), _row("b", FileStatus.SKIPPED)],
            [_row("agent1/c", FileStatus.TRANSCRIBED, 3.0)],
        ],
        max_cost_usd=1.0,
    )

    totals = _summary(tmp_path).execute({"ti": ti})

    assert {key: totals[key] for key in ("files", "transcribed", "skipped", "failed", "unfinished")} == {
        "files": 3, "transcribed": 2, "skipped": 1, "failed": 0, "unfinished": 0,
    }  # fmt: skip
    assert totals["audio_seconds"] == 5.0 and totals["cost_usd"] == pytest.approx(5.0 * PRICE)
    assert totals["estimated_usd"] == pytest.approx(6.0 * PRICE) and totals["max_cost_usd"] == 1.0
    report = Path(totals["report"].removeprefix("file://"))
    assert (
        report
        == tmp_path / "_reports" / "nightly__scheduled__2026-12-06T02_00_00_00_00__group.summarize__-1.html"
    )
    figures = Page(report.read_text()).figures  # the night's rows, every chunk's together
    assert (figures["files"], figures["transcribed"], figures["skipped"]) == ("3", "2", "1")
    assert float(figures["estimated_usd"]) == pytest.approx(6.0 * PRICE)
    assert float(figures["max_cost_usd"]) == 1.0
    assert ti.pushed[REPORT_URL_XCOM_KEY] == totals["report"]
    text = logs()
    assert "agent1/c  3.0 s  5 words  $0.000300  transcribed" in text  # a table of every file
    assert "Estimated before the run: Cost estimate: 6.0 s" in text


def test_the_summary_fails_naming_the_files_not_transcribed_and_the_batch_without_a_manifest(
    tmp_path: Path, logs: Any
) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    ti = _run(
        tmp_path,
        [
            [
                _row("a", FileStatus.TRANSCRIBED),
                _row("bad", FileStatus.FAILED, error="audio_path: file is empty"),
            ],
            None,  # failed before it wrote its manifest
            [
                _row(
                    "late",
                    FileStatus.FAILED,
                    error="not submitted: its create would have passed max_cost_usd",
                ),
                _row("pending", FileStatus.PENDING),
            ],
        ],
    )

    with pytest.raises(AirflowFailException) as raised:
        _summary(tmp_path).execute({"ti": ti})

    message = str(raised.value)
    assert message.startswith("Not every file was transcribed: 5 of 6 file(s) not transcribed: [")
    lost = f"{BATCH}[1] (file://{tmp_path}/_chunks/chunk-00001.json, 2 file(s)) failed before it wrote"
    assert lost in message
    assert "s3://calls/2026/12/06/bad.wav: audio_path: file is empty" in message
    assert "late.wav: not submitted: its create would have passed max_cost_usd" in message
    assert "pending.wav: pending" in message
    assert (tmp_path / "_reports").is_dir()  # the report is written before the verdict
    assert "bad  2.0 s  - words  -  failed: audio_path: file is empty" in logs()


def test_past_twenty_files_the_message_says_how_many_more_the_log_names(tmp_path: Path) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    rows = [
        _row(f"call_{index:03d}", FileStatus.FAILED, error="job error") for index in range(NAMED_FILES + 5)
    ]
    ti = _run(tmp_path, [rows])

    with pytest.raises(
        AirflowFailException, match=r"25 of 25 file\(s\) not transcribed and 5 more \(see the log\)"
    ):
        _summary(tmp_path).execute({"ti": ti})


def test_a_listing_that_did_not_succeed_fails_the_summary_naming_it(tmp_path: Path) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    with pytest.raises(
        AirflowFailException, match=f"^{LISTING} did not succeed, so this run transcribed nothing"
    ):
        _summary(tmp_path).execute({"ti": TaskInstance(None, None)})


def test_a_dry_run_succeeds_with_the_estimate_and_no_file(tmp_path: Path, logs: Any) -> None:
    ti = TaskInstance(
        [],
        {"listed": 4, "new": 4, "chunks": 0, "max_cost_usd": 0.5, "dry_run": True}
        | {"estimate": _estimate(8.0, 4)},
    )

    totals = _summary(tmp_path).execute({"ti": ti})

    assert (totals["files"], totals["dry_run"], totals["max_cost_usd"]) == (0, True, 0.5)
    assert totals["estimated_usd"] == pytest.approx(8.0 * PRICE)
    assert "Dry run: nothing was submitted" in logs()


class OutletEvents(dict):
    """``outlet_events``: an accessor per asset, made when first asked for, kept by the asset's URI
    (as Airflow keeps them by the asset's key: an ``Asset`` with an ``extra`` is unhashable on 3.1)."""

    def __getitem__(self, asset: Any) -> Any:
        from types import SimpleNamespace

        return self.setdefault(asset.uri, SimpleNamespace(extra={}))


def _announce(output_dir: Path) -> AimlSttAnnounceBatchesOperator:
    from airflow_provider_aimlstt.assets import named_asset

    return AimlSttAnnounceBatchesOperator(
        task_id="announce_transcripts",
        output_path=str(output_dir),
        listing_task_id=LISTING,
        batch_task_id=BATCH,
        outlets=[named_asset("transcripts", "aimlstt://test/transcripts")],
    )


def test_the_announcement_names_each_manifest_with_a_transcript_even_of_a_failed_batch(
    tmp_path: Path,
) -> None:
    ti = _run(
        tmp_path,
        [
            [
                _row("a", FileStatus.TRANSCRIBED),
                _row("bad", FileStatus.FAILED, error="no"),
            ],  # its task failed
            [_row("b", FileStatus.SKIPPED)],  # nothing new
            None,
            [_row("c", FileStatus.TRANSCRIBED), _row("d", FileStatus.TRANSCRIBED)],
        ],
    )
    operator = _announce(tmp_path)
    events = OutletEvents()

    transcribed = operator.execute({"ti": ti, "outlet_events": events})

    assert transcribed == 3
    (event,) = events.values()
    assert event.extra == {
        "manifests": [
            manifest_location(str(tmp_path), None, "nightly", TaskInstance.run_id, BATCH, index)
            for index in (0, 3)
        ]
    }


@pytest.mark.parametrize("chunks", [None, []], ids=["listing-failed", "nothing-new"])
def test_no_transcript_no_announcement(tmp_path: Path, chunks: list[Any] | None) -> None:
    from airflow.providers.common.compat.sdk import AirflowSkipException

    with pytest.raises(AirflowSkipException, match="No new transcripts"):
        _announce(tmp_path).execute({"ti": TaskInstance(chunks), "outlet_events": OutletEvents()})
