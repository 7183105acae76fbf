"""Audio as the emulator sees it: spooled to a temporary file while hashed, then measured.

Uploads never sit in memory whole: pieces go to a temporary file and into a sha256 as they
arrive. The duration of a WAV file is exact (frames / rate); other formats get an estimate from
their size at a typical bit rate, and say so.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from airflow_provider_aimlstt.emulator.errors import payload_too_large_error

_HEAD_BYTES = 64
_READ_BYTES = 64 * 1024

# Typical bit rates (bits per second) used to estimate the duration of compressed audio.
_NOMINAL_BITRATES: dict[str, int] = {
    "mp3": 128_000,
    "ogg": 96_000,
    "flac": 800_000,
    "mp4": 128_000,
    "webm": 96_000,
    "unknown": 128_000,
}


@dataclass(frozen=True)
class StoredAudio:
    """Audio written to a temporary file, with what was learnt while writing it.

    :param path: the temporary file; delete it with :meth:`delete`.
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


@dataclass(frozen=True)
class AudioInfo:
    """What the emulator knows of one audio input.

    :param sha256: hex digest of the audio bytes (of the URL text when there was no audio).
    :param size_bytes: size of the audio, 0 when there was none.
    :param duration_seconds: length of the audio.
    :param channels: number of channels (1 when unknown).
    :param duration_estimated: True unless the duration was read exactly from a WAV header.
    :param audio_format: ``wav``, ``mp3``, ``ogg``, ``flac``, ``mp4``, ``webm``, ``unknown`` or ``none``.
    """

    sha256: str
    size_bytes: int
    duration_seconds: float
    channels: int
    duration_estimated: bool
    audio_format: str


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


def measure_audio(stored: StoredAudio) -> AudioInfo:
    """Read the duration and channel count of spooled audio.

    :param stored: the audio, still on disk.
    """
    audio_format = sniff_format(stored.head)
    if audio_format == "wav":
        wav = read_wav(stored.path)
        if wav is not None:
            duration, channels = wav
            return AudioInfo(stored.sha256, stored.size, duration, channels, False, "wav")
    bits_per_second = _NOMINAL_BITRATES.get(audio_format, _NOMINAL_BITRATES["unknown"])
    estimate = round(stored.size * 8 / bits_per_second, 3)
    return AudioInfo(stored.sha256, stored.size, estimate, 1, True, audio_format)


def sniff_format(head: bytes) -> str:
    """Tell an audio container from its first bytes.

    :param head: the first bytes of the file.
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"fLaC":
        return "flac"
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return "unknown"


def read_wav(path: Path) -> tuple[float, int] | None:
    """Return a WAV file's exact duration (frames / rate) and channel count, or None if unreadable.

    :param path: the WAV file.
    """
    try:
        with wave.open(str(path), "rb") as reader:
            rate = reader.getframerate()
            if rate <= 0:
                return None
            return reader.getnframes() / rate, reader.getnchannels()
    except (wave.Error, EOFError, OSError):
        return _read_wav_chunks(path)


def _read_wav_chunks(path: Path) -> tuple[float, int] | None:
    """Walk the RIFF chunks directly, for WAV encodings the ``wave`` module refuses (float, extensible)."""
    channels = rate = block_align = 0
    with open(path, "rb") as handle:
        handle.seek(12)
        while header := handle.read(8):
            if len(header) < 8:
                return None
            chunk_id, chunk_size = header[:4], struct.unpack("<I", header[4:])[0]
            if chunk_id == b"fmt ":
                fmt = handle.read(chunk_size + chunk_size % 2)
                if len(fmt) < 16:
                    return None
                channels, rate, _, block_align = struct.unpack("<HIIH", fmt[2:14])
            elif chunk_id == b"data":
                if not (channels and rate and block_align):
                    return None
                return (chunk_size // block_align) / rate, channels
            else:
                handle.seek(chunk_size + chunk_size % 2, 1)
    return None
