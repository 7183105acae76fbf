"""A batch's inputs: one listing of a folder (recursively) or a glob pattern, the names decided once
for the whole listing, the fingerprints from the listing's details, and the chunk lists that carry
both to the batch tasks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from airflow_provider_aimlstt.batch.inputs import (
    MISSING,
    AudioFile,
    content_fingerprint,
    files_of_paths,
    list_audio,
    output_names,
    read_audio_list,
    write_audio_lists,
)
from airflow_provider_aimlstt.exceptions import AimlSttValidationError

SUFFIXES = (".wav", ".mp3", ".ogg", ".webm")


@pytest.mark.parametrize(
    ("paths", "names"),
    [
        (["a.wav", "b.mp3"], ["a", "b"]),
        (["call.wav", "call.mp3", "other.wav"], ["call.wav", "call.mp3", "other"]),
        (["voice.ogg", "voice.webm"], ["voice.ogg", "voice.webm"]),
        (["agent1/call.mp3", "agent2/call.mp3"], ["agent1/call", "agent2/call"]),
        (
            ["agent1/call.mp3", "agent1/call.wav", "agent2/call.wav"],
            ["agent1/call.mp3", "agent1/call.wav", "agent2/call"],
        ),
        (["Call.wav", "call.mp3"], ["Call.wav", "call.mp3"]),  # one file on a case-insensitive store
        (["call.final.wav"], ["call.final"]),
        (["notes"], ["notes"]),
        # a file named like another's kept suffix: the later one gets ~2, the natural "call.wav~2" stays
        (
            ["call.wav", "call.mp3", "call.wav.mp3", "call.wav~2.ogg"],
            ["call.wav", "call.mp3", "call.wav~3", "call.wav~2"],
        ),
        (["call.wav", "call.wav"], ["call.wav", "call.wav~2"]),
        (["back\\slash.wav"], ["back_slash"]),
    ],
)  # fmt: skip
def test_output_names_drop_the_suffix_keep_folders_and_never_repeat(
    paths: list[str], names: list[str]
) -> None:
    chosen = output_names(paths)
    assert chosen == names
    assert len({name.casefold() for name in chosen}) == len(chosen)


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_a_folder_is_listed_with_its_sub_folders_named_relative_to_it(tmp_path: Path) -> None:
    _tree(
        tmp_path / "06",
        {
            "agent1/call.mp3": b"1",
            "agent2/call.mp3": b"22",
            "agent2/call.wav": b"333",
            "top.WAV": b"4444",
            "notes.txt": b"not audio",
            "agent1/deeper/x.ogg": b"55555",
        },
    )

    files = list_audio(str(tmp_path / "06"), SUFFIXES)

    root = (tmp_path / "06").as_uri()
    assert [(file.source, file.name) for file in files] == [
        (f"{root}/agent1/call.mp3", "agent1/call"),
        (f"{root}/agent1/deeper/x.ogg", "agent1/deeper/x"),
        (f"{root}/agent2/call.mp3", "agent2/call.mp3"),
        (f"{root}/agent2/call.wav", "agent2/call.wav"),
        (f"{root}/top.WAV", "top"),
    ]
    assert all(file.fingerprint for file in files)
    assert len({file.fingerprint for file in files}) == len(files)


def test_a_glob_pattern_is_named_from_its_fixed_part(tmp_path: Path) -> None:
    _tree(
        tmp_path / "calls",
        {
            "2026/12/06/agent1/a.mp3": b"1",
            "2026/12/06/agent2/b.mp3": b"2",
            "2026/12/06/c.mp3": b"3",
            "2026/12/06/agent1/d.wav": b"4",  # not matched
            "2026/12/07/e.mp3": b"5",  # outside the pattern
        },
    )

    files = list_audio(f"{(tmp_path / 'calls').as_uri()}/2026/12/06/**/*.mp3", SUFFIXES)

    root = (tmp_path / "calls" / "2026" / "12" / "06").as_uri()
    assert [(file.source, file.name) for file in files] == [
        (f"{root}/agent1/a.mp3", "agent1/a"),
        (f"{root}/agent2/b.mp3", "agent2/b"),
        (f"{root}/c.mp3", "c"),
    ]


def test_a_pattern_takes_what_it_matches_whatever_its_suffix(tmp_path: Path) -> None:
    _tree(tmp_path / "in", {"a.amr": b"1", "b.wav": b"2"})
    files = list_audio(f"{tmp_path / 'in'}/*.amr", SUFFIXES)
    assert [file.name for file in files] == ["a"]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing", "does not exist"),
        ("missing/**/*.wav", "does not exist"),
        ("in/**.wav", r"\*\*"),
        ("in/a.wav", "is a file"),
    ],
)
def test_a_bad_input_path_is_refused_naming_it(tmp_path: Path, where: str, message: str) -> None:
    _tree(tmp_path / "in", {"a.wav": b"1"})
    with pytest.raises(AimlSttValidationError, match=f"input_path: .*{message}"):
        list_audio(str(tmp_path / where), SUFFIXES)


def test_a_pattern_needs_a_fixed_bucket() -> None:
    with pytest.raises(AimlSttValidationError, match=r"input_path: .*fixed bucket or folder"):
        list_audio("memory://*/x.wav", SUFFIXES)


def test_an_empty_folder_has_no_files(tmp_path: Path) -> None:
    assert list_audio(str(tmp_path), SUFFIXES) == []


def test_the_fingerprint_changes_with_the_content_and_only_with_it(tmp_path: Path) -> None:
    audio = tmp_path / "in" / "call.wav"
    _tree(tmp_path / "in", {"call.wav": b"first take"})
    first = list_audio(str(tmp_path / "in"), SUFFIXES)[0].fingerprint
    assert list_audio(str(tmp_path / "in"), SUFFIXES)[0].fingerprint == first  # listed again: the same

    audio.write_bytes(b"second take, a new recording")
    second = list_audio(str(tmp_path / "in"), SUFFIXES)[0].fingerprint
    audio.write_bytes(b"third take, same size as #2")
    os.utime(audio, ns=(audio.stat().st_atime_ns, audio.stat().st_mtime_ns + 1_000_000))
    third = list_audio(str(tmp_path / "in"), SUFFIXES)[0].fingerprint

    assert len({first, second, third}) == 3


def test_a_fingerprint_comes_from_the_size_and_the_most_telling_detail() -> None:
    s3 = {"size": 10, "ETag": '"abc"', "LastModified": "2026-12-06"}
    assert content_fingerprint(s3) == content_fingerprint({**s3, "LastModified": "2026-12-07"})  # ETag first
    assert content_fingerprint(s3) != content_fingerprint({**s3, "ETag": '"abd"'})
    assert content_fingerprint(s3) != content_fingerprint({**s3, "size": 11})
    assert content_fingerprint({"size": 10, "mtime": 1.5}) != content_fingerprint({"size": 10, "mtime": 2.5})
    assert content_fingerprint({"name": "x"}) is None


def test_files_given_one_by_one_are_named_by_their_file_names(tmp_path: Path) -> None:
    _tree(tmp_path, {"a/call.wav": b"1", "b/call.wav": b"22", "b/other.mp3": b"333"})
    sources = [
        str(tmp_path / "a/call.wav"),
        (tmp_path / "b/call.wav").as_uri(),
        str(tmp_path / "b/other.mp3"),
        str(tmp_path / "a/call.wav"),  # twice: taken once
        "https://example.invalid/audio/meeting.wav?token=x",
        str(tmp_path / "gone.wav"),
    ]

    files = files_of_paths(sources)

    assert [file.name for file in files] == ["call.wav", "call.wav~2", "other", "meeting", "gone"]
    listed = {file.name: file.fingerprint for file in list_audio(str(tmp_path / "b"), SUFFIXES)}
    assert files[1].fingerprint == listed["call"]  # looked at alone or listed: the same fingerprint
    assert files[0].fingerprint not in (None, MISSING, files[1].fingerprint)
    assert files[3].fingerprint is None  # a URL: judged by its name alone
    assert files[4].fingerprint == MISSING  # never taken for unchanged


def test_names_decided_for_the_whole_listing_reach_every_chunk(tmp_path: Path) -> None:
    _tree(tmp_path / "in", {"call.mp3": b"1", "call.wav": b"2", "solo.wav": b"3"})
    files = list_audio(str(tmp_path / "in"), SUFFIXES)

    chunks = write_audio_lists(files, 1, str(tmp_path / "chunks"))  # each file in a chunk of its own

    read = [file for chunk in chunks for file in read_audio_list(chunk)]
    assert read == files
    assert [file.name for file in read] == ["call.mp3", "call.wav", "solo"]
    assert json.loads((tmp_path / "chunks" / "chunk-00000.json").read_text()) == [
        {"source": files[0].source, "name": "call.mp3", "fingerprint": files[0].fingerprint}
    ]


def test_a_list_of_plain_strings_is_still_read(tmp_path: Path) -> None:
    _tree(tmp_path / "in", {"call.mp3": b"1", "call.wav": b"2"})
    sources = [str(tmp_path / "in" / "call.mp3"), str(tmp_path / "in" / "call.wav")]
    (tmp_path / "list.json").write_text(json.dumps(sources))

    files = read_audio_list((tmp_path / "list.json").as_uri())

    assert [(file.source, file.name) for file in files] == list(
        zip(sources, ["call.mp3", "call.wav"], strict=True)
    )
    assert all(file.fingerprint not in (None, MISSING) for file in files)


@pytest.mark.parametrize(
    "content",
    [
        {"not": "a list"},
        [1, 2],
        [{"source": "s3://b/a.wav"}],
        [{"source": "s3://b/a.wav", "name": "../escape", "fingerprint": None}],
        [{"source": "s3://b/a.wav", "name": "a/", "fingerprint": None}],
        [{"source": "s3://b/a.wav", "name": "a", "fingerprint": 5}],
    ],
)
def test_a_malformed_list_is_refused_naming_audio_list_path(tmp_path: Path, content: object) -> None:
    (tmp_path / "list.json").write_text(json.dumps(content))
    with pytest.raises(AimlSttValidationError, match=r"audio_list_path: .* must hold a JSON list"):
        read_audio_list(str(tmp_path / "list.json"))


def test_a_list_giving_one_name_to_two_files_is_refused(tmp_path: Path) -> None:
    files = [AudioFile("s3://b/x/call.wav", "call", "1"), AudioFile("s3://b/y/call.wav", "Call", "2")]
    (tmp_path / "list.json").write_text(json.dumps([file.as_json() for file in files]))
    with pytest.raises(AimlSttValidationError, match=r"audio_list_path: .*'Call', 'call'"):
        read_audio_list(str(tmp_path / "list.json"))
