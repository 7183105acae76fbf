"""The nightly listing: the files new or changed since their transcripts, as chunk lists on the
output store, with the night's estimate and each chunk's share of the run's cap.

The operator's ``execute`` runs here on real local folders, with a stand-in task instance that
keeps what is pushed to XCom; whole DAG runs of it are in ``tests/task_groups/test_nightly.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.estimate import CostEstimate, estimate_batch_cost
from airflow_provider_aimlstt.batch.inputs import list_audio
from airflow_provider_aimlstt.batch.receipts import Receipt, write_receipt
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.operators.listing import (
    NIGHT_XCOM_KEY,
    AimlSttListNewAudioOperator,
    cap_shares,
    chunk_weights,
)
from airflow_provider_aimlstt.outputs.storage import resolve_folder
from tests.airflow_compat import template_macros
from tests.operators.test_batch import tone

PRICE = 0.0001


class TaskInstance:
    """What the listing uses of its task instance: its ids, and XCom pushes (kept here)."""

    dag_id, run_id, task_id = "nightly", "scheduled__2026-12-06T02:00:00+00:00", "group.list_new_audio"

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = json.loads(json.dumps(value))  # as XCom keeps it: plain JSON


def _listing(input_path: Any, output_path: Any, **kwargs: Any) -> AimlSttListNewAudioOperator:
    kwargs.setdefault("usd_per_audio_second", PRICE)
    return AimlSttListNewAudioOperator(
        task_id="list_new_audio", input_path=str(input_path), output_path=str(output_path), **kwargs
    )


def _run(operator: AimlSttListNewAudioOperator) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ti = TaskInstance()
    returned = operator.execute({"ti": ti})
    return returned, ti.pushed[NIGHT_XCOM_KEY]


def _list(location: str) -> list[dict[str, Any]]:
    return json.loads(Path(location.removeprefix("file://")).read_text())


def _transcribed(output_dir: Path, name: str, fingerprint: str | None) -> None:
    """Transcripts of ``name`` in both formats and a receipt of ``fingerprint``, as a batch leaves them."""
    for suffix in (".txt", ".json"):
        (output_dir / f"{name}{suffix}").parent.mkdir(parents=True, exist_ok=True)
        (output_dir / f"{name}{suffix}").write_text("{}")
    write_receipt(resolve_folder(str(output_dir), None), name, Receipt(source=name, fingerprint=fingerprint))


def test_the_files_new_or_changed_since_their_transcripts_go_into_chunk_lists_named_once(
    tmp_path: Path,
) -> None:
    input_dir, output_dir = tmp_path / "day", tmp_path / "out"
    for index, relative in enumerate(["a.wav", "agent1/b.wav", "agent1/c.wav", "agent2/deep/d.wav", "e.wav"]):
        (input_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        tone(input_dir / relative, 300 + 10 * index, 1.0)
    (input_dir / "agent1" / "c.mp3").write_bytes(b"ID3 not really")  # its stem is c.wav's too
    (input_dir / "notes.txt").write_text("not audio")
    listed = {file.name: file for file in list_audio(str(input_dir), (".wav", ".mp3"))}
    _transcribed(output_dir, "a", listed["a"].fingerprint)  # unchanged: left alone
    _transcribed(output_dir, "e", "an-older-recording")  # re-recorded since: listed again

    returned, night = _run(_listing(input_dir, output_dir, chunk_size=2, formats=("txt", "json")))

    lists = [_list(chunk["audio_list_path"]) for chunk in returned]
    assert [[item["name"] for item in chunk] for chunk in lists] == [
        ["agent1/b", "agent1/c.mp3"],
        ["agent1/c.wav", "agent2/deep/d"],  # named apart from c.mp3 though in another chunk
        ["e"],
    ]
    assert lists[0][0] == {
        "source": (input_dir / "agent1" / "b.wav").as_uri(),
        "name": "agent1/b",
        "fingerprint": listed["agent1/b"].fingerprint,
    }
    assert all(chunk["max_cost_usd"] is None for chunk in returned)  # no cap
    folder = output_dir / "_chunks" / "nightly__scheduled__2026-12-06T02_00_00_00_00__group.list_new_audio"
    assert sorted(path.name for path in folder.iterdir()) == [f"chunk-0000{n}.json" for n in range(3)]
    assert {key: night[key] for key in ("listed", "new", "chunks", "chunk_sizes", "dry_run")} == {
        "listed": 6, "new": 5, "chunks": 3, "chunk_sizes": [2, 2, 1], "dry_run": False,
    }  # fmt: skip
    estimate = CostEstimate.from_summary(night["estimate"])
    assert (estimate.files, estimate.files_with_duration, estimate.unknown_files) == (5, 4, 1)
    assert estimate.audio_seconds_known == pytest.approx(4.0)
    assert estimate.estimated_usd == pytest.approx(4.0 * PRICE) and estimate.rate_source == "given"


def test_the_runs_cap_is_shared_among_the_chunks_in_proportion_to_their_audio(tmp_path: Path) -> None:
    input_dir = tmp_path / "day"
    input_dir.mkdir()
    for index, seconds in enumerate([1.0, 1.0, 2.0, 4.0, 2.0]):
        tone(input_dir / f"call_{index}.wav", 300 + 10 * index, seconds)
    cap = 0.0005  # the night is estimated at 10 s: $0.001

    returned, night = _run(_listing(input_dir, tmp_path / "out", chunk_size=2, max_cost_usd=cap))

    shares = [chunk["max_cost_usd"] for chunk in returned]
    assert shares == [pytest.approx(cap * seconds / 10.0, abs=1e-9) for seconds in (2.0, 6.0, 2.0)]
    assert sum(round(share * 1e9) for share in shares) <= round(cap * 1e9)  # in nano-dollars
    assert night["max_cost_usd"] == cap
    assert CostEstimate.from_summary(night["estimate"]).total_usd == pytest.approx(10.0 * PRICE)


def test_a_file_of_unknown_duration_weighs_the_nights_mean_and_no_duration_at_all_weighs_by_count(
    tmp_path: Path,
) -> None:
    for index, seconds in enumerate([1.0, 3.0]):
        tone(tmp_path / f"known_{index}.wav", 300 + 10 * index, seconds)
    (tmp_path / "unknown.ogg").write_bytes(b"OggS not really")
    known = estimate_batch_cost([str(tmp_path / "known_0.wav"), str(tmp_path / "known_1.wav")])
    unknown = estimate_batch_cost([str(tmp_path / "unknown.ogg"), str(tmp_path / "known_0.wav")])
    night = estimate_batch_cost(
        [str(path) for path in sorted(tmp_path.iterdir())] + [str(tmp_path / "known_0.wav")]
    )

    assert night.mean_known_seconds == pytest.approx(5.0 / 3)
    assert chunk_weights([known, unknown], night) == pytest.approx([4.0, 5.0 / 3 + 1.0])
    silent = estimate_batch_cost([str(tmp_path / "unknown.ogg")])
    assert chunk_weights([silent, silent, silent], silent) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("cap", "weights", "expected"),
    [
        (None, [1.0, 2.0], [None, None]),
        (0.3, [1.0, 1.0, 1.0], [0.1, 0.1, 0.1]),
        (1.0, [1.0, 1.0, 1.0], [0.333333333] * 3),  # rounded down: their sum never passes the cap
        (0.9, [0.0, 0.0, 0.0], [0.3, 0.3, 0.3]),  # silent chunks: shared by count
        (0.5, [], []),
    ],
)
def test_cap_shares(cap: float | None, weights: list[float], expected: list[float | None]) -> None:
    shares = cap_shares(cap, weights)

    assert shares == pytest.approx(expected, abs=1e-12) if cap is not None else shares == expected
    if cap is not None:
        assert sum(round((share or 0.0) * 1e9) for share in shares) <= round(cap * 1e9)  # in nano-dollars


def test_a_dry_run_logs_the_estimate_and_writes_and_returns_no_chunk(tmp_path: Path, logs: Any) -> None:
    input_dir, output_dir = tmp_path / "day", tmp_path / "out"
    input_dir.mkdir()
    tone(input_dir / "a.wav", 300, 2.0)

    returned, night = _run(_listing(input_dir, output_dir, estimate_only="True", max_cost_usd="0.5"))

    assert returned == []
    assert not output_dir.exists()
    assert (night["dry_run"], night["new"], night["chunks"], night["max_cost_usd"]) == (True, 1, 0, 0.5)
    text = logs()
    assert "Dry run: nothing written, nothing submitted (1 file(s) would be)" in text
    assert "The night: Cost estimate: 2.0 s" in text


def test_more_chunks_than_airflow_maps_fail_the_listing_naming_both_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.common.compat.sdk import AirflowFailException

    input_dir, output_dir = tmp_path / "day", tmp_path / "out"
    input_dir.mkdir()
    for index in range(3):
        tone(input_dir / f"call_{index}.wav", 300 + 10 * index, 0.2)
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "2")

    with pytest.raises(
        AirflowFailException, match=r"3 new audio files in \S+ make 3 chunks of 1, more than "
    ):
        _run(_listing(input_dir, output_dir, chunk_size=1))
    assert not output_dir.exists()
    assert _run(_listing(input_dir, output_dir, chunk_size=2))[0]  # 2 chunks: mapped


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"chunk_size": 0}, "chunk_size"),
        ({"max_cost_usd": -1.0}, "max_cost_usd"),
        ({"max_cost_usd": "a lot"}, "max_cost_usd"),
        ({"usd_per_audio_second": math.inf}, "usd_per_audio_second"),
        ({"estimate_only": "maybe"}, "estimate_only"),
        ({"formats": ("txt", "doc")}, "formats"),
    ],
)
def test_a_bad_argument_is_refused_when_the_dag_is_parsed_naming_it(
    arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(AimlSttValidationError, match=f"^{field}"):
        _listing("/in", "/out", **arguments)


def test_a_bad_rendered_argument_fails_the_task_before_anything_is_listed(tmp_path: Path) -> None:
    operator = _listing(tmp_path / "missing", tmp_path / "out", chunk_size="{{ params.chunk_size }}")
    operator.chunk_size = "half"  # as rendered

    with pytest.raises(
        AimlSttValidationError, match=r"^chunk_size: must be a whole number, 1 or more, got 'half'"
    ):
        _run(operator)


def test_a_template_of_the_data_interval_in_a_run_without_one_fails_saying_so() -> None:
    import pendulum
    from airflow.providers.common.compat.sdk import DAG

    macros = template_macros()

    with DAG("nightly_render", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC")) as dag:
        operator = _listing(
            "s3://calls/{{ (data_interval_end - macros.timedelta(days=1)).strftime('%Y/%m/%d') }}", "/out"
        )

    with pytest.raises(
        AimlSttValidationError, match=r"'data_interval_end' is undefined: this run has no data"
    ):
        operator.render_template_fields({"macros": macros, "params": {}}, dag.get_template_env())

    end = pendulum.datetime(2026, 12, 7, 2, tz="UTC")
    operator.render_template_fields(
        {"macros": macros, "params": {}, "data_interval_end": end}, dag.get_template_env()
    )
    assert operator.input_path == "s3://calls/2026/12/06"
