"""The report of a batch's night: one self-contained HTML page, read back with ``html.parser``."""

from __future__ import annotations

import math
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.estimate import CostEstimate
from airflow_provider_aimlstt.batch.manifest import FileStatus, ManifestRow
from airflow_provider_aimlstt.batch.report import render_report, write_report

HOSTILE = '</td></tr></table><script>alert("night")</script><img src=x onerror=alert(1)> & <!-- done'
START = 1_800_000_000.0  # epoch seconds of the first create
MODEL = "openai/whisper-1"


class Page(HTMLParser):
    """What a report holds: its tags, its figures, its table rows and chart bars, its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.figures: dict[str, str] = {}
        self.text: list[str] = []
        self.cells: list[list[tuple[dict[str, str | None], str]]] = []  # table rows: their cells
        self._cell: dict[str, str | None] | None = None
        self._cell_text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "data-figure" in attributes:
            self.figures[str(attributes["data-figure"])] = str(attributes["data-value"])
        if tag == "tr":
            self.cells.append([])
            self.cells[-1].append((attributes, "<tr>"))
        elif tag == "td":
            self._cell, self._cell_text = attributes, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells[-1].append((self._cell, "".join(self._cell_text)))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell_text.append(data)

    def rows(
        self, marker: str
    ) -> list[tuple[dict[str, str | None], list[tuple[dict[str, str | None], str]]]]:
        """The table rows whose ``<tr>`` has the attribute ``marker``, with their cells."""
        return [(row[0][0], row[1:]) for row in self.cells if marker in row[0][0]]

    def of(self, tag: str, attribute: str) -> list[dict[str, str | None]]:
        """The attributes of every ``tag`` that has ``attribute``."""
        return [attributes for name, attributes in self.tags if name == tag and attribute in attributes]


def _rows() -> list[ManifestRow]:
    rows = []
    for index in range(12):  # one job finishing every 5 minutes, the last ones slower
        rows.append(
            ManifestRow(
                source=f"s3://calls/day/{index:02d}.wav",
                name=f"{index:02d}",
                status=FileStatus.TRANSCRIBED,
                generation_id=f"g-{index}",
                attempts=1,
                submitted_at=START + index * 300,
                finished_between=(20.0 + index, 24.0 + index),
                audio_seconds=600.0,
                words=1500,
                cost_usd=0.06,
            )
        )
    rows.append(
        ManifestRow(
            source=f"s3://calls/day/{HOSTILE}.wav",
            name="hostile",
            status=FileStatus.FAILED,
            attempts=3,
            submitted_at=START + 100,
            finished_between=(40.0, 44.0),
            error=HOSTILE,
            retryable=True,
        )
    )
    rows.append(
        ManifestRow(source="s3://calls/day/missing.wav", name="missing", status=FileStatus.FAILED, error=None)
    )
    rows.append(ManifestRow(source="s3://calls/day/old.wav", name="old", status=FileStatus.SKIPPED))
    rows.append(ManifestRow(source="s3://calls/day/late.wav", name="late", status=FileStatus.PENDING))
    return rows


ESTIMATE = CostEstimate(
    files=16,
    files_with_duration=14,
    audio_seconds_known=8400.0,
    unknown_files=2,
    unreadable_files=1,
    usd_per_audio_second=0.0001,
    rate_source="learned",
    estimated_usd=0.84,
    unknown_audio_seconds_guess=1200.0,
    unknown_estimated_usd=0.12,
    head_reads=15,
    size_lookups=14,
    read_seconds=0.4,
)


def test_the_page_holds_the_nights_figures() -> None:
    rows = _rows()
    html = render_report(
        rows,
        task_instance=("nightly", "scheduled__2027-01-15", "transcribe", 0),
        model=MODEL,
        estimate=ESTIMATE,
        max_cost_usd=0.5,
    )
    page = Page(html)

    figures = page.figures
    assert int(figures["files"]) == len(rows)
    for status in FileStatus:
        assert int(figures[status.value]) == sum(row.status is status for row in rows), status
    assert float(figures["audio_seconds"]) == pytest.approx(12 * 600.0)
    assert float(figures["audio_hours"]) == pytest.approx(2.0)
    assert int(figures["words"]) == 12 * 1500
    assert float(figures["billed_usd"]) == pytest.approx(0.72)  # no total given: the rows' costs
    assert float(figures["estimated_usd"]) == 0.84 and float(figures["unknown_estimated_usd"]) == 0.12
    assert float(figures["billed_share_of_estimate"]) == pytest.approx(0.72 / 0.84)
    assert float(figures["max_cost_usd"]) == 0.5
    assert float(figures["billed_share_of_cap"]) == pytest.approx(0.72 / 0.5)
    assert page.of("span", "class") == [{"class": "over"}]  # over the cap, marked
    assert float(figures["first_create"]) == START
    assert float(figures["last_finish"]) == START + 11 * 300 + 33.0  # 11 * 300 s, then (31 + 35) / 2
    costs = {bar["data-cost"] for bar in page.of("rect", "data-cost")}
    assert costs == {"billed", "estimated", "estimated, with the unknown files", "cap"}

    [(model_row, cells)] = page.rows("data-model")
    assert model_row["data-model"] == MODEL
    by_status = {str(cell["data-status"]): int(text) for cell, text in cells if "data-status" in cell}
    assert by_status == {status.value: sum(row.status is status for row in rows) for status in FileStatus}

    bars = page.of("rect", "data-files")
    assert sum(int(str(bar["data-files"])) for bar in bars) == 13  # every finished job: 12 and the failed one
    assert len(bars) <= 48
    assert all(float(str(bar["data-bucket-start"])) % 300 == 0 for bar in bars)  # 5-minute buckets

    slow = [float(str(row["data-slow"])) for row, _ in page.rows("data-slow")]
    assert slow == sorted(slow, reverse=True) and len(slow) == 10
    assert slow[0] == 42.0  # the failed job, (40 + 44) / 2

    failures = page.rows("data-failure")
    assert [cells[1][1] for _, cells in failures] == [HOSTILE, "(no cause recorded)"]
    assert failures[0][1][0][1] == f"s3://calls/day/{HOSTILE}.wav"


def test_hostile_text_is_shown_never_run() -> None:
    rows = _rows()
    rows[0].generation_id = HOSTILE
    html = render_report(rows, task_instance=(HOSTILE, "r", "t", -1), model=HOSTILE)
    page = Page(html)
    tags = {tag for tag, _ in page.tags}
    assert "script" not in tags and "img" not in tags and "link" not in tags
    assert not any(name.startswith("on") for _, attributes in page.tags for name in attributes)
    assert HOSTILE in "".join(page.text)  # shown, as text
    assert "<script>" not in html


def test_self_contained_nothing_fetched() -> None:
    page = Page(render_report(_rows(), model=MODEL, estimate=ESTIMATE))
    assert not [attributes for _, attributes in page.tags if {"src", "href"} & set(attributes)]
    assert {tag for tag, _ in page.tags} >= {"style", "svg", "rect", "table"}


def test_no_rows() -> None:
    page = Page(render_report([], task_instance=("d", "r", "t", 0)))
    assert int(page.figures["files"]) == 0 and page.figures["billed_usd"] == ""
    assert not page.of("rect", "data-files")
    assert "No job finished." in page.text and "No file failed." in page.text


def test_ten_thousand_rows_as_dicts(capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[dict[str, Any]] = []
    for index in range(10_000):  # a night of 8 hours; every 50th file failed
        failed = index % 50 == 0
        rows.append(
            {
                "source": f"s3://calls/night/{index:05d}.wav",
                "name": f"{index:05d}",
                "status": "failed" if failed else "transcribed",
                "submitted_at": START + index * 2.88,
                "finished_between": [30.0 + index % 70, 35.0 + index % 70],
                "audio_seconds": None if failed else 300.0,
                "cost_usd": None if failed else 0.03,
                "error": f"job g-{index}: failed <{index}>" if failed else None,
            }
        )
    started = time.perf_counter()
    html = render_report(rows, task_instance=("nightly", "r", "transcribe", 3), model=MODEL, max_cost_usd=400)
    rendered = time.perf_counter() - started
    page = Page(html)
    with capsys.disabled():
        print(f"\n10,000 rows: rendered in {rendered:.3f} s, {len(html):,} characters")
    assert int(page.figures["failed"]) == 200 and int(page.figures["transcribed"]) == 9_800
    assert float(page.figures["billed_usd"]) == pytest.approx(9_800 * 0.03)
    assert len(page.rows("data-failure")) == 200
    assert page.rows("data-failure")[7][1][1][1] == "job g-350: failed <350>"
    bars = page.of("rect", "data-files")
    assert sum(int(str(bar["data-files"])) for bar in bars) == 10_000 and len(bars) <= 48
    assert math.isclose(float(page.figures["audio_hours"]), 9_800 * 300 / 3600)


def test_written_whole_to_a_local_folder(tmp_path: Path) -> None:
    uri = write_report(
        _rows(), tmp_path / "out", None, ("nightly", "manual__2027-01-15T00:00", "transcribe", 2)
    )
    assert (
        uri
        == (tmp_path / "out" / "_reports" / "nightly__manual__2027-01-15T00_00__transcribe__2.html").as_uri()
    )
    assert Page(Path(uri.removeprefix("file://")).read_text()).figures["files"] == str(len(_rows()))
    assert [path.name for path in (tmp_path / "out" / "_reports").iterdir()] == [
        Path(uri).name
    ]  # no temporary


def test_written_to_s3_its_uri_names_the_connection(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_REPORT_LAKE", s3_server.connection_json())
    s3 = s3_server.client()
    s3.create_bucket(Bucket="reports")
    uri = write_report(_rows(), "s3://reports/nightly", "report_lake", ("nightly", "r1", "transcribe", -1))
    assert uri == "s3://report_lake@reports/nightly/_reports/nightly__r1__transcribe__-1.html"
    body = s3.get_object(Bucket="reports", Key="nightly/_reports/nightly__r1__transcribe__-1.html")["Body"]
    assert Page(body.read().decode()).figures["transcribed"] == "12"
