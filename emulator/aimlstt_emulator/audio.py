"""Audio as it arrives: spooled to a temporary file and hashed piece by piece, never held whole.

Pieces go to a temporary file and into a sha256 as they arrive; :meth:`StoredAudio.measure` then
reads what :mod:`.audio_info` can tell of the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aimlstt_emulator.audio_info import AudioInfo, measure_audio
from aimlstt_emulator.exceptions import payload_too_large_error

_READ_BYTES = 64 * 1024
_HEAD_BYTES = 64


@dataclass(frozen=True)
class StoredAudio:
    """Audio written to a file, with what was learnt while writing it.

    :param path: the file; delete a temporary one with :meth:`delete`.
    :param sha256: hex digest of the bytes.
    :param size: number of bytes.
    :param head: the first bytes, to tell the format.
    :param filename: the name the client gave, if any.
    :param field: the multipart field it came in, if any.
    :param temporary: True when :meth:`delete` may remove the file (False for a user's own file).
    """

    path: Path
    sha256: str
    size: int
    head: bytes
    filename: str | None = None
    field: str | None = None
    temporary: bool = True

    def measure(self) -> AudioInfo:
        """Read the audio's duration and channel count from the file."""
        return measure_audio(self.path, self.sha256, self.size, self.head)

    def delete(self) -> None:
        """Remove the file if it is a temporary one (no error if it is already gone)."""
        if self.temporary:
            self.path.unlink(missing_ok=True)


class AudioSpool:
    """Receives audio in pieces, writing them to a temporary file and hashing them.

    :param limit: the largest size accepted, in bytes.
    :param temp_dir: folder for the temporary file; None means the system's.
    :param filename: the name the client gave, if any.
    :param field: the multipart field the audio came in, if any.
    """

    def __init__(
        self, limit: int, temp_dir: Path | None = None, filename: str | None = None, field: str | None = None
    ) -> None:
        self._limit = limit
        self._filename = filename
        self._field = field
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        descriptor, name = tempfile.mkstemp(prefix="aimlstt-audio-", dir=temp_dir)
        self._file = os.fdopen(descriptor, "wb")
        self._path = Path(name)

    def write(self, data: bytes) -> None:
        """Add a piece of audio.

        :param data: the next bytes.
        :raises ApiError: 413 when the audio grows past the limit (the file is then removed).
        """
        self._size += len(data)
        if self._size > self._limit:
            self.discard()
            raise payload_too_large_error(self._limit)
        if len(self._head) < _HEAD_BYTES:
            self._head += data[: _HEAD_BYTES - len(self._head)]
        self._hash.update(data)
        self._file.write(data)

    def finish(self) -> StoredAudio:
        """Close the file and describe what was written."""
        self._file.close()
        return StoredAudio(
            self._path, self._hash.hexdigest(), self._size, self._head, self._filename, self._field
        )

    def discard(self) -> None:
        """Close and remove the file, for an upload that is refused or cut short."""
        with contextlib.suppress(OSError):
            self._file.close()
        self._path.unlink(missing_ok=True)


def hash_existing_file(path: Path) -> StoredAudio:
    """Describe a file that already exists on disk, reading it in pieces; it is never deleted.

    :param path: the audio file.
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    with open(path, "rb") as handle:
        while piece := handle.read(_READ_BYTES):
            if not head:
                head = piece[:_HEAD_BYTES]
            digest.update(piece)
            size += len(piece)
    return StoredAudio(path, digest.hexdigest(), size, head, path.name, None, temporary=False)
