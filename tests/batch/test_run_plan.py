"""What a batch plans, in real ``dag.test()`` runs against the emulator: every file gets a name of its
own (suffixes kept where stems collide, sub-folders mirrored, a glob's files named from its fixed
part), a re-recorded file is transcribed again, an unchanged one is skipped and its row points at
its transcripts with their words and cost, and the paths keep the store's connection id."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow
from airflow_provider_aimlstt.transcripts import Transcript
from tests.airflow_compat import return_value
from tests.conftest import AUDIO_DIR
from tests.e2e.support import task_states
from tests.encoded_audio import mp3_bytes, ogg_stream, opus_head, webm_bytes

pytestmark = pytest.mark.usefixtures("airflow_db", "fast_batch")

SAMPLES = {path.stem: path.read_bytes() for path in sorted(AUDIO_DIR.glob("*.wav"))}


def _audio(kind: str, variant: int) -> bytes:
    """Audio of ``kind``: a WAV is one of the speech samples (by ``variant``), any other lasts
    ``variant`` seconds (each its own bytes)."""
    if kind == "wav":
        return list(SAMPLES.values())[variant % len(SAMPLES)]
    seconds = variant
    if kind == "mp3":
        return mp3_bytes([64] * (seconds * 16000 // 576), 16000)
    if kind == "ogg":
        return b"".join(ogg_stream(opus_head(), [312 + 48_000 * seconds], page_bytes=600))
    return webm_bytes(list(range(0, seconds * 1000 + 1, 500)))


def _tree(root: Path, files: dict[str, bytes]) -> dict[str, str]:
    """Write the files; their sha256s by relative path."""
    for relative, data in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    return {relative: hashlib.sha256(data).hexdigest() for relative, data in files.items()}


def _creates(emulator: Any, hashes: dict[str, str]) -> Counter[str]:
    counts = emulator.stats()["creates_by_sha256"]
    return Counter({name: counts.get(digest, 0) for name, digest in hashes.items()})


def _run(dag: Any, input_path: str, output_path: str) -> tuple[dict[str, Any], dict[str, ManifestRow]]:
    """One run of the batch over ``input_path``: its counts and its manifest's rows by name."""
    run = dag.test(run_conf={"input_dir": input_path, "output_dir": output_path})
    assert run.state == "success", task_states(run)
    counts = return_value(run, "batch")
    return counts, {row.name: row for row in Manifest.load(counts["manifest"])}


def _transcript(out: Path, name: str) -> Transcript:
    return Transcript.model_validate_json((out / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("first", "second"), [("call.wav", "call.mp3"), ("voice.ogg", "voice.webm")])
def test_files_whose_names_differ_only_by_their_suffix_are_each_transcribed(
    load_dag: Any, emulator: Any, tmp_path: Path, first: str, second: str
) -> None:
    input_dir, out = tmp_path / "in", tmp_path / "out"
    hashes = _tree(input_dir, {first: _audio(first[-3:], 3), second: _audio(second[-4:].lstrip("."), 4)})
    before = _creates(emulator, hashes)

    counts, rows = _run(load_dag("aimlstt_test_batch"), str(input_dir), str(out))

    assert {k: counts[k] for k in ("files", "transcribed", "skipped", "failed")} == {
        "files": 2, "transcribed": 2, "skipped": 0, "failed": 0,
    }  # fmt: skip
    assert sorted(rows) == sorted([first, second])  # each keeps its suffix: distinct names
    for name, row in rows.items():
        assert row.status is FileStatus.TRANSCRIBED
        assert _transcript(out, name).generation_id == row.generation_id
        assert (out / f"{name}.txt").exists()
    assert rows[first].generation_id != rows[second].generation_id
    assert _creates(emulator, hashes) - before == Counter(dict.fromkeys(hashes, 1))


def test_a_rerecorded_file_is_transcribed_again_and_an_unchanged_one_skipped(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    input_dir, out = tmp_path / "in", tmp_path / "out"
    hashes = _tree(input_dir, {"call.wav": _audio("wav", 0), "other.wav": _audio("wav", 1)})
    dag = load_dag("aimlstt_test_batch")
    _, first = _run(dag, str(input_dir), str(out))
    rerecorded = _audio("wav", 2)  # new audio under the same name
    hashes["call.wav (new)"] = _tree(input_dir, {"call.wav": rerecorded})["call.wav"]
    before = _creates(emulator, hashes)

    counts, second = _run(dag, str(input_dir), str(out))

    assert (counts["transcribed"], counts["skipped"], counts["failed"]) == (1, 1, 0)
    call, other = second["call"], second["other"]
    assert call.status is FileStatus.TRANSCRIBED and call.generation_id != first["call"].generation_id
    assert call.fingerprint != first["call"].fingerprint
    assert _transcript(out, "call").generation_id == call.generation_id  # overwritten
    assert (
        other.status is FileStatus.SKIPPED and other.error == "unchanged since its transcripts were written"
    )
    created = _creates(emulator, hashes) - before
    assert created == Counter({"call.wav (new)": 1})  # the new recording once; nothing else again
    assert sorted(path.name for path in (out / "_receipts").iterdir()) == sorted(
        [f"call@{call.fingerprint}.json", f"other@{other.fingerprint}.json"]
    )  # the old recording's receipt is gone


def test_sub_folders_are_mirrored_in_the_output(load_dag: Any, emulator: Any, tmp_path: Path) -> None:
    day, out = tmp_path / "06", tmp_path / "out"
    _tree(
        day,
        {
            "agent1/call.wav": _audio("wav", 0),
            "agent2/call.wav": _audio("wav", 1),
            "top.wav": _audio("wav", 2),
        },
    )

    counts, rows = _run(load_dag("aimlstt_test_batch"), str(day), str(out))

    assert counts["transcribed"] == 3
    assert sorted(rows) == ["agent1/call", "agent2/call", "top"]
    assert rows["agent1/call"].source == f"{day.as_uri()}/agent1/call.wav"
    assert rows["agent1/call"].paths == {
        "txt": f"{out.as_uri()}/agent1/call.txt",
        "json": f"{out.as_uri()}/agent1/call.json",
    }
    for name, row in rows.items():
        assert _transcript(out, name).generation_id == row.generation_id
    assert sorted(str(path.relative_to(out)) for path in out.rglob("*.txt")) == [
        "agent1/call.txt", "agent2/call.txt", "top.txt",
    ]  # fmt: skip


def test_a_glob_pattern_takes_its_matches_named_from_its_fixed_part(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    calls, out = tmp_path / "calls", tmp_path / "out"
    _tree(
        calls,
        {
            "2026/12/06/agent1/a.wav": _audio("wav", 0),
            "2026/12/06/b.wav": _audio("wav", 1),
            "2026/12/06/agent1/c.mp3": _audio("mp3", 5),  # not matched
            "2026/12/07/d.wav": _audio("wav", 2),  # another day
        },
    )

    counts, rows = _run(load_dag("aimlstt_test_batch"), f"{calls}/2026/12/06/**/*.wav", str(out))

    assert (counts["files"], counts["transcribed"]) == (2, 2)
    assert sorted(rows) == ["agent1/a", "b"]
    assert (out / "agent1" / "a.txt").exists() and (out / "b.txt").exists()


def test_a_rerun_skips_every_file_pointing_at_its_transcripts_with_their_words_and_cost(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    input_dir, out = tmp_path / "in", tmp_path / "out"
    hashes = _tree(input_dir, {"a.wav": _audio("wav", 0), "sub/b.mp3": _audio("mp3", 6)})
    dag = load_dag("aimlstt_test_batch")
    _, first = _run(dag, str(input_dir), str(out))
    before = _creates(emulator, hashes)

    counts, second = _run(dag, str(input_dir), str(out))

    assert (counts["files"], counts["skipped"], counts["transcribed"]) == (2, 2, 0)
    assert _creates(emulator, hashes) == before
    for name, row in second.items():
        done = first[name]
        assert row.status is FileStatus.SKIPPED
        assert row.paths == done.paths and all(
            Path(uri.removeprefix("file://")).exists() for uri in row.paths.values()
        )
        assert (row.generation_id, row.audio_seconds, row.words, row.cost_usd, row.credits) == (
            done.generation_id, done.audio_seconds, done.words, done.cost_usd, done.credits,
        )  # fmt: skip
        assert row.words and row.cost_usd


def test_a_url_without_a_fingerprint_is_skipped_by_its_name(
    load_dag: Any, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    dag = load_dag("aimlstt_test_batch")
    task = dag.get_task("batch")
    monkeypatch.setattr(task, "input_path", None)
    monkeypatch.setattr(task, "audio_paths", ["https://calls.example.invalid/audio/meeting_note.wav"])

    _, first = _run(dag, "unused", str(out))
    counts, second = _run(dag, "unused", str(out))

    assert first["meeting_note"].status is FileStatus.TRANSCRIBED
    assert first["meeting_note"].fingerprint is None
    skipped = second["meeting_note"]
    assert counts["skipped"] == 1 and skipped.status is FileStatus.SKIPPED
    assert "judged by its name" in str(skipped.error)
    assert skipped.words == first["meeting_note"].words and skipped.words


S3_CONN_ID = "aimlstt_names_s3"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An S3 store (moto's server, in this process) reached through the connection ``aimlstt_names_s3``
    only: no credentials or endpoint anywhere else."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        message = "moto's server mode is not installed: pip install -e '.[distributed]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    extra = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    connection = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
    monkeypatch.setenv(f"AIRFLOW_CONN_{S3_CONN_ID.upper()}", json.dumps(connection))
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    try:
        yield client
    finally:
        server.stop()


def test_paths_on_s3_keep_the_connection_id_and_a_rerun_reads_its_receipts_there(
    load_dag: Any, emulator: Any, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    for bucket in ("audio", "transcripts"):
        s3.create_bucket(Bucket=bucket)
    for key, data in {"06/agent1/call.wav": _audio("wav", 0), "06/agent1/call.mp3": _audio("mp3", 7)}.items():
        s3.put_object(Bucket="audio", Key=key, Body=data)
    dag = load_dag("aimlstt_test_batch")
    input_path, output_path = f"s3://{S3_CONN_ID}@audio/06", f"s3://{S3_CONN_ID}@transcripts/out"

    _, first = _run(dag, input_path, output_path)
    calls: Counter[str] = Counter()
    counting = [True]
    original = s3fs.S3FileSystem._call_s3

    async def counted(self: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        calls[method] += counting[0]
        return await original(self, method, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", counted)
    run = dag.test(run_conf={"input_dir": input_path, "output_dir": output_path})
    counting[0] = False
    assert run.state == "success", task_states(run)
    counts = return_value(run, "batch")
    second = {row.name: row for row in Manifest.load(counts["manifest"])}

    assert sorted(first) == ["agent1/call.mp3", "agent1/call.wav"]
    for name, row in first.items():
        assert row.status is FileStatus.TRANSCRIBED
        assert row.source == f"s3://{S3_CONN_ID}@audio/06/{name}"
        assert row.paths == {
            fmt: f"s3://{S3_CONN_ID}@transcripts/out/{name}.{fmt}" for fmt in ("txt", "json")
        }
        written = Transcript.model_validate_json(ObjectStoragePath(row.paths["json"]).read_text())
        assert written.generation_id == row.generation_id  # the path alone opens it, credentials and all
    assert counts["skipped"] == 2
    for name, row in second.items():
        assert row.paths == first[name].paths and row.words == first[name].words and row.cost_usd
    # The re-run: one listing of each folder and one read of each skipped file's receipt; the rest
    # is the manifest's (looked for, not found, written) and the batch's report (written).
    assert calls == Counter(list_objects_v2=2 + 1, get_object=2, head_object=1, put_object=1 + 1), calls


def test_a_name_an_earlier_try_gave_another_file_fails_the_file_naming_both(tmp_path: Path) -> None:
    import logging

    from airflow_provider_aimlstt.batch.inputs import BatchInputs
    from airflow_provider_aimlstt.batch.run import BatchRun, BatchSettings
    from airflow_provider_aimlstt.outputs.settings import OutputSettings

    _tree(tmp_path / "in", {"a/call.wav": _audio("wav", 0), "b/call.wav": _audio("wav", 1)})
    earlier, later = str(tmp_path / "in/a/call.wav"), str(tmp_path / "in/b/call.wav")
    settings = BatchSettings(
        inputs=BatchInputs(audio_paths=(later,)),  # the input changed between two tries
        model="#g1_nova-2-general",
        options={},
        allow_unknown_model=False,
        output=OutputSettings(str(tmp_path / "out"), ("txt", "json")),
        aimlstt_conn_id="aimlstt_default",
        max_in_flight=4,
        max_failed_files=0,
        timeout_seconds=60.0,
        task_instance=("dag", "run", "batch", -1),
    )
    tried = Manifest(settings.manifest_location, [ManifestRow(source=earlier, name="call")])
    run = BatchRun(settings, tried, hooks=None, log=logging.getLogger("test"))  # type: ignore[arg-type]

    run.plan()  # nothing is submitted here: no hook is needed

    row = Manifest.load(settings.manifest_location).rows[later]
    assert row.status is FileStatus.FAILED and not row.retryable
    assert row.error == f"its output name 'call' is {earlier}'s in this task's manifest"
