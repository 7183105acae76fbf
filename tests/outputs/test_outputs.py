"""Transcript files in object storage: memory://, file:// and plain paths, from real emulator results.

Contents are compared with :func:`render`'s output, write order and failures are observed on the
real fsspec filesystems (spies and injected faults), and memory:// prefixes are unique per test
because the memory store is shared by the whole process.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import ObjectStoragePath
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from airflow_provider_aimlstt.exceptions import AimlSttRenderError, AimlSttValidationError
from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.outputs import storage as output_storage
from airflow_provider_aimlstt.outputs import transcript_summary, transcripts_exist, write_transcript_files
from airflow_provider_aimlstt.tracing import Charge
from airflow_provider_aimlstt.transcripts import FORMATS, Transcript, Word, render
from tests.conftest import connection_json
from tests.helpers import wait_until_finished
from tests.transcripts.conftest import JOBS, Job

SUFFIX = {"txt": ".txt", "json": ".json", "srt": ".srt", "vtt": ".vtt"}
MEMORY = MemoryFileSystem()


@pytest.fixture(scope="module")
def transcripts(_emulator_server: Any) -> dict[str, Transcript]:
    """A diarized Deepgram transcript (timed, two speakers) and an OpenAI one (text only)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(_emulator_server.base_url))
        hook = AimlSttHook()
        submitted = {
            name: hook.submit(TranscriptionRequest.build(**JOBS[name])) for name in ("diarized", "openai")
        }
        done = {}
        for name, generation_id in submitted.items():
            job = wait_until_finished(hook, generation_id)
            assert job.is_completed and job.result is not None, job
            done[name] = Job(JOBS[name]["model"], generation_id, job.result).transcript()
    assert done["diarized"].has_word_timings and len(done["diarized"].speakers) >= 2
    assert not done["openai"].has_word_timings and done["openai"].text
    return done


@pytest.fixture
def diarized(transcripts: dict[str, Transcript]) -> Transcript:
    return transcripts["diarized"]


@pytest.fixture
def openai(transcripts: dict[str, Transcript]) -> Transcript:
    return transcripts["openai"]


@pytest.fixture
def memory_dir() -> Iterator[str]:
    """A memory:// folder of this test alone, removed afterwards."""
    prefix = f"/aimlstt-outputs-{uuid.uuid4().hex}"
    yield f"memory:/{prefix}"
    for key in [key for key in MEMORY.store if key.startswith(prefix + "/")]:
        del MEMORY.store[key]


def memory_files(folder: str) -> dict[str, bytes]:
    """Every file under a memory:// folder, by name relative to it (temporaries included)."""
    prefix = folder.removeprefix("memory:/") + "/"
    return {
        key[len(prefix) :]: MEMORY.store[key].getvalue() for key in MEMORY.store if key.startswith(prefix)
    }


def local_files(folder: Path) -> dict[str, bytes]:
    """Every file in a local folder, hidden ones included."""
    return {path.name: path.read_bytes() for path in folder.iterdir()} if folder.exists() else {}


def expected(
    transcript: Transcript, formats: tuple[str, ...] = FORMATS, stem: str = "call"
) -> dict[str, bytes]:
    return {f"{stem}{SUFFIX[fmt]}": render(transcript, fmt).encode("utf-8") for fmt in formats}


def test_all_four_formats_to_memory_are_the_renderings_and_json_reads_back(diarized, memory_dir) -> None:
    paths = write_transcript_files(diarized, memory_dir, "call", ["txt", "json", "srt", "vtt"])
    assert paths == {fmt: f"{memory_dir}/call{SUFFIX[fmt]}" for fmt in FORMATS}
    assert memory_files(memory_dir) == expected(diarized)
    assert Transcript.model_validate_json(memory_files(memory_dir)["call.json"]) == diarized
    assert "Speaker 0" in memory_files(memory_dir)["call.srt"].decode()
    assert transcripts_exist(memory_dir, "call", FORMATS)


@pytest.mark.parametrize("form", ["file_uri", "plain_path", "relative_path", "object_storage_path"])
def test_all_four_formats_to_a_local_folder_it_creates(diarized, tmp_path, monkeypatch, form) -> None:
    folder = tmp_path / "lake" / "day-1"
    monkeypatch.chdir(tmp_path)
    directory: str | ObjectStoragePath = {
        "file_uri": f"file://{folder}",
        "plain_path": str(folder),
        "relative_path": "lake/day-1",
        "object_storage_path": ObjectStoragePath(f"file://{folder}"),
    }[form]
    paths = write_transcript_files(diarized, directory, "call", [".SRT", "Txt", "vtt", "JSON"])
    assert list(paths) == ["srt", "txt", "vtt", "json"]
    assert paths == {fmt: f"file://{folder}/call{SUFFIX[fmt]}" for fmt in FORMATS}
    assert local_files(folder) == expected(diarized)  # no temporary left beside them
    assert b"\r" not in b"".join(local_files(folder).values())
    assert Transcript.model_validate_json((folder / "call.json").read_text(encoding="utf-8")) == diarized
    assert transcripts_exist(directory, "call", FORMATS)


def test_a_rerun_overwrites_with_the_new_content(diarized, openai, tmp_path) -> None:
    write_transcript_files(openai, tmp_path, "call", ["txt", "json"])
    write_transcript_files(diarized, tmp_path, "call", ["txt", "json"])
    assert local_files(tmp_path) == expected(diarized, ("txt", "json"))


def test_srt_of_a_text_only_transcript_writes_nothing_and_keeps_the_earlier_file(openai, tmp_path) -> None:
    (tmp_path / "call.txt").write_bytes(b"earlier good file\n")
    with pytest.raises(AimlSttRenderError, match="no word timings"):
        write_transcript_files(openai, tmp_path / "new", "call", ["txt", "json", "srt"])
    assert not (tmp_path / "new").exists()  # not even the folder
    with pytest.raises(AimlSttRenderError):
        write_transcript_files(openai, tmp_path, "call", ["txt", "json", "srt"])
    assert local_files(tmp_path) == {"call.txt": b"earlier good file\n"}


def test_srt_of_a_text_only_transcript_writes_nothing_to_memory(openai, memory_dir) -> None:
    with pytest.raises(AimlSttRenderError):
        write_transcript_files(openai, memory_dir, "call", ["json", "vtt"])
    assert memory_files(memory_dir) == {}
    assert write_transcript_files(openai, memory_dir, "call", ["txt", "json"]) == {
        "txt": f"{memory_dir}/call.txt",
        "json": f"{memory_dir}/call.json",
    }
    assert memory_files(memory_dir) == expected(openai, ("txt", "json"))


def fail_on_call(
    monkeypatch: pytest.MonkeyPatch, cls: type, method: str, number: int, partial: bool
) -> list[str]:
    """Make the ``number``-th call of ``cls.method(path, data)`` fail, after writing half the data if
    ``partial``; the other calls go through. Returns the paths each call was given."""
    original = getattr(cls, method)
    calls: list[str] = []

    def faulty(self: Any, path: str, data: bytes, *args: Any, **kwargs: Any) -> Any:
        calls.append(str(path))
        if len(calls) == number:
            if partial:
                original(self, path, data[: len(data) // 2], *args, **kwargs)
            raise OSError("injected: no space left on device")
        return original(self, path, data, *args, **kwargs)

    monkeypatch.setattr(cls, method, faulty)
    return calls


def test_a_failed_local_write_leaves_no_partial_file_no_temporary_and_no_marker(
    diarized, tmp_path, monkeypatch
) -> None:
    (tmp_path / "call.vtt").write_bytes(b"WEBVTT\n\nearlier run\n")
    calls = fail_on_call(monkeypatch, LocalFileSystem, "pipe_file", number=2, partial=True)
    with pytest.raises(OSError, match="injected"):
        write_transcript_files(diarized, tmp_path, "call", ["json", "srt", "vtt"])
    assert [Path(path).name.split(".")[1:3] for path in calls] == [["call", "srt"], ["call", "vtt"]]
    assert all(Path(path).name.startswith(".call.") and path.endswith(".tmp") for path in calls)
    # srt is complete, the earlier vtt untouched, no json (the marker), no temporary.
    assert local_files(tmp_path) == {
        "call.srt": render(diarized, "srt").encode(),
        "call.vtt": b"WEBVTT\n\nearlier run\n",
    }
    assert not transcripts_exist(tmp_path, "call", ["json", "srt", "vtt"])
    monkeypatch.undo()
    write_transcript_files(diarized, tmp_path, "call", ["json", "srt", "vtt"])
    assert local_files(tmp_path) == expected(diarized, ("json", "srt", "vtt"))


def test_a_failed_rename_removes_the_temporary(diarized, tmp_path, monkeypatch) -> None:
    def no_rename(source: str, target: str) -> None:
        raise PermissionError("injected: rename refused")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(PermissionError, match="injected"):
        write_transcript_files(diarized, tmp_path, "call", ["txt"])
    assert local_files(tmp_path) == {}


def test_a_failed_memory_write_leaves_nothing_of_that_file_and_no_marker(
    diarized, memory_dir, monkeypatch
) -> None:
    fail_on_call(monkeypatch, MemoryFileSystem, "pipe_file", number=2, partial=False)
    with pytest.raises(OSError, match="injected"):
        write_transcript_files(diarized, memory_dir, "call", ["json", "txt", "srt"])
    assert memory_files(memory_dir) == expected(diarized, ("txt",))


def test_stores_without_whole_object_writes_use_a_temporary_and_the_store_s_move(
    diarized, memory_dir, monkeypatch
) -> None:
    monkeypatch.setattr(output_storage, "WHOLE_OBJECT_PROTOCOLS", frozenset())
    moves: list[tuple[str, str]] = []
    original_mv = MemoryFileSystem.mv

    def spy_mv(self: Any, source: str, target: str, *args: Any, **kwargs: Any) -> Any:
        moves.append((source.rsplit("/", 1)[1], target.rsplit("/", 1)[1]))
        return original_mv(self, source, target, *args, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "mv", spy_mv)
    write_transcript_files(diarized, memory_dir, "call", ["json", "vtt"])
    assert [target for _, target in moves] == ["call.vtt", "call.json"]
    assert all(source.startswith(f".{target}.") and source.endswith(".tmp") for source, target in moves)
    assert memory_files(memory_dir) == expected(diarized, ("json", "vtt"))

    fail_on_call(monkeypatch, MemoryFileSystem, "pipe_file", number=1, partial=True)
    with pytest.raises(OSError, match="injected"):
        write_transcript_files(diarized, memory_dir, "other", ["txt"])
    assert memory_files(memory_dir) == expected(diarized, ("json", "vtt"))


@pytest.mark.parametrize(
    ("formats", "order"),
    [
        (["json", "srt", "txt", "vtt"], ["srt", "txt", "vtt", "json"]),
        (["vtt", "JSON", "txt"], ["vtt", "txt", "json"]),
        (["vtt", "txt"], ["vtt", "txt"]),
    ],
)
def test_json_is_written_last_else_the_last_format_asked(
    diarized, tmp_path, memory_dir, monkeypatch, formats, order
) -> None:
    renamed: list[str] = []
    real_replace = os.replace

    def spy_replace(source: str, target: str) -> None:
        renamed.append(Path(target).suffix.lstrip("."))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", spy_replace)
    put = fail_on_call(monkeypatch, MemoryFileSystem, "pipe_file", number=0, partial=False)
    write_transcript_files(diarized, tmp_path, "call", formats)
    write_transcript_files(diarized, memory_dir, "call", formats)
    assert renamed == order
    assert [path.rsplit(".", 1)[1] for path in put] == order


def test_transcripts_exist_only_when_every_asked_format_is_there(diarized, memory_dir, tmp_path) -> None:
    for folder in (memory_dir, str(tmp_path)):
        assert not transcripts_exist(folder, "call", ["json"])
        write_transcript_files(diarized, folder, "call", ["txt", "json"])
        assert transcripts_exist(folder, "call", ["json"])
        assert transcripts_exist(folder, "call", [".TXT", "json"])
        assert not transcripts_exist(folder, "call", ["txt", "json", "srt"])
        assert not transcripts_exist(folder, "other", ["txt"])
    (tmp_path / "dir.json").mkdir()
    assert not transcripts_exist(tmp_path, "dir", ["json"])
    assert not transcripts_exist(tmp_path / "missing", "call", ["json"])


def _folder_as_file(tmp_path: Path) -> str:
    (tmp_path / "a-file").write_text("x")
    return str(tmp_path / "a-file")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"formats": []}, "formats: "),
        ({"formats": "srt"}, "formats: "),
        ({"formats": None}, "formats: "),
        ({"formats": ["txt", "pdf"]}, "formats: unknown format 'pdf'"),
        ({"formats": ["srt", ".SRT"]}, "formats: 'srt' is asked for more than once"),
        ({"output_name": ""}, "output_name: "),
        ({"output_name": "   "}, "output_name: "),
        ({"output_name": "a/b"}, "output_name: "),
        ({"output_name": ".."}, "output_name: "),
        ({"output_name": None}, "output_name: "),
        ({"output_path": ""}, "output_path: "),
        ({"output_path": 42}, "output_path: "),
        ({"output_path": "nosuchscheme://bucket/x"}, "output_path: "),
        ({"output_path": "memory://"}, "output_path: "),
        ({"output_path": _folder_as_file}, "output_path: "),
        (
            {"output_path": ObjectStoragePath("s3://bucket/x", conn_id="lake_a"), "output_conn_id": "lake_b"},
            "output_path: ",
        ),
    ],
)
def test_bad_arguments_name_the_field_and_write_nothing(
    openai, tmp_path, arguments: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {"output_path": str(tmp_path / "out"), "output_name": "call", "formats": ["txt"]}
    values.update(arguments)
    if callable(values["output_path"]):
        values["output_path"] = values["output_path"](tmp_path)
    before = local_files(tmp_path)
    conn = {"output_conn_id": values.pop("output_conn_id")} if "output_conn_id" in values else {}
    with pytest.raises(AimlSttValidationError) as caught:
        write_transcript_files(
            openai, values["output_path"], values["output_name"], values["formats"], **conn
        )
    assert str(caught.value).startswith(field), caught.value
    with pytest.raises(AimlSttValidationError, match=f"^{field}"):
        transcripts_exist(values["output_path"], values["output_name"], values["formats"], **conn)
    assert local_files(tmp_path) == before


def test_the_summary_is_small_serializable_and_without_the_text(diarized, openai, memory_dir) -> None:
    paths = write_transcript_files(diarized, memory_dir, "call", FORMATS)
    summary = transcript_summary(diarized, paths)
    assert json.loads(json.dumps(summary)) == summary
    assert summary == {
        "generation_id": diarized.generation_id,
        "model": "nova-3",
        "family": "deepgram",
        "language": diarized.language,
        "duration_seconds": diarized.duration_seconds,
        "word_count": len(diarized.words),
        "has_word_timings": True,
        "speaker_count": len(diarized.speakers),
        "channel_count": 1,
        "cost_usd": None,
        "credits_used": None,
        "client_request_id": None,
        "paths": paths,
    }
    assert diarized.duration_seconds and summary["speaker_count"] >= 2
    charged = diarized.model_copy(update={"cost": Charge(credits=2480, usd=Decimal("0.00124"))})
    assert transcript_summary(charged, paths)["cost_usd"] == 0.00124
    assert transcript_summary(charged, paths)["credits_used"] == 2480
    text_only = transcript_summary(openai, {"txt": "memory://x/call.txt"})
    assert text_only["has_word_timings"] is False and text_only["word_count"] == len(openai.text.split())
    assert text_only["speaker_count"] is None and text_only["channel_count"] == 1  # no labels, mono
    assert openai.text not in json.dumps(text_only)


def test_the_summary_of_a_long_transcript_stays_under_a_kilobyte(diarized, tmp_path) -> None:
    long_words = [
        Word(text=word.text, start=word.start + 10 * round_, end=word.end + 10 * round_, speaker=word.speaker)
        for round_ in range(2000)
        for word in diarized.words
        if word.start is not None and word.end is not None
    ]
    long = diarized.model_copy(
        update={"words": tuple(long_words), "text": " ".join(w.text for w in long_words)}
    )
    paths = {fmt: f"s3://transcripts-lake/stt/2024/06/01/weekly-call-0042{SUFFIX[fmt]}" for fmt in FORMATS}
    encoded = json.dumps(transcript_summary(long, paths))
    assert len(long.text) > 100_000 and len(encoded) < 1024, len(encoded)
    assert not {"text", "words", "utterances", "raw"} & set(json.loads(encoded))
