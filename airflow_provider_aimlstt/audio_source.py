"""The audio of a transcription: a URL, a local file or an object in a store, parsed once.

Everything the provider derives from where the audio is lives here: the checks made before any
request (the file exists, is a file, is readable, is not empty, is within ``max_upload_bytes``),
the stream an upload reads, the fingerprint a task retry compares, the name shown in logs (a URL
without its query string, which may hold a signed token), the stem that names transcript files,
and the location lineage reports.
"""

from __future__ import annotations

import os
import stat as statmodule
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlsplit

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.multipart import UploadFile

if TYPE_CHECKING:
    from airflow_provider_aimlstt.models.request import TranscriptionRequest


def storage_scheme(path: str) -> str | None:
    """The scheme of an object storage URI (``s3``, ``gs``, ...), or None for a local file.

    ``file://`` URIs and plain paths are local files.

    :param path: an ``audio_path``.
    """
    scheme, separator, _ = path.partition("://")
    if not separator or scheme == "file" or not scheme.replace("+", "").isalnum():
        return None
    return scheme


@dataclass(frozen=True)
class AudioSource:
    """Where a request's audio is; after :meth:`checked`, also its size.

    Exactly one of ``url`` and ``path`` is set (:class:`TranscriptionRequest` makes sure of it).

    :param url: an http(s) URL the API downloads.
    :param path: a local path, a ``file://`` URI or an object storage URI, uploaded by the hook.
    :param max_upload_bytes: refuse a file larger than this.
    :param size: the file's size in bytes, once checked (None for a URL or before the check).
    :param modified_ns: a local file's modification time, once checked.
    """

    url: str | None = None
    path: str | None = None
    max_upload_bytes: int | None = None
    size: int | None = None
    modified_ns: int | None = None

    @classmethod
    def of(cls, request: TranscriptionRequest) -> AudioSource:
        """The (unchecked) audio of a request.

        :param request: a :class:`~airflow_provider_aimlstt.models.TranscriptionRequest`.
        """
        return cls(url=request.audio_url, path=request.audio_path, max_upload_bytes=request.max_upload_bytes)

    @property
    def location(self) -> str:
        """The URL or the path, as given (the lineage input's location)."""
        return self.url or self.path or ""

    @property
    def local_path(self) -> str | None:
        """The local file's path (a ``file://`` URI loses its scheme); None for a URL or a store."""
        if self.path is None or storage_scheme(self.path) is not None:
            return None
        return self.path.removeprefix("file://")

    @property
    def display(self) -> str:
        """The source for logs and messages; a URL loses its query string and credentials."""
        if self.url is not None:
            parts = urlsplit(self.url)
            host = parts.netloc.rpartition("@")[2]
            return f"URL {parts.scheme}://{host}{parts.path}"
        return f"file {self.path}"

    @property
    def stem(self) -> str | None:
        """The file name without suffix (of the path, or of the URL's path), or None when there is none."""
        where = urlsplit(self.url).path if self.url is not None else (self.path or "")
        stem = PurePosixPath(where.rstrip("/")).stem
        return stem or None

    def checked(self) -> AudioSource:
        """This source with its size known, after checking the file; a URL is returned as it is.

        One look at the file: a ``stat`` for a local file, one metadata call for a store object.

        :raises AimlSttValidationError: naming ``audio_path`` when the file cannot be uploaded.
        """
        if self.path is None:
            return self
        local = self.local_path
        size, modified_ns = _local_size(local) if local is not None else (_stored_size(self.path), None)
        if size == 0:
            raise AimlSttValidationError(f"audio_path: file is empty: {self.path!r}")
        if self.max_upload_bytes is not None and size > self.max_upload_bytes:
            limit = self.max_upload_bytes
            raise AimlSttValidationError(
                f"audio_path: file is {size} bytes, over the limit of {limit} bytes: {self.path!r}"
            )
        return AudioSource(self.url, self.path, self.max_upload_bytes, size, modified_ns)

    def upload(self) -> UploadFile:
        """The file to stream into the create call's multipart body (opened anew on each attempt).

        :raises AimlSttValidationError: for a URL source, or a file not checked yet.
        """
        if self.path is None or self.size is None:
            raise AimlSttValidationError("audio_path: no checked file to upload (call checked() first)")
        local = self.local_path
        path = self.path
        if local is not None:
            return UploadFile(os.path.basename(local) or "audio", self.size, lambda: open(local, "rb"))

        def open_stored() -> BinaryIO:
            from airflow.providers.common.compat.sdk import ObjectStoragePath

            stream: BinaryIO = ObjectStoragePath(path).open("rb")
            return stream

        return UploadFile(PurePosixPath(urlsplit(path).path).name or "audio", self.size, open_stored)

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this audio for a task retry: the URL; or the path with its size and mtime."""
        if self.url is not None:
            return {"audio_url": self.url}
        local = self.local_path
        if local is not None:
            return {"audio_path": os.path.abspath(local), "audio_file": [self.size, self.modified_ns]}
        return {"audio_path": self.path, "audio_file": [self.size]}


def _local_size(path: str) -> tuple[int, int]:
    if not path.strip():
        raise AimlSttValidationError("audio_path: must not be empty")
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise AimlSttValidationError(f"audio_path: no such file: {path!r}") from None
    except OSError as exc:
        raise AimlSttValidationError(f"audio_path: cannot read {path!r}: {exc.strerror}") from None
    if statmodule.S_ISDIR(stat.st_mode):
        raise AimlSttValidationError(f"audio_path: is a directory, not a file: {path!r}")
    if not os.access(path, os.R_OK):
        raise AimlSttValidationError(f"audio_path: file is not readable: {path!r}")
    return stat.st_size, stat.st_mtime_ns


def _stored_size(location: str) -> int:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    try:
        path = ObjectStoragePath(location)
        if not path.exists():
            raise AimlSttValidationError(f"audio_path: no such object: {location!r}")
        if not path.is_file():
            raise AimlSttValidationError(f"audio_path: is a folder, not a file: {location!r}")
        return int(path.size())
    except AimlSttValidationError:
        raise
    except Exception as exc:  # the store's own errors: unknown scheme, no access, network
        raise AimlSttValidationError(
            f"audio_path: cannot read {location!r}: {type(exc).__name__}: {exc}"
        ) from None
