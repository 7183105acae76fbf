"""The example DAGs run with ``dag.test()`` against the emulator, over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import wave
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from airflow_provider_aimlstt.transcripts import Transcript
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_2_PLUS
from tests.airflow_compat import dag_bag, needs, return_value, template_macros
from tests.conftest import DAGS_FOLDER
from tests.e2e.support import AUDIO_DIR, dag_test_at, mono_samples, spoken_text, task_states
from tests.encoded_audio import mp3_bytes
from tests.helpers import fast_batch_polls
from tests.transcripts.subtitles import parse_srt

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import DAG

pytestmark = [pytest.mark.usefixtures("airflow_db"), pytest.mark.long_running]


@pytest.fixture(autouse=True)
def _polls_of_the_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Waits poll every 0.5 s growing to 2 s (the single-file path), or as
    :func:`~tests.helpers.fast_batch_polls` says (the batch): internal constants, not arguments.
    What the examples prove does not hang on the pace; the pace has its own tests."""
    from airflow_provider_aimlstt import defaults

    monkeypatch.setattr(defaults, "FIRST_POLL_SECONDS", 0.5)
    monkeypatch.setattr(defaults, "MAX_POLL_SECONDS", 2.0)
    fast_batch_polls(monkeypatch)


LoadDag = Callable[[str], "DAG"]


TOTAL_LINE = re.compile(r"(?:^|\s)(total\s+\d.*)$")  # the per-file table's last line


@pytest.fixture(scope="module")
def nightly() -> DAG:
    """The per-file DAG, parsed with retries that wait no time (every task has 2 retries)."""
    with pytest.MonkeyPatch.context() as patch:  # read when the DAG is parsed
        patch.setenv("AIMLSTT_RETRY_DELAY_SECONDS", "0")
        bag = dag_bag(str(DAGS_FOLDER / "example_dags" / "example_aimlstt_per_file.py"))
    assert not bag.import_errors, bag.import_errors
    return bag.dags["example_aimlstt_per_file"]


def _tries(dag_run: Any) -> dict[tuple[str, int], int]:
    return {(ti.task_id, ti.map_index): ti.try_number for ti in dag_run.get_task_instances()}


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


def test_minimal_dag_returns_the_spoken_sentence(load_dag: LoadDag, emulator: Any) -> None:
    emulator.config.processing_seconds = 3.0  # long enough for the sensor to defer

    dag_run = load_dag("example_aimlstt_minimal").test()

    assert dag_run.state == "success", task_states(dag_run)
    assert return_value(dag_run, "print_transcript") == spoken_text(AUDIO_DIR / "meeting_note.wav")


def test_nightly_dag_transcribes_every_sample_then_skips_them(
    nightly: DAG, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    output_dir = tmp_path / "transcripts"
    conf = {"input_dir": AUDIO_DIR.as_uri(), "output_dir": output_dir.as_uri()}  # object storage URIs
    dag = nightly
    samples = mono_samples()
    assert len(samples) == 4

    first = dag.test(run_conf=conf)

    assert first.state == "success", task_states(first)
    suffixes = (".json", ".txt", ".srt", ".vtt")
    expected_files = sorted(f"{sample.stem}{suffix}" for sample in samples for suffix in suffixes)
    assert sorted(path.name for path in output_dir.iterdir()) == expected_files  # no temp files left
    for sample in samples:
        assert (output_dir / f"{sample.stem}.txt").read_text(encoding="utf-8").strip() == spoken_text(sample)
        transcript = Transcript.model_validate_json(
            (output_dir / f"{sample.stem}.json").read_text(encoding="utf-8")
        )
        assert transcript.text == spoken_text(sample)
        cues = parse_srt((output_dir / f"{sample.stem}.srt").read_text(encoding="utf-8"))
        assert [token for cue in cues for token in cue.tokens] == spoken_text(sample).split()
        assert (output_dir / f"{sample.stem}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")

    def transcript_of(sample: Path) -> Transcript:
        return Transcript.model_validate_json(
            (output_dir / f"{sample.stem}.json").read_text(encoding="utf-8")
        )

    rows = return_value(first, "summarize")
    assert [row["file"] for row in rows] == [sample.name for sample in samples]
    for row, sample in zip(rows, samples, strict=True):
        assert row["status"] == "transcribed"
        assert row["words"] == len(spoken_text(sample).split())
        assert row["duration_seconds"] == pytest.approx(_wav_seconds(sample), abs=0.05)
        assert row["cost_usd"] == float(emulator.jobs.get(transcript_of(sample).generation_id).cost.usd) > 0
    # the table's lines are log records: the message follows the record's prefix
    table = [found.group(1).split() for line in logs().splitlines() if (found := TOTAL_LINE.search(line))]
    total = sum(row["cost_usd"] for row in rows)
    assert table and table[-1][-5] == f"${total:.6f}", table  # the table's total line: its cost column
    assert " ".join(table[-1][-4:]) == f"{len(rows)} of {len(rows)} transcribed"

    written_at = {path.name: path.stat().st_mtime_ns for path in output_dir.iterdir()}
    second = dag.test(run_conf=conf)

    assert second.state == "success", task_states(second)
    assert return_value(second, "list_new_audio") == []
    assert return_value(second, "summarize") == []
    states = task_states(second)
    assert states[("transcribe", -1)] == "skipped", states
    assert {path.name: path.stat().st_mtime_ns for path in output_dir.iterdir()} == written_at


def test_nightly_dag_writes_the_good_file_and_names_the_cause_of_the_bad_one(
    nightly: DAG, emulator: Any, tmp_path: Path
) -> None:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    shutil.copy(AUDIO_DIR / "meeting_note.wav", input_dir)
    (input_dir / "empty.wav").write_bytes(b"")  # refused by the submit operator

    dag_run = nightly.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    assert dag_run.state == "failed"
    states = task_states(dag_run)
    assert states[("transcribe", 0)] == "failed", states  # empty.wav sorts first
    assert states[("transcribe", 1)] == "success", states
    assert states[("summarize", -1)] == "failed", states
    assert (output_dir / "meeting_note.txt").read_text(encoding="utf-8").strip() == spoken_text(
        AUDIO_DIR / "meeting_note.wav"
    )
    assert not (output_dir / "empty.json").exists()
    tries = _tries(dag_run)[("transcribe", 0)]
    assert tries == 3, "the DAG gives every task 2 retries"
    cause = (output_dir / "empty.error.txt").read_text(encoding="utf-8")
    assert cause.startswith(f"transcribe (try {tries}): AimlSttValidationError: "), cause  # the last try
    assert "audio_path: file is empty" in cause
    assert not (output_dir / "meeting_note.error.txt").exists()


def test_nightly_dag_fails_naming_the_limit_when_a_folder_has_more_files_than_airflow_can_map(
    nightly: DAG, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: Any
) -> None:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "transcripts"
    input_dir.mkdir()
    for name in ("a.wav", "b.wav", "c.wav"):
        shutil.copy(AUDIO_DIR / "meeting_note.wav", input_dir / name)
    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "2")  # read by the task and the execution API
    attempts_before = emulator.stats()["create_attempts"]

    dag_run = nightly.test(run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)})

    text = logs()
    states = task_states(dag_run)
    assert dag_run.state == "failed", states
    assert states[("list_new_audio", -1)] == "failed", states
    assert states[("transcribe", -1)] == "upstream_failed", states
    assert states[("summarize", -1)] == "failed", states
    assert _tries(dag_run)[("list_new_audio", -1)] == 1, "a retry could not help: it must not retry"
    assert re.search(
        r"AirflowFailException: 3 new audio files in \S+, more than \[core\] max_map_length \(2\)", text
    ), text[-5000:]
    assert "raise [core] max_map_length (AIRFLOW__CORE__MAX_MAP_LENGTH)" in text
    assert "unmappable_return_value_length" not in text  # the listing says it first, and clearly
    assert "Nothing new to transcribe" not in text
    assert "list_new_audio did not succeed, so this run transcribed nothing" in text
    assert emulator.stats()["create_attempts"] == attempts_before
    assert not output_dir.exists() or not any(output_dir.iterdir())


def test_nightly_dag_fails_when_the_listing_fails(
    nightly: DAG, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    missing = tmp_path / "no_such_folder"

    dag_run = nightly.test(run_conf={"input_dir": str(missing), "output_dir": str(tmp_path / "out")})

    text = logs()
    states = task_states(dag_run)
    assert dag_run.state == "failed", states
    assert states[("list_new_audio", -1)] == "failed", states
    assert states[("summarize", -1)] == "failed", states
    assert f"FileNotFoundError: The input folder file://{missing} does not exist" in text
    assert "list_new_audio did not succeed, so this run transcribed nothing" in text
    assert "Nothing new to transcribe" not in text


def test_dag_without_triggerer_waits_in_poke_and_reschedule_modes(
    load_dag: LoadDag, emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook

    # Each job stays pending until its sensor polls it a second time: a condition rather than a
    # delay, so that a loaded machine cannot let a job finish before its sensor's first poll.
    polls: Counter[str] = Counter()
    get_job = AimlSttHook.get_job

    def get_job_held_until_polled_twice(hook: AimlSttHook, generation_id: str, *args: Any, **kwargs: Any):
        polls[generation_id] += 1
        if polls[generation_id] == 1:
            assert emulator.jobs.hold(generation_id)
        elif polls[generation_id] == 2:
            emulator.jobs.get(generation_id).held = False  # undoes jobs.hold(): it finishes as due
        return get_job(hook, generation_id, *args, **kwargs)

    monkeypatch.setattr(AimlSttHook, "get_job", get_job_held_until_polled_twice)
    fetch_route = "GET /v1/stt/{generation_id}"
    before = emulator.stats()["requests_by_route"].get(fetch_route, 0)

    dag_run = load_dag("example_aimlstt_without_triggerer").test()

    assert dag_run.state == "success", task_states(dag_run)
    assert return_value(dag_run, "print_transcripts") == [
        spoken_text(AUDIO_DIR / "support_call.wav"),
        spoken_text(AUDIO_DIR / "product_note.wav"),
    ]
    fetches = emulator.stats()["requests_by_route"][fetch_route] - before
    assert fetches >= 4, f"each sensor should have polled more than once, saw {fetches} fetches"
    assert len(polls) == 2 and min(polls.values()) >= 2, f"polls by job: {dict(polls)}"


@pytest.fixture(scope="module")
def batch_nightly() -> Iterator[DAG]:
    """The nightly DAG (batches), parsed with retries that wait no time, its batch tasks first
    polling 0.3 s apart (an internal constant, set for this module's tests)."""
    from airflow_provider_aimlstt.triggers import batch as batch_trigger

    with pytest.MonkeyPatch.context() as patch:  # read when the DAG is parsed
        patch.setenv("AIMLSTT_RETRY_DELAY_SECONDS", "0")
        bag = dag_bag(str(DAGS_FOLDER / "example_dags" / "example_aimlstt_nightly.py"))
    assert not bag.import_errors, bag.import_errors
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_trigger, "FIRST_POLL_SECONDS", 0.3)
        yield bag.dags["example_aimlstt_nightly"]


NIGHTLY_GROUP = "transcribe_new_audio"
LISTING, BATCH, SUMMARY, ANNOUNCE = (
    f"{NIGHTLY_GROUP}.{name}"
    for name in ("list_new_audio", "transcribe", "summarize", "announce_transcripts")
)
RUN_AT = "2026-12-07T02:00:00+00:00"
"""A scheduled run's time: it transcribes the day before, 2026/12/06."""
DAY = "2026/12/06"


def _run_at() -> Any:
    import pendulum

    return pendulum.parse(RUN_AT)


def _nightly_conf(input_root: Path, output_root: Path, **overrides: Any) -> dict[str, Any]:
    """Every param of the nightly DAG (``dag.test()`` runs its tasks in this process, where a param
    an earlier run's conf set stays set)."""
    return {
        "input_dir": str(input_root),
        "output_dir": str(output_root),
        "model": "#g1_nova-2-general",
        "chunk_size": 500,
        "max_cost_usd": 50.0,
        "dry_run": False,
        **overrides,
    }


def test_batch_nightly_names_the_day_before_its_data_interval_ends() -> None:
    """The run the schedule makes at 2026-12-07 02:00 UTC lists 2026/12/06; a template of
    ``data_interval_start`` or ``logical_date`` under Airflow 3's default cron timetable would not."""
    import pendulum
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.timetables.trigger import CronTriggerTimetable

    bag = dag_bag(str(DAGS_FOLDER / "example_dags" / "example_aimlstt_nightly.py"))
    dag = bag.dags["example_aimlstt_nightly"]  # parsed with the default schedule, 02:00 UTC
    timetable = dag.timetable  # the scheduler's own, where the Task SDK has timetables of its own:
    if AIRFLOW_V_3_2_PLUS:
        from airflow.serialization.encoders import coerce_to_core_timetable

        timetable = coerce_to_core_timetable(timetable)
    before = DataInterval(
        pendulum.datetime(2026, 12, 5, 2, tz="UTC"), pendulum.datetime(2026, 12, 6, 2, tz="UTC")
    )
    run = timetable.next_dagrun_info(
        last_automated_data_interval=before, restriction=TimeRestriction(None, None, catchup=True)
    )
    assert run is not None and run.run_after == _run_at()
    listing = dag.get_task(LISTING)
    context = {
        "params": {**dag.params.dump(), "input_dir": "s3://calls", "output_dir": "s3://transcripts"},
        "macros": template_macros(),
        "data_interval_start": run.data_interval.start,
        "data_interval_end": run.data_interval.end,
        "logical_date": run.logical_date,
    }

    listing.render_template_fields(context, dag.get_template_env())

    assert listing.input_path == f"s3://calls/{DAY}"
    assert listing.output_path == f"s3://transcripts/{DAY}"
    assert dag.get_task(BATCH).partial_kwargs["output_path"].endswith("strftime('%Y/%m/%d') }}")
    # A cron string alone would have given the run an interval that ends, and starts, at 02:00 on the 7th.
    default = CronTriggerTimetable("0 2 * * *", timezone="UTC").next_dagrun_info(
        last_automated_data_interval=before, restriction=TimeRestriction(None, None, catchup=True)
    )
    assert default is not None and default.data_interval.start.date().isoformat() == "2026-12-07"


def test_batch_nightly_transcribes_only_the_day_before_in_chunks_then_skips_it(
    batch_nightly: DAG, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_root, output_root = tmp_path / "calls", tmp_path / "transcripts"
    shutil.copytree(AUDIO_DIR, input_root / DAY)  # with its stereo/ sub-folder and the text sidecars
    for other_day in ("2026/12/05", "2026/12/07"):  # the day before, and the day just begun
        (input_root / other_day).mkdir(parents=True)
        shutil.copy(AUDIO_DIR / "meeting_note.wav", input_root / other_day / "late_call.wav")
    conf = _nightly_conf(input_root, output_root, chunk_size=3)
    output_dir = output_root / DAY
    samples = mono_samples()
    stereo = AUDIO_DIR / "stereo" / "conversation.wav"  # in a sub-folder: listed, its folder mirrored

    first = dag_test_at(batch_nightly, _run_at(), conf)

    assert first.state == "success", task_states(first)
    assert first.data_interval_end == _run_at()
    states = task_states(first)
    assert sorted(index for task_id, index in states if task_id == BATCH) == [0, 1]  # 5 files, 3 a chunk
    for sample in samples:
        assert (output_dir / f"{sample.stem}.txt").read_text(encoding="utf-8").strip() == spoken_text(sample)
        assert (output_dir / f"{sample.stem}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert (output_dir / "stereo" / f"{stereo.stem}.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    transcripts = [path.relative_to(output_root) for path in output_root.rglob("*.vtt")]
    assert sorted(str(path.parent) for path in transcripts) == [DAY] * 4 + [f"{DAY}/stereo"]  # no 5th, 7th
    totals = return_value(first, SUMMARY)
    assert totals["files"] == totals["transcribed"] == len(samples) + 1 and totals["failed"] == 0
    assert totals["cost_usd"] > 0 and totals["max_cost_usd"] == 50.0
    assert return_value(first, ANNOUNCE) == len(samples) + 1
    assert f"5 new or changed of 5 audio file(s) in {input_root}/{DAY} (0 already transcribed)" in logs()

    second = dag_test_at(batch_nightly, _run_at(), conf)

    assert second.state == "success", task_states(second)
    assert return_value(second, SUMMARY)["files"] == 0
    assert task_states(second)[(BATCH, -1)] == "skipped"


@needs(AIRFLOW_V_3_0_PLUS, "Airflow 3's runs without a logical date (Airflow 2 gives every run one)")
def test_batch_nightly_run_without_a_data_interval_fails_saying_so(
    batch_nightly: DAG, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    creates = emulator.stats()["create_attempts"]

    dag_run = dag_test_at(batch_nightly, None, _nightly_conf(tmp_path / "in", tmp_path / "out"))

    states = task_states(dag_run)
    assert dag_run.state == "failed", states
    assert states[(LISTING, -1)] == "failed" and states[(SUMMARY, -1)] == "failed", states
    text = logs()
    assert "'data_interval_end' is undefined: this run has no data interval (it was triggered" in text
    assert emulator.stats()["create_attempts"] == creates


def test_batch_nightly_names_colliding_files_apart_across_chunks_and_redoes_a_rerecorded_one(
    batch_nightly: DAG, emulator: Any, tmp_path: Path
) -> None:
    from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, manifest_location

    input_root, output_root = tmp_path / "audio", tmp_path / "out"
    input_dir, output_dir = input_root / DAY, output_root / DAY
    (input_dir / "agent1").mkdir(parents=True)
    shutil.copy(AUDIO_DIR / "meeting_note.wav", input_dir / "call.wav")
    (input_dir / "call.mp3").write_bytes(mp3_bytes([64] * 100, 16000))
    shutil.copy(AUDIO_DIR / "weather_report.wav", input_dir / "agent1" / "call.wav")
    conf = _nightly_conf(input_root, output_root, chunk_size=1)

    first = dag_test_at(batch_nightly, _run_at(), conf)

    assert first.state == "success", task_states(first)
    assert len(return_value(first, LISTING)) == 3  # one file a chunk: each named by the listing
    assert return_value(first, SUMMARY)["transcribed"] == 3
    for name in ("call.wav", "call.mp3", "agent1/call"):
        assert (output_dir / f"{name}.json").exists(), name

    (input_dir / "call.mp3").write_bytes(mp3_bytes([64] * 150, 16000))  # re-recorded
    # A run of its own, naming the same day (Airflow 2 keys runs by their logical date: one at the
    # same date would be the first run again, resuming its batches' manifests).
    second = dag_test_at(batch_nightly, _run_at().add(minutes=1), conf)

    assert second.state == "success", task_states(second)
    chunks = return_value(second, LISTING)
    assert len(chunks) == 1 and return_value(second, SUMMARY)["transcribed"] == 1
    location = manifest_location(str(output_dir), None, second.dag_id, second.run_id, BATCH, 0)
    (row,) = Manifest.load(location)
    assert (row.name, row.status) == ("call.mp3", FileStatus.TRANSCRIBED)
    written = Transcript.model_validate_json((output_dir / "call.mp3.json").read_text(encoding="utf-8"))
    assert written.generation_id == row.generation_id


def test_batch_nightly_fails_naming_the_bad_file_and_writes_the_others(
    batch_nightly: DAG, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_root, output_root = tmp_path / "audio", tmp_path / "out"
    input_dir = input_root / DAY
    input_dir.mkdir(parents=True)
    shutil.copy(AUDIO_DIR / "meeting_note.wav", input_dir / "good.wav")
    (input_dir / "empty.wav").write_bytes(b"")

    dag_run = dag_test_at(batch_nightly, _run_at(), _nightly_conf(input_root, output_root))

    assert dag_run.state == "failed", task_states(dag_run)
    assert (output_root / DAY / "good.json").exists()
    text = logs()
    assert re.search(
        r"Not every file was transcribed: 1 of 2 file\(s\) not transcribed: .*empty\.wav: audio_path: "
        r"file is empty",
        text,
    ), text[-3000:]


@pytest.fixture
def to_sql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[DAG, Path]:
    """The SQL example DAG, parsed with retries that wait no time, its batch polling fast; and the
    SQLite file its ``sqlite_default`` connection names."""
    with pytest.MonkeyPatch.context() as patch:  # read when the DAG is parsed
        patch.setenv("AIMLSTT_RETRY_DELAY_SECONDS", "0")
        bag = dag_bag(str(DAGS_FOLDER / "example_dags" / "example_aimlstt_to_sql.py"))
    assert not bag.import_errors, bag.import_errors
    fast_batch_polls(monkeypatch)
    database = tmp_path / "transcripts.db"
    monkeypatch.setenv(
        "AIRFLOW_CONN_SQLITE_DEFAULT", json.dumps({"conn_type": "sqlite", "host": str(database)})
    )
    return bag.dags["example_aimlstt_to_sql"], database


def _table(database: Path) -> dict[str, tuple[Any, ...]]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT source, name, generation_id, duration_seconds, words, cost_usd, text"
            " FROM aimlstt_transcripts"
        ).fetchall()
    by_name = {row[1]: row for row in rows}
    assert len(by_name) == len(rows), f"a recording has several rows: {sorted(row[1] for row in rows)}"
    return by_name


def _only_mono_samples(folder: Path) -> Path:
    """``folder`` holding copies of the mono samples alone (the samples' folder has a stereo
    sub-folder too, which a batch's recursive listing takes)."""
    folder.mkdir()
    for sample in mono_samples():
        shutil.copy(sample, folder / sample.name)
    return folder


def test_to_sql_loads_one_row_per_recording_and_replaces_it_when_loaded_again(
    to_sql: tuple[DAG, Path], emulator: Any, tmp_path: Path
) -> None:
    dag, database = to_sql
    samples = mono_samples()
    input_dir = _only_mono_samples(tmp_path / "audio")

    first = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(tmp_path / "first")})

    assert first.state == "success", task_states(first)
    assert return_value(first, "load_into_sql") == len(samples)
    table = _table(database)
    assert sorted(table) == [sample.stem for sample in samples]  # one row per recording
    for sample in samples:
        source, name, generation_id, seconds, words, cost, text = table[sample.stem]
        transcript = Transcript.model_validate_json((tmp_path / "first" / f"{name}.json").read_text())
        assert source == (input_dir / sample.name).as_uri()
        assert text == transcript.text == spoken_text(sample)
        assert words == transcript.word_count == len(spoken_text(sample).split())
        assert generation_id == transcript.generation_id
        assert seconds == pytest.approx(_wav_seconds(sample), abs=0.05)
        assert cost == float(emulator.jobs.get(generation_id).cost.usd) > 0

    # The same recordings transcribed again (into another folder): their rows are replaced, not added.
    second = dag.test(run_conf={"input_dir": str(input_dir), "output_dir": str(tmp_path / "second")})

    assert second.state == "success", task_states(second)
    again = _table(database)
    assert sorted(again) == sorted(table)
    for name, row in again.items():
        written = Transcript.model_validate_json((tmp_path / "second" / f"{name}.json").read_text())
        assert row[2] == written.generation_id != table[name][2]
        assert row[6] == table[name][6]


def test_downstream_reads_every_transcript_of_the_batches_an_asset_event_names(
    load_dag: LoadDag, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_batch_polls(monkeypatch)
    samples = mono_samples()
    output_dir = tmp_path / "out"
    batch = load_dag("aimlstt_test_batch").test(
        run_conf={"input_dir": str(_only_mono_samples(tmp_path / "audio")), "output_dir": str(output_dir)}
    )
    assert batch.state == "success", task_states(batch)
    event = SimpleNamespace(extra={"manifests": [return_value(batch, "batch")["manifest"]]})  # the nightly's
    read_new_transcripts = load_dag("example_aimlstt_downstream").get_task("read_new_transcripts")

    rows = read_new_transcripts.python_callable(triggering_asset_events={"transcripts": [event]})

    assert [row["txt"] for row in rows] == [
        (output_dir / f"{sample.stem}.txt").as_uri() for sample in samples
    ]
    assert [row["words"] for row in rows] == [len(spoken_text(sample).split()) for sample in samples]
    assert [row["generation_id"] for row in rows] == [
        Transcript.model_validate_json((output_dir / f"{sample.stem}.json").read_text()).generation_id
        for sample in samples
    ]
