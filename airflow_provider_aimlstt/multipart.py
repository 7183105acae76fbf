"""A multipart/form-data body that streams its file from disk or object storage.

``requests`` reads a whole file into memory when given ``files=``; an audio file can be large, so
uploads go through this body instead: a known length (so ``Content-Length`` is sent) and chunks
read as the socket takes them.
"""

from __future__ import annotations

import mimetypes
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

CHUNK_SIZE = 256 * 1024


def _quote(value: str) -> str:
    """Make a value safe inside a quoted header parameter."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


HEAD_BYTES = 64 * 1024
"""How much of a file's start an upload keeps (:attr:`UploadFile.head`)."""


@dataclass(frozen=True)
class UploadFile:
    """A file to upload: its name, its size, and how to open it (again on every attempt).

    :param name: the file name sent to the API.
    :param size: its size in bytes.
    :param open: returns a new binary stream positioned at the start.
    :param head: the first :data:`HEAD_BYTES` the latest attempt streamed (the headers of most audio
        formats tell the audio's duration from them), filled as the body is sent.
    """

    name: str
    size: int
    open: Callable[[], BinaryIO]
    head: bytearray = field(default_factory=bytearray, repr=False, compare=False)

    @classmethod
    def local(cls, path: str) -> UploadFile:
        """A file on the local disk.

        :param path: its path.
        """
        return cls(os.path.basename(path), os.path.getsize(path), lambda: open(path, "rb"))


class MultipartFileBody:
    """Text fields and one file, encoded as multipart/form-data and read lazily.

    :param fields: the text fields, in order (a name may repeat).
    :param file_field: the name of the field that carries the file.
    :param upload: the file to stream.
    """

    def __init__(self, fields: list[tuple[str, str]], file_field: str, upload: UploadFile) -> None:
        self.boundary = uuid.uuid4().hex
        self.upload = upload
        filename = upload.name
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        head = b"".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
            for name, value in fields
        )
        head += (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(file_field)}"; filename="{_quote(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._file_size = upload.size

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self._head) + self._file_size + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        kept = self.upload.head
        kept.clear()
        with self.upload.open() as audio:
            for chunk in _chunks(audio):
                if len(kept) < HEAD_BYTES:
                    kept += chunk[: HEAD_BYTES - len(kept)]
                yield chunk
        yield self._tail


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk
