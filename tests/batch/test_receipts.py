"""The output folder in one listing: which names have every format, and the receipts that say what
audio each was made from; the receipts of skipped files fill their rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_aimlstt.batch.manifest import FileStatus, Manifest, ManifestRow
from airflow_provider_aimlstt.batch.receipts import (
    Receipt,
    receipt_name,
    write_receipt,
    written_transcripts,
)
from airflow_provider_aimlstt.outputs.storage import resolve_folder

FORMATS = ("txt", "json")


def _transcripts(out: Path, name: str, formats: tuple[str, ...] = FORMATS) -> None:
    for fmt in formats:
        path = out / f"{name}.{fmt}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(fmt)


def _receipt(out: Path, name: str, fingerprint: str | None, **fields: Any) -> None:
    receipt = Receipt(source=f"/in/{name}", fingerprint=fingerprint, **fields)
    write_receipt(resolve_folder(str(out), None), name, receipt)


def test_a_name_is_unchanged_only_with_every_format_and_a_receipt_of_its_content(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _transcripts(out, "done")
    _receipt(out, "done", "f1")
    _transcripts(out, "agent1/call.wav")
    _receipt(out, "agent1/call.wav", "f2")
    _transcripts(out, "half", ("txt",))
    _receipt(out, "half", "f3")
    _transcripts(out, "no_receipt")
    _transcripts(out, "url")
    _transcripts(out, "odd@name[1]")
    _receipt(out, "odd@name[1]", "f4")

    written = written_transcripts(str(out), FORMATS)

    assert written.unchanged("done", "f1")
    assert not written.unchanged("done", "f1-rerecorded")  # changed since: transcribe again
    assert written.unchanged("agent1/call.wav", "f2")
    assert not written.unchanged("half", "f3")  # a format is missing
    assert not written.unchanged("no_receipt", "f5")  # written, but from what audio is not known
    assert written.unchanged("url", None)  # no fingerprint known: the name decides
    assert not written.unchanged("never", None)
    assert written.unchanged("odd@name[1]", "f4")
    assert written.paths_of("agent1/call.wav") == {
        "txt": f"{out.as_uri()}/agent1/call.wav.txt",
        "json": f"{out.as_uri()}/agent1/call.wav.json",
    }


def test_receipts_are_removed_by_name_never_as_a_pattern(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ("a[bc]", "ab", "keep"):
        _transcripts(out, name)
        _receipt(out, name, "same")
    _receipt(out, "a[bc]", "older")
    written = written_transcripts(str(out), FORMATS)

    assert written.remove_receipts(["a[bc]"]) == 2

    left = sorted(path.name for path in (out / "_receipts").iterdir())
    assert left == ["ab@same.json", "keep@same.json"]  # "a[bc]" would have matched "ab" as a pattern
    assert sorted(path.name for path in out.iterdir() if path.is_file()) == sorted(
        f"{name}.{fmt}" for name in ("a[bc]", "ab", "keep") for fmt in FORMATS
    )


def test_skipped_rows_get_their_paths_and_their_receipts_figures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _transcripts(out, "agent1/call")
    _receipt(
        out,
        "agent1/call",
        "f1",
        generation_id="gen-1",
        audio_seconds=12.5,
        words=31,
        cost_usd=0.0021,
        credits=42,
    )
    _transcripts(out, "lost")
    _receipt(out, "lost", "f2")
    (out / receipt_name("lost", "f2")).write_text("not json")
    skipped = FileStatus.SKIPPED
    rows = [
        ManifestRow(source="/in/agent1/call.mp3", name="agent1/call", fingerprint="f1", status=skipped),
        ManifestRow(source="/in/lost.wav", name="lost", fingerprint="f2", status=skipped),
    ]

    unread = written_transcripts(str(out), FORMATS).fill_skipped(rows)

    assert unread == 1
    call, lost = rows
    assert (call.generation_id, call.audio_seconds, call.words, call.cost_usd, call.credits) == (
        "gen-1", 12.5, 31, 0.0021, 42,
    )  # fmt: skip
    assert call.paths == {
        "txt": f"{out.as_uri()}/agent1/call.txt",
        "json": f"{out.as_uri()}/agent1/call.json",
    }
    assert lost.paths and lost.words is None  # its transcripts are there; its figures are not known


def test_a_manifest_keeps_each_rows_fingerprint_and_reads_rows_without_one(tmp_path: Path) -> None:
    location = (tmp_path / "m.jsonl").as_uri()
    Manifest(location, [ManifestRow(source="/in/a.wav", name="a", fingerprint="0123abcd")]).save()
    with (tmp_path / "m.jsonl").open("a") as manifest:
        manifest.write('{"source": "/in/b.wav", "name": "b", "status": "transcribed"}\n')

    rows = list(Manifest.load(location))

    assert [(row.name, row.fingerprint) for row in rows] == [("a", "0123abcd"), ("b", None)]
