"""The nightly task group in real ``dag.test()`` runs against the emulator: listing, mapped batches,
summary and asset event, over folders of sub-folders and globs, under a run's cost cap, and dry."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, manifest_location
from airflow_provider_aimlstt.batch.results import read_batch
from tests.airflow_compat import return_value, stored_xcom
from tests.dags.aimlstt_test_nightly import PRICE
from tests.e2e.support import task_states
from tests.encoded_audio import mp3_bytes
from tests.operators.test_batch import tone

pytestmark = [pytest.mark.usefixtures("airflow_db", "fast_batch"), pytest.mark.long_running]

DAG_ID = "aimlstt_test_nightly"
LISTING, BATCH, SUMMARY, ANNOUNCE = (
    f"nightly.{name}" for name in ("list_new_audio", "transcribe", "summarize", "announce_transcripts")
)


def _tree(root: Path, seconds: dict[str, float]) -> dict[str, float]:
    """Write a tone of the given seconds at each relative path under ``root``; the same mapping back."""
    for index, (relative, length) in enumerate(sorted(seconds.items())):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        tone(root / relative, 200 + 13 * index, length)
    return seconds


def _conf(input_path: Any, output_dir: Path, **overrides: Any) -> dict[str, Any]:
    """A run's conf, every param given: ``dag.test()`` runs tasks in this process, where a param
    an earlier run's conf set stays set."""
    return {
        "input": str(input_path),
        "output": str(output_dir),
        "chunk_size": 2,
        "max_failed_files": 0,
        "max_cost_usd": None,
        "dry_run": False,
        **overrides,
    }


def _creates(emulator: Any) -> int:
    return int(emulator.stats()["create_attempts"])


def _states(dag_run: Any) -> dict[tuple[str, int], str | None]:
    return task_states(dag_run)


def _xcom(dag_run: Any, task_id: str, key: str) -> Any:
    return stored_xcom(dag_run, task_id, key)


def test_a_folder_of_sub_folders_is_transcribed_in_chunks_mirrored_summarized_and_announced_once(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_dir, output_dir = tmp_path / "calls", tmp_path / "out"
    files = _tree(
        input_dir,
        {"agent1/a.wav": 1.0, "agent1/b.wav": 2.0, "agent2/deep/c.wav": 1.0, "d.wav": 1.0, "e.wav": 3.0},
    )
    (input_dir / "agent1" / "notes.txt").write_text("not audio")
    conf = _conf(input_dir, output_dir)
    dag = load_dag(DAG_ID)

    first = dag.test(run_conf=conf)

    states = _states(first)
    assert first.state == "success", states
    assert sorted(index for task_id, index in states if task_id == BATCH) == [0, 1, 2]  # 5 files, 2 a chunk
    for relative in files:
        stem = relative.removesuffix(".wav")
        assert (output_dir / f"{stem}.txt").read_text().strip(), stem  # sub-folders mirrored
        assert (output_dir / f"{stem}.json").exists(), stem
    totals = return_value(first, SUMMARY)
    assert {key: totals[key] for key in ("files", "transcribed", "failed", "unfinished")} == {
        "files": 5, "transcribed": 5, "failed": 0, "unfinished": 0,
    }  # fmt: skip
    assert totals["audio_seconds"] == pytest.approx(sum(files.values()))
    assert totals["cost_usd"] == pytest.approx(sum(files.values()) * PRICE)
    assert totals["estimated_usd"] == pytest.approx(sum(files.values()) * PRICE)  # whole seconds: exact
    report = Path(totals["report"].removeprefix("file://")).read_text()
    assert "nightly.summarize" in report and 'data-figure="files"' in report
    assert _xcom(first, SUMMARY, "report_url") == totals["report"]  # the "Batch report" link
    night = _xcom(first, LISTING, "night")
    assert (night["listed"], night["new"], night["chunks"], night["chunk_sizes"]) == (5, 5, 3, [2, 2, 1])
    assert return_value(first, ANNOUNCE) == 5
    manifests = [return_value(first, BATCH, index)["manifest"] for index in range(3)]
    assert [row.name for row in read_batch(manifests[0])] == ["agent1/a", "agent1/b"]  # listing order
    text = logs()
    assert re.search(r"5 new or changed of 5 audio file\(s\) in \S+calls \(0 already transcribed\)", text)

    before = _creates(emulator)
    tone(input_dir / "agent1" / "b.wav", 999, 2.0)  # re-recorded
    second = dag.test(run_conf=conf)

    assert second.state == "success", _states(second)
    assert _creates(emulator) - before == 1
    assert return_value(second, SUMMARY)["transcribed"] == 1
    (row,) = Manifest.load(
        manifest_location(str(output_dir), None, DAG_ID, second.run_id, BATCH, 0)
    )  # the one chunk
    assert (row.name, row.status) == ("agent1/b", FileStatus.TRANSCRIBED)

    third = dag.test(run_conf=conf)

    assert third.state == "success", _states(third)
    assert _states(third)[(BATCH, -1)] == "skipped"  # nothing new: no batch task at all
    assert _states(third)[(ANNOUNCE, -1)] == "skipped"
    assert return_value(third, LISTING) == []
    assert return_value(third, SUMMARY)["files"] == 0


def test_a_glob_takes_what_it_matches_named_from_its_fixed_part(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    root, output_dir = tmp_path / "calls", tmp_path / "out"
    _tree(root, {"2026/12/06/agent1/a.wav": 1.0, "2026/12/06/b.wav": 1.0, "2026/12/07/c.wav": 1.0})
    (root / "2026" / "12" / "06" / "agent1" / "a.mp3").write_bytes(b"not matched by *.wav")

    dag_run = load_dag(DAG_ID).test(
        run_conf=_conf(f"{root.as_uri()}/2026/12/06/**/*.wav", output_dir, chunk_size=5)
    )

    assert dag_run.state == "success", _states(dag_run)
    written = sorted(str(path.relative_to(output_dir)) for path in output_dir.rglob("*.txt"))
    assert written == ["agent1/a.txt", "b.txt"]
    assert return_value(dag_run, SUMMARY)["transcribed"] == 2


def test_the_summary_fails_naming_a_failed_file_and_a_batch_that_wrote_no_manifest(
    load_dag: Any, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    from airflow_provider_aimlstt.batch import inputs

    input_dir, output_dir = tmp_path / "calls", tmp_path / "out"
    _tree(input_dir, {"a.wav": 1.0, "c.wav": 1.0, "d.wav": 1.0})
    (input_dir / "b.wav").write_bytes(b"")  # refused before any create
    write_audio_lists = inputs.write_audio_lists

    def lose_the_second_list(*args: Any, **kwargs: Any) -> list[str]:
        written = write_audio_lists(*args, **kwargs)
        Path(written[1].removeprefix("file://")).unlink()  # as if the chunks folder were cleaned up
        return written

    monkeypatch.setattr(inputs, "write_audio_lists", lose_the_second_list)

    dag_run = load_dag(DAG_ID).test(run_conf=_conf(input_dir, output_dir))

    states = _states(dag_run)
    assert dag_run.state == "failed", states
    assert states[(BATCH, 0)] == "failed" and states[(BATCH, 1)] == "failed", states
    assert states[(SUMMARY, -1)] == "failed", states
    assert states[(ANNOUNCE, -1)] == "success", states  # what the failed batch task wrote is announced
    assert return_value(dag_run, ANNOUNCE) == 1  # a.wav, of the batch that failed for b.wav
    assert (output_dir / "a.txt").exists() and not (output_dir / "b.txt").exists()
    text = logs()
    failure = next(line for line in text.splitlines() if "Not every file was transcribed" in line)
    assert "3 of 4 file(s) not transcribed" in failure  # b.wav, and the 2 files of the lost list
    assert (
        f"{BATCH}[1] (file://{output_dir}/_chunks/" in failure
        and "chunk-00001.json, 2 file(s)) failed before" in failure
    )
    assert re.search(r"b\.wav: audio_path: file is empty", failure), failure
    assert "b  -  - words  -  failed: audio_path: file is empty" in text  # the table's row


def test_the_run_cap_is_shared_by_audio_and_each_batch_stops_at_its_share(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_dir, output_dir = tmp_path / "calls", tmp_path / "out"
    lengths = [1.0, 2.0, 3.0, 1.0, 1.0, 4.0, 2.0, 2.0, 1.0, 3.0]  # whole seconds: billed as estimated
    files = _tree(input_dir, {f"call_{index:02d}.wav": length for index, length in enumerate(lengths)})
    estimate = sum(lengths) * PRICE
    cap = round(0.6 * estimate, 9)
    before = _creates(emulator)

    dag_run = load_dag(DAG_ID).test(run_conf=_conf(input_dir, output_dir, chunk_size=4, max_cost_usd=cap))

    states = _states(dag_run)
    assert dag_run.state == "failed", states
    chunks = return_value(dag_run, LISTING)
    audio = [sum(lengths[start : start + 4]) for start in range(0, len(lengths), 4)]  # 7, 8, 5 s
    shares = [chunk["max_cost_usd"] for chunk in chunks]
    assert shares == [pytest.approx(cap * seconds / sum(lengths), abs=1e-9) for seconds in audio]
    assert sum(round(share * 1e9) for share in shares) <= round(cap * 1e9)  # in nano-dollars
    night = _xcom(dag_run, LISTING, "night")
    assert night["estimate"]["estimated_usd"] == pytest.approx(estimate) and night["max_cost_usd"] == cap
    rows = [
        row for index in range(3) for row in read_batch(return_value_or_manifest(dag_run, output_dir, index))
    ]
    done = [row for row in rows if row.status is FileStatus.TRANSCRIBED]
    left = [row for row in rows if row.status is FileStatus.FAILED]
    billed = math.fsum(row.cost_usd or 0.0 for row in done)
    assert len(done) + len(left) == len(files) and left and done
    assert _creates(emulator) - before == len(done)  # a file left was never submitted
    assert billed <= cap + max(lengths) * PRICE  # within the cap but for one file's cost
    for index, share in enumerate(shares):  # and each batch within its share
        chunk_billed = math.fsum(
            row.cost_usd or 0.0
            for row in read_batch(return_value_or_manifest(dag_run, output_dir, index))
            if row.status is FileStatus.TRANSCRIBED
        )
        assert chunk_billed <= share + 1e-12, (index, chunk_billed, share)
    text = logs()
    assert f"{len(left)} of {len(files)} file(s) not transcribed" in text
    assert "not submitted: its create would have passed max_cost_usd" in text
    assert "passes the cap of" in text  # the listing warned before any create
    print(
        f"\nrun cap: {len(files)} files, {sum(lengths):.0f} s; estimate ${estimate:.6f}, cap ${cap:.6f} "
        f"(shares {[f'{share:.6f}' for share in shares]}); billed ${billed:.6f} for {len(done)} files, "
        f"{len(left)} left; overshoot ${billed - cap:+.6f}"
    )


def return_value_or_manifest(dag_run: Any, output_dir: Path, index: int) -> str:
    """The manifest of batch ``index`` (a batch that failed has no return value, its manifest stays)."""
    return manifest_location(str(output_dir), None, DAG_ID, dag_run.run_id, BATCH, index)


def test_a_dry_run_logs_the_estimate_and_submits_nothing(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_dir, output_dir = tmp_path / "calls", tmp_path / "out"
    lengths = {"a.wav": 1.0, "b/c.wav": 2.0, "d.wav": 3.0}
    _tree(input_dir, lengths)
    before = emulator.stats()

    dag_run = load_dag(DAG_ID).test(run_conf=_conf(input_dir, output_dir, dry_run=True, max_cost_usd=1.0))

    after = emulator.stats()
    states = _states(dag_run)
    assert dag_run.state == "success", states
    assert after["create_attempts"] == before["create_attempts"]
    assert after["requests_total"] == before["requests_total"]  # not even a poll
    assert states[(BATCH, -1)] == "skipped"
    assert return_value(dag_run, LISTING) == []
    assert not (output_dir / "_chunks").exists() and not (output_dir / "_manifests").exists()
    totals = return_value(dag_run, SUMMARY)
    assert totals["dry_run"] is True and totals["files"] == 0
    assert totals["estimated_usd"] == pytest.approx(sum(lengths.values()) * PRICE)
    text = logs()
    assert "Dry run: nothing written, nothing submitted (3 file(s) would be)" in text
    assert re.search(r"The night: Cost estimate: 6\.0 s \(0\.00 h\) of audio in 3 of 3 file\(s\)", text)


def test_a_listing_that_fails_fails_the_summary_naming_it(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    dag_run = load_dag(DAG_ID).test(run_conf=_conf(tmp_path / "no_such_day", tmp_path / "out"))

    states = _states(dag_run)
    assert dag_run.state == "failed", states
    assert states[(LISTING, -1)] == "failed" and states[(BATCH, -1)] == "upstream_failed", states
    assert states[(SUMMARY, -1)] == "failed", states
    text = logs()
    assert f"input_path: file://{tmp_path}/no_such_day does not exist" in text
    assert f"{LISTING} did not succeed, so this run transcribed nothing: see its log" in text


def test_the_chunk_lists_carry_the_names_the_whole_listing_gave(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    input_dir, output_dir = tmp_path / "calls", tmp_path / "out"
    _tree(input_dir, {"call.wav": 1.0})
    (input_dir / "call.mp3").write_bytes(mp3_bytes([64] * 100, 16000))  # one stem: each keeps its suffix

    dag_run = load_dag(DAG_ID).test(run_conf=_conf(input_dir, output_dir, chunk_size=1))

    assert dag_run.state == "success", _states(dag_run)
    lists = [
        json.loads(Path(chunk["audio_list_path"].removeprefix("file://")).read_text())
        for chunk in return_value(dag_run, LISTING)
    ]
    assert [[item["name"] for item in chunk] for chunk in lists] == [["call.mp3"], ["call.wav"]]
    assert (output_dir / "call.mp3.txt").exists() and (output_dir / "call.wav.txt").exists()
