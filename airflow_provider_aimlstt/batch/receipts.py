"""What a batch's output folder holds, seen in one listing: each name's transcripts and receipts.

A receipt is a small JSON object written after the last format of a file's transcripts, at
``<output_path>/_receipts/<name>@<fingerprint>.json``: the fingerprint of the audio the transcripts
were made from (:func:`~airflow_provider_aimlstt.batch.inputs.content_fingerprint`), with the job's
audio seconds, words and cost. One recursive listing of the output folder sees the transcripts and
the receipts together, so a batch tells an unchanged file (every format there, and a receipt of
its current fingerprint: skipped) from a re-recorded one (transcribed again, overwriting) without
a request per file. A file whose fingerprint is unknown (an ``https://`` URL) is judged by its
name alone: every format there is enough.

Before a file is transcribed again its receipts are removed (one delete each, a few at once), so
a run that stops between the transcripts and the receipt leaves no receipt that could match.
The receipts of skipped files are read (one GET each, 16 at once: 10,000 skipped files cost
10,000 GETs of a few hundred bytes) to give their manifest rows the audio seconds, words and cost
of the transcripts they point at.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from airflow_provider_aimlstt.outputs.storage import (
    LOCAL_PROTOCOLS,
    conn_id_of,
    filesystem_of,
    put_file,
    resolve_folder,
    uri_of,
    with_conn_id,
)
from airflow_provider_aimlstt.transcripts import SUFFIXES

RECEIPTS_FOLDER = "_receipts"
"""The output folder's sub-folder of receipts."""
UNKNOWN = "unknown"
"""The fingerprint part of the receipt of a file whose fingerprint is unknown."""
READ_CONCURRENCY = 16
"""Receipts read (or removed) at once."""
_RECEIPT_SUFFIX = ".json"


class Receipt(BaseModel):
    """What one file's transcripts were made from, and what its job gave.

    :param source: the audio's URI or path.
    :param fingerprint: its content's fingerprint when it was transcribed; None when unknown.
    :param generation_id: the job that transcribed it.
    :param audio_seconds: the audio's length.
    :param words: words in the transcript.
    :param cost_usd: what the job cost, when the API said.
    :param credits: the same in credits.
    """

    model_config = ConfigDict(extra="ignore")

    source: str
    fingerprint: str | None = None
    generation_id: str | None = None
    audio_seconds: float | None = None
    words: int | None = None
    cost_usd: float | None = None
    credits: int | None = None


def receipt_name(name: str, fingerprint: str | None) -> str:
    """A receipt's path inside the output folder: ``_receipts/<name>@<fingerprint>.json``.

    :param name: the transcripts' name (sub-folders kept).
    :param fingerprint: the audio's fingerprint; None when unknown.
    """
    return f"{RECEIPTS_FOLDER}/{name}@{fingerprint or UNKNOWN}{_RECEIPT_SUFFIX}"


def write_receipt(folder: Any, name: str, receipt: Receipt) -> str:
    """Write one file's receipt into the output ``folder`` (after its transcripts); its URI.

    :param folder: the output folder (an ``ObjectStoragePath``).
    :param name: the transcripts' name.
    :param receipt: what to record.
    """
    inside, _, file_name = receipt_name(name, receipt.fingerprint).rpartition("/")
    target = folder / inside
    fs = filesystem_of(target)
    if target.protocol in LOCAL_PROTOCOLS:
        fs.makedirs(target.path, exist_ok=True)
    uri = put_file(fs, target, file_name, receipt.model_dump_json(exclude_none=True).encode("utf-8"))
    return with_conn_id(uri, conn_id_of(folder))


class WrittenTranscripts:
    """One listing of an output folder: which names have every format asked for, and their receipts.

    Built by :func:`written_transcripts`.

    :param folder: the output folder (an ``ObjectStoragePath``).
    :param formats: the formats asked for.
    :param present: for each name, the formats found.
    :param receipts: for each name, the fingerprints of its receipts.
    """

    def __init__(
        self,
        folder: Any,
        formats: Sequence[str],
        present: dict[str, set[str]],
        receipts: dict[str, set[str]],
    ) -> None:
        self.folder = folder
        self.formats = tuple(formats)
        self.present = present
        self.receipts = receipts
        self._prefix = uri_of(folder).rstrip("/")

    def complete(self, name: str) -> bool:
        """True when every format asked for is written under ``name``.

        :param name: the transcripts' name.
        """
        return set(self.formats) <= self.present.get(name, set())

    def unchanged(self, name: str, fingerprint: str | None) -> bool:
        """True when ``name``'s transcripts are all there and were made from this content: a
        receipt of ``fingerprint`` is there too (a file whose fingerprint is unknown: by name alone).

        :param name: the transcripts' name.
        :param fingerprint: the audio's fingerprint now.
        """
        return self.complete(name) and (fingerprint is None or fingerprint in self.receipts.get(name, ()))

    def paths_of(self, name: str) -> dict[str, str]:
        """``{format: URI}`` of ``name``'s transcripts, with the store's connection id.

        :param name: the transcripts' name.
        """
        return {fmt: self._address(f"{name}{SUFFIXES[fmt]}") for fmt in self.formats}

    def fill_skipped(self, rows: Iterable[Any]) -> int:
        """Point skipped rows at their transcripts and give them their receipts' audio seconds,
        words and cost: one read per receipt, :data:`READ_CONCURRENCY` at once. How many receipts
        could not be read (those rows keep their paths alone).

        :param rows: manifest rows of unchanged files (their ``name`` and ``fingerprint`` set).
        """
        rows = list(rows)
        for row in rows:
            row.paths = self.paths_of(row.name)
        fs = filesystem_of(self.folder)

        def read(row: Any) -> bool:
            try:
                receipt = Receipt.model_validate_json(
                    fs.cat_file(_store_path(self.folder, receipt_name(row.name, row.fingerprint)))
                )
            except (OSError, ValueError, ValidationError):
                return False
            row.generation_id = row.generation_id or receipt.generation_id
            row.audio_seconds, row.words = receipt.audio_seconds, receipt.words
            row.cost_usd, row.credits = receipt.cost_usd, receipt.credits
            return True

        return sum(not read_ok for read_ok in _each(read, rows))

    def remove_receipts(self, names: Iterable[str]) -> int:
        """Remove every receipt of ``names`` (files about to be transcribed again), a few at once;
        how many there were.

        :param names: the transcripts' names.
        """
        paths = [
            _store_path(self.folder, receipt_name(name, found))
            for name in names
            for found in sorted(self.receipts.get(name, ()))
        ]
        fs = filesystem_of(self.folder)

        def remove(path: str) -> None:
            with contextlib.suppress(FileNotFoundError):
                fs.rm_file(path)  # one path, never a pattern: a name may hold ``[`` or ``*``

        list(_each(remove, paths))
        return len(paths)

    def _address(self, relative: str) -> str:
        return with_conn_id(f"{self._prefix}/{relative}", conn_id_of(self.folder))


def written_transcripts(
    output_path: Any, formats: Sequence[str], output_conn_id: str | None = None
) -> WrittenTranscripts:
    """What ``output_path`` and its sub-folders hold: one recursive listing call.

    :param output_path: the output folder.
    :param formats: the formats that must all be there for a name to count as written.
    :param output_conn_id: the Airflow connection of the store.
    """
    folder = resolve_folder(output_path, output_conn_id)
    fs = filesystem_of(folder)
    base = folder.path.rstrip("/")
    try:
        listed = fs.find(base, detail=False)
    except FileNotFoundError:
        listed = []
    by_suffix = sorted(((SUFFIXES[fmt], fmt) for fmt in formats), key=lambda pair: -len(pair[0]))
    present: dict[str, set[str]] = defaultdict(set)
    receipts: dict[str, set[str]] = defaultdict(set)
    receipts_head = f"{RECEIPTS_FOLDER}/"
    for path in listed:
        relative = _relative(str(path), base)
        if relative is None:
            continue
        if relative.startswith(receipts_head):
            stem = relative[len(receipts_head) :].removesuffix(_RECEIPT_SUFFIX)
            name, at, fingerprint = stem.rpartition("@")
            if at and name:
                receipts[name].add(fingerprint)
            continue
        for suffix, fmt in by_suffix:
            if relative.endswith(suffix):
                present[relative[: -len(suffix)]].add(fmt)
                break
    return WrittenTranscripts(folder, formats, dict(present), dict(receipts))


def _relative(path: str, base: str) -> str | None:
    """``path`` relative to the folder ``base`` (both as the store lists them); None outside it."""
    path, base = path.lstrip("/"), base.strip("/")
    if not base:
        return path
    return path[len(base) + 1 :] if path.startswith(f"{base}/") else None


def _each(work: Callable[[Any], Any], items: Sequence[Any]) -> Iterator[Any]:
    """``work`` of each item, :data:`READ_CONCURRENCY` at once, in order."""
    if not items:
        return iter(())
    with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(items))) as pool:
        return iter(list(pool.map(work, items)))


def _store_path(folder: Any, relative: str) -> str:
    """The store's own path of ``relative`` inside ``folder`` (what its filesystem's calls take)."""
    return f"{folder.path.rstrip('/')}/{relative}"
