"""What a batch transcribes: its audio files, the name each one's transcripts get, and what
identifies each file's content.

An input folder (listed recursively) or a glob pattern is answered with one listing call, never
a request per file: on an object store, 10,000 files cost ten LIST calls here, not 10,000 HEADs.
The listing's details give each file's fingerprint (size plus ETag, or modification time), which
the batch compares with the receipts next to the transcripts
(:mod:`~airflow_provider_aimlstt.batch.receipts`) to tell an unchanged file from a re-recorded one.
Files given one by one (``audio_paths``, or a chunk list of plain strings) are looked at one by
one instead (a HEAD each, 16 at once): the folders they are in may hold far more than them.

Output names are decided by :func:`output_names`, once for a whole listing, and carried with the
files (in the chunk lists :func:`write_audio_lists` writes), so files that would write the same
name get distinct names even when they land in different chunks.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.storage import (
    conn_id_of,
    filesystem_of,
    put_file,
    resolve_folder,
    uri_of,
    with_conn_id,
)

DEFAULT_AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".flac", ".ogg", ".webm", ".mp4", ".aac", ".opus")

GLOB_CHARACTERS = frozenset("*?[")
"""An ``input_path`` with one of these is a glob pattern, not a folder."""

CONTENT_KEYS = (
    "ETag",
    "etag",
    "md5Hash",
    "generation",
    "mtime",
    "LastModified",
    "last_modified",
    "updated",
    "created",
)
"""The listing details that identify a file's content beside its size, most telling first:
S3's, GCS's and Azure's ETag, GCS's MD5 or generation, a local file's modification time, then
the times object stores keep."""

MISSING = "missing"
"""The fingerprint of a file in ``audio_paths`` that could not be looked at: it never matches a
receipt, so the file is submitted (and fails, saying why, when it is really gone)."""

FETCH_INFO_CONCURRENCY = 16
"""Files of ``audio_paths`` looked at at once for their fingerprints."""


@dataclass(frozen=True)
class AudioFile:
    """One audio file of a batch.

    :param source: the audio's URI (with its store's connection id) or path.
    :param name: its transcripts' name without suffix, relative to the output folder: sub-folders
        kept (``agent1/call``).
    :param fingerprint: what identifies its content (:func:`content_fingerprint`); None when
        nothing does (an ``https://`` URL): it is then judged by its name alone.
    """

    source: str
    name: str
    fingerprint: str | None = None

    def as_json(self) -> dict[str, str | None]:
        """The file as a chunk list holds it."""
        return {"source": self.source, "name": self.name, "fingerprint": self.fingerprint}


@dataclass(frozen=True)
class BatchInputs:
    """Where a batch's audio files come from: exactly one of the first three.

    :param audio_paths: the files, as paths or URIs.
    :param input_path: a folder (listed recursively) or a glob pattern whose files are taken.
    :param audio_list_path: the URI of a JSON file holding the list of files.
    :param audio_suffixes: the suffixes a folder's files must have.
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    """

    audio_paths: tuple[str, ...] | None = None
    input_path: Any = None
    audio_list_path: str | None = None
    audio_suffixes: tuple[str, ...] = DEFAULT_AUDIO_SUFFIXES
    input_conn_id: str | None = None

    def files(self) -> list[AudioFile]:
        """The batch's files, in order, named and fingerprinted, from whichever input was given."""
        if self.audio_paths is not None:
            return files_of_paths(self.audio_paths, self.input_conn_id)
        if self.audio_list_path is not None:
            return read_audio_list(self.audio_list_path, self.input_conn_id)
        return list_audio(self.input_path, self.audio_suffixes, self.input_conn_id)


def list_audio(
    input_path: Any, audio_suffixes: Sequence[str], input_conn_id: str | None = None
) -> list[AudioFile]:
    """The audio files of a folder and its sub-folders, or those a glob pattern matches: one listing call.

    A folder's files are those with one of ``audio_suffixes``; a pattern's files are all it
    matches (``s3://calls/2026/12/06/**/*.mp3``). Each file's name is its path relative to the
    folder (for a pattern, to the part before its first segment with a wildcard), its suffix
    removed (:func:`output_names`).

    :param input_path: the folder or pattern: a URI (``s3://bucket/prefix``), a local path or an
        ``ObjectStoragePath``.
    :param audio_suffixes: the suffixes of a folder's files to take (case does not matter).
    :param input_conn_id: the Airflow connection of the store, when the URI names none.
    :raises AimlSttValidationError: ``input_path: ...`` when the folder (or the pattern's fixed
        part) does not exist, or the pattern is not one.
    """
    where = resolve_folder(input_path, input_conn_id)
    fs = filesystem_of(where)
    segments = where.path.rstrip("/").split("/")
    wild = next((i for i, segment in enumerate(segments) if GLOB_CHARACTERS & set(segment)), None)
    root = where
    if wild is None:
        entries = fs.find(where.path.rstrip("/"), detail=True)
        if len(entries) == 1 and _same_path(next(iter(entries)), where.path):
            raise AimlSttValidationError(
                f"input_path: {uri_of(where)} is a file; give its folder, or the file in audio_paths"
            )
        wanted = tuple(suffix.lower() for suffix in audio_suffixes)
        entries = {path: info for path, info in entries.items() if str(path).lower().endswith(wanted)}
    else:
        for _ in segments[wild:]:
            root = root.parent
        if not root.path.strip("/"):
            raise AimlSttValidationError(
                f"input_path: {uri_of(where)}: a pattern needs a fixed bucket or folder before its wildcards"
            )
        try:
            entries = fs.glob(where.path, detail=True)
        except ValueError as error:
            raise AimlSttValidationError(f"input_path: {uri_of(where)}: {error}") from None
    if not entries and not fs.exists(root.path):
        raise AimlSttValidationError(f"input_path: {uri_of(root)} does not exist")
    base = root.path.rstrip("/")
    listed = sorted(
        (_relative(str(path), base), info) for path, info in entries.items() if info.get("type") == "file"
    )
    prefix = uri_of(root).rstrip("/")
    names = output_names([relative for relative, _ in listed])
    return [
        AudioFile(with_conn_id(f"{prefix}/{relative}", conn_id_of(root)), name, content_fingerprint(info))
        for (relative, info), name in zip(listed, names, strict=True)
    ]


def files_of_paths(sources: Sequence[str], conn_id: str | None = None) -> list[AudioFile]:
    """Files given one by one (``audio_paths``): named by their file names, each looked at for its
    fingerprint (a few files at once; an ``https://`` URL is not looked at: it has none).

    :param sources: the files' paths or URIs; one given twice is taken once.
    :param conn_id: the Airflow connection of their store, when a URI names none.
    """
    unique = list(dict.fromkeys(str(source) for source in sources))
    names = output_names([_file_name(source) for source in unique])
    with ThreadPoolExecutor(max_workers=max(1, min(FETCH_INFO_CONCURRENCY, len(unique)))) as pool:
        fingerprints = list(pool.map(lambda source: _fingerprint_of(source, conn_id), unique))
    return [
        AudioFile(source, name, fingerprint)
        for source, name, fingerprint in zip(unique, names, fingerprints, strict=True)
    ]


def output_names(relative_paths: Sequence[str]) -> list[str]:
    """The transcripts' names of a whole listing's files: each path without its suffix.

    ``agent1/call.mp3`` is ``agent1/call``. Files of one folder whose names differ only by their
    suffix (``call.wav`` and ``call.mp3``) keep it: ``call.wav``, ``call.mp3``. Names are compared
    as a case-insensitive store would; any still the same after that (``call.wav.mp3`` beside
    ``call.wav`` and ``call.mp3``; two files of ``audio_paths`` with one file name) get ``~2``,
    ``~3``... in their order, never a name another file has of its own.

    :param relative_paths: each file's path relative to the input folder (``/`` between folders),
        or its file name alone.
    """
    parts = [_split(path) for path in relative_paths]
    stems = Counter((folder.casefold(), stem.casefold()) for folder, stem, _ in parts)
    natural = [
        f"{folder}/{name if stems[(folder.casefold(), stem.casefold())] > 1 else stem}".lstrip("/")
        for folder, stem, name in parts
    ]
    reserved = {name.casefold() for name in natural}
    used: set[str] = set()
    names = []
    for name in natural:
        chosen, number = name, 2
        while chosen.casefold() in used or (chosen != name and chosen.casefold() in reserved):
            chosen, number = f"{name}~{number}", number + 1
        used.add(chosen.casefold())
        names.append(chosen)
    return names


def content_fingerprint(info: Mapping[str, Any]) -> str | None:
    """What identifies a file's content, from a listing's details of it: its size and the first of
    :data:`CONTENT_KEYS` the store gives, as 16 hex digits; None when it gives neither.

    :param info: the file's details, as fsspec's ``find``/``glob``/``info`` give them.
    """
    size = info.get("size", info.get("Size"))
    tag = next((f"{key}={info[key]}" for key in CONTENT_KEYS if info.get(key) not in (None, "")), "")
    if size is None and not tag:
        return None
    return hashlib.blake2b(f"{size}|{tag}".encode(), digest_size=8).hexdigest()


def read_audio_list(location: str, conn_id: str | None = None) -> list[AudioFile]:
    """The files of a JSON list stored at ``location`` (a chunk written by :func:`write_audio_lists`).

    A list of objects (``source``, ``name``, ``fingerprint``) is taken as it is; a list of plain
    strings is read as ``audio_paths`` are (:func:`files_of_paths`).

    :param location: the list's URI.
    :param conn_id: the Airflow connection of its store, when the URI names none.
    :raises AimlSttValidationError: ``audio_list_path: ...`` when it is missing or not such a list.
    """
    folder, _, name = location.rstrip("/").rpartition("/")
    path = resolve_folder(folder, conn_id) / name
    try:
        data = json.loads(filesystem_of(path).cat_file(path.path))
    except FileNotFoundError:
        raise AimlSttValidationError(f"audio_list_path: {location} does not exist") from None
    except ValueError as error:
        raise AimlSttValidationError(f"audio_list_path: {location} is not JSON ({error})") from None
    if isinstance(data, list) and all(isinstance(item, str) for item in data):
        return files_of_paths(data, conn_id)
    if not isinstance(data, list) or not all(_is_listed_file(item) for item in data):
        raise AimlSttValidationError(
            f"audio_list_path: {location} must hold a JSON list of strings, or of objects with "
            '"source", "name" and "fingerprint"'
        )
    files = [AudioFile(item["source"], item["name"], item.get("fingerprint")) for item in data]
    taken = Counter(file.name.casefold() for file in files)
    if twice := sorted({file.name for file in files if taken[file.name.casefold()] > 1}):
        raise AimlSttValidationError(f"audio_list_path: {location} gives the name(s) {twice} to two files")
    return files


def write_audio_lists(
    files: Sequence[AudioFile], chunk_size: int, folder: Any, conn_id: str | None = None
) -> list[str]:
    """Write ``files`` as JSON lists of at most ``chunk_size`` files into ``folder``; their URIs.

    Each file is written with its name and fingerprint, so a batch task reading one list names its
    files as the whole listing named them.

    :param files: the files, in order (from :func:`list_audio` or :func:`files_of_paths`).
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
    for number, start in enumerate(range(0, len(files), chunk_size)):
        chunk = [file.as_json() for file in files[start : start + chunk_size]]
        uri = put_file(fs, target, f"chunk-{number:05d}.json", json.dumps(chunk).encode("utf-8"))
        written.append(with_conn_id(uri, conn_id_of(target)))  # read back by a task that may have no conn_id
    return written


def _split(path: str) -> tuple[str, str, str]:
    """A relative path's folder, stem and file name, each made safe as a file name on any store."""
    cleaned = path.replace("\\", "_").replace("\x00", "_").strip("/")
    folder, _, name = cleaned.rpartition("/")
    dot = name.rfind(".")
    return folder, name[:dot] if 0 < dot < len(name) - 1 else name, name


def _relative(path: str, base: str) -> str:
    """``path`` relative to the folder ``base`` (both as the store lists them)."""
    head = base.rstrip("/") + "/"
    if path.startswith(head):
        return path[len(head) :]
    if path.lstrip("/").startswith(head.lstrip("/")):
        return path.lstrip("/")[len(head.lstrip("/")) :]
    return PurePosixPath(path).name


def _same_path(path: str, other: str) -> bool:
    return path.strip("/") == other.strip("/")


def _file_name(source: str) -> str:
    """A source's file name: the last segment of its path (of a URL, without its query)."""
    if source.startswith(("http://", "https://")):
        source = urlsplit(source).path
    return PurePosixPath(source.rstrip("/")).name or "audio"


def _fingerprint_of(source: str, conn_id: str | None) -> str | None:
    """One file's fingerprint, from its details (one request); None for a URL, :data:`MISSING`
    when it cannot be looked at."""
    if source.startswith(("http://", "https://")):
        return None
    folder, _, name = source.rstrip("/").rpartition("/")
    try:
        path = resolve_folder(folder or ".", conn_id) / name
        info = filesystem_of(path).info(path.path)
    except (OSError, ValueError, AimlSttValidationError):
        return MISSING
    return content_fingerprint(info) or MISSING


def _is_listed_file(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("source"), str)
        and isinstance(item.get("name"), str)
        and _is_safe_name(item["name"])
        and isinstance(item.get("fingerprint"), (str, type(None)))
    )


def _is_safe_name(name: str) -> bool:
    """A relative name of folders and a file: no empty, ``.`` or ``..`` segment, no backslash or NUL."""
    segments = name.split("/")
    return all(segment not in ("", ".", "..") for segment in segments) and not any(
        char in name for char in "\\\x00"
    )
