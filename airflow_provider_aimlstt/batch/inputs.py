"""What a batch transcribes: its audio files, and which of them already have their transcripts.

Both questions are answered with one listing each (of the input folder, and of the output
folder), never with a request per file: on an object store a batch of 10,000 files costs two
LIST calls here, not 20,000 HEADs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.storage import (
    address_of,
    filesystem_of,
    put_file,
    resolve_folder,
    uri_of,
    with_conn_id,
)
from airflow_provider_aimlstt.transcripts import SUFFIXES

DEFAULT_AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".webm", ".mp4", ".aac", ".opus")


@dataclass(frozen=True)
class BatchInputs:
    """Where a batch's audio files come from: exactly one of the first three.

    :param audio_paths: the files, as paths or URIs.
    :param input_path: a folder or prefix whose audio files are taken.
    :param audio_list_path: the URI of a JSON file holding the list of files.
    :param audio_suffixes: the suffixes ``input_path``'s files must have.
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    """

    audio_paths: tuple[str, ...] | None = None
    input_path: Any = None
    audio_list_path: str | None = None
    audio_suffixes: tuple[str, ...] = DEFAULT_AUDIO_SUFFIXES
    input_conn_id: str | None = None

    def sources(self) -> list[str]:
        """The batch's files, in order, from whichever input was given."""
        if self.audio_paths is not None:
            return [str(source) for source in self.audio_paths]
        if self.audio_list_path is not None:
            return [str(source) for source in read_audio_list(self.audio_list_path, self.input_conn_id)]
        return listed_audio(self.input_path, self.audio_suffixes, self.input_conn_id)


def listed_audio(
    input_path: Any, audio_suffixes: Sequence[str], input_conn_id: str | None = None
) -> list[str]:
    """The audio files directly in a folder (or under a prefix), by name, as URIs: one listing call.

    :param input_path: the folder: a URI (``s3://bucket/prefix``), a local path or an ``ObjectStoragePath``.
    :param audio_suffixes: the suffixes of the files to take (case does not matter).
    :param input_conn_id: the Airflow connection of the store, when the URI names none.
    :raises AimlSttValidationError: ``input_path: ...`` when the folder does not exist.
    """
    folder = resolve_folder(input_path, input_conn_id)
    fs = filesystem_of(folder)
    wanted = tuple(suffix.lower() for suffix in audio_suffixes)
    try:
        entries = fs.ls(folder.path, detail=True)
    except FileNotFoundError:
        raise AimlSttValidationError(f"input_path: {uri_of(folder)} does not exist") from None
    names = sorted(
        PurePosixPath(str(entry["name"])).name
        for entry in entries
        if entry.get("type") == "file" and str(entry["name"]).lower().endswith(wanted)
    )
    return [address_of(folder / name) for name in names]


def read_audio_list(location: str, conn_id: str | None = None) -> list[str]:
    """The files of a JSON list stored at ``location`` (a chunk written by a listing task).

    :param location: the list's URI.
    :param conn_id: the Airflow connection of its store, when the URI names none.
    :raises AimlSttValidationError: ``audio_list_path: ...`` when it is missing or not a list of strings.
    """
    folder, _, name = location.rstrip("/").rpartition("/")
    path = resolve_folder(folder, conn_id) / name
    try:
        data = json.loads(filesystem_of(path).cat_file(path.path))
    except FileNotFoundError:
        raise AimlSttValidationError(f"audio_list_path: {location} does not exist") from None
    except ValueError as error:
        raise AimlSttValidationError(f"audio_list_path: {location} is not JSON ({error})") from None
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise AimlSttValidationError(f"audio_list_path: {location} must hold a JSON list of strings")
    return data


def write_audio_lists(
    sources: Sequence[str], chunk_size: int, folder: Any, conn_id: str | None = None
) -> list[str]:
    """Write ``sources`` as JSON lists of at most ``chunk_size`` files into ``folder``; their URIs.

    :param sources: the files, in order.
    :param chunk_size: files per list.
    :param folder: where the lists go (``chunk-00000.json``, ...).
    :param conn_id: the Airflow connection of its store.
    """
    if chunk_size < 1:
        raise AimlSttValidationError(f"chunk_size: must be 1 or more, got {chunk_size}")
    target = resolve_folder(folder, conn_id)
    fs = filesystem_of(target)
    if target.protocol in ("file", "local"):
        fs.makedirs(target.path, exist_ok=True)
    written = []
    for number, start in enumerate(range(0, len(sources), chunk_size)):
        chunk = list(sources[start : start + chunk_size])
        uri = put_file(fs, target, f"chunk-{number:05d}.json", json.dumps(chunk).encode("utf-8"))
        written.append(with_conn_id(uri, target.conn_id))  # read back by a task that may have no conn_id
    return written


def output_name_of(source: str) -> str:
    """The transcripts' file name (no suffix) of an audio source: its file's stem.

    :param source: the audio's URI or path.
    """
    name = PurePosixPath(source.split("?", 1)[0].rstrip("/")).name
    return PurePosixPath(name).stem or name


def finished_names(output_path: Any, formats: Iterable[str], output_conn_id: str | None = None) -> set[str]:
    """The names whose transcripts are all written in ``output_path``: one listing call.

    ``json`` is written last (:mod:`~airflow_provider_aimlstt.outputs.writer`), so a name counts as
    finished when every format asked for is there.

    :param output_path: the output folder.
    :param formats: the formats that must all be there.
    :param output_conn_id: the Airflow connection of the store.
    """
    folder = resolve_folder(output_path, output_conn_id)
    fs = filesystem_of(folder)
    try:
        present = {PurePosixPath(str(name)).name for name in fs.ls(folder.path, detail=False)}
    except FileNotFoundError:
        return set()
    suffixes = [SUFFIXES[name] for name in formats]
    candidates = {name[: -len(suffixes[0])] for name in present if name.endswith(suffixes[0])}
    return {stem for stem in candidates if all(f"{stem}{suffix}" in present for suffix in suffixes)}
