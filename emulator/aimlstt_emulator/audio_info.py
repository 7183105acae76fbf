"""What the emulator knows of an audio input: its format, duration and channels, and where it came from.

The duration of WAV, MP3, FLAC, MP4/M4A, Ogg (Opus, Vorbis) and WebM/Matroska files is read
exactly, as a server decoding them would know it (WAV here; MP3, FLAC and MP4 in
:mod:`.audio_formats`; Ogg and WebM in :mod:`.audio_containers`). Files whose valid headers do not
tell (a streamed FLAC, a fragmented MP4, Ogg Speex), and the other audio formats known by their
signature (ADTS AAC, AIFF, AMR, ASF/WMA, Sun AU, CAF), get an estimate from their size at a
typical bit rate, and say so.

Anything else is not audio a server could decode, and :func:`measure_audio` raises
:class:`~aimlstt_emulator.exceptions.UndecodableAudio` saying why: no known format signature, a
header that does not parse, or no audio at all (0 seconds).
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aimlstt_emulator.audio_containers import read_ogg, read_webm
from aimlstt_emulator.audio_formats import is_adts, read_flac, read_mp3, read_mp4
from aimlstt_emulator.exceptions import UndecodableAudio

SOURCE_UPLOAD = "upload"
SOURCE_URL_DOWNLOAD = "url-download"
SOURCE_URL_LOCAL_FILE = "url-local-file"
SOURCE_URL_NO_AUDIO = "url-no-audio"

NO_SIGNATURE = "no known audio container or codec signature"
# Typical bit rates (bits per second) used to estimate the duration of audio whose headers do not tell.
_NOMINAL_BITRATES: dict[str, int] = {
    "mp3": 128_000,
    "ogg": 96_000,
    "flac": 800_000,
    "mp4": 128_000,
    "webm": 96_000,
    "aac": 128_000,
    "aiff": 705_600,  # 16-bit mono at 44.1 kHz
    "amr": 12_200,
    "asf": 128_000,
    "au": 64_000,  # 8-bit mu-law at 8 kHz
    "caf": 705_600,
}
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


@dataclass(frozen=True)
class AudioInfo:
    """What the emulator knows of one audio input.

    :param sha256: hex digest of the audio bytes (of the URL text when there was no audio).
    :param size_bytes: size of the audio, 0 when there was none.
    :param duration_seconds: length of the audio.
    :param channels: number of channels (1 when unknown).
    :param duration_estimated: True unless the duration was read exactly (WAV, MP3, FLAC, MP4, Ogg, WebM).
    :param audio_format: ``wav``, ``mp3``, ``ogg``, ``flac``, ``mp4``, ``webm``, one of the estimated
        formats of :data:`_NOMINAL_BITRATES`, or ``none`` (no audio was fetched for a URL).
    """

    sha256: str
    size_bytes: int
    duration_seconds: float
    channels: int
    duration_estimated: bool
    audio_format: str


def measure_audio(path: Path, sha256: str, size: int, head: bytes) -> AudioInfo:
    """Read the duration and channel count of an audio file.

    :param path: the file.
    :param sha256: its digest, computed while it was written.
    :param size: its size in bytes.
    :param head: its first bytes, which tell the format.
    :raises UndecodableAudio: when no server could decode it: no known format signature, a header
        that does not parse, or no audio at all.
    """
    audio_format = sniff_format(head)
    if audio_format == "unknown":
        raise UndecodableAudio(NO_SIGNATURE)
    reader = _EXACT_READERS.get(audio_format)
    if reader is not None:
        try:
            exact = reader(path)
        except OSError:
            exact = None
        if exact is not None:
            duration, channels = exact
            if not duration > 0:
                raise UndecodableAudio(f"the {audio_format} file holds no audio (0 seconds)")
            return AudioInfo(sha256, size, duration, channels, False, audio_format)
    estimate = round(size * 8 / _NOMINAL_BITRATES[audio_format], 3)
    return AudioInfo(sha256, size, estimate, 1, True, audio_format)


def sniff_format(head: bytes) -> str:
    """Tell an audio container from its first bytes.

    :param head: the first bytes of the file.
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if is_adts(head):
        return "aac"
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
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if head[:5] == b"#!AMR":
        return "amr"
    if head[:16] == _ASF_GUID:
        return "asf"
    if head[:4] == b".snd":
        return "au"
    if head[:4] == b"caff":
        return "caf"
    return "unknown"


def read_wav(path: Path) -> tuple[float, int]:
    """Return a WAV file's exact duration (frames / rate) and channel count.

    A streamed WAV's header cannot say its size: its ``data`` chunk's size is then 0 or all ones,
    and, as for a cut-off file, the bytes the file holds count instead.

    :param path: the WAV file.
    :raises UndecodableAudio: when its header does not parse.
    """
    try:
        with wave.open(str(path), "rb") as reader:
            rate, frames = reader.getframerate(), reader.getnframes()
            data_bytes = frames * reader.getsampwidth() * reader.getnchannels()
            if rate > 0 and 0 < data_bytes <= path.stat().st_size:
                return frames / rate, reader.getnchannels()
    except (wave.Error, EOFError, OSError):
        pass
    read = _read_wav_chunks(path)
    if read is None:
        raise UndecodableAudio("its WAV header does not parse (no readable 'fmt ' chunk before 'data')")
    return read


def _read_wav_chunks(path: Path) -> tuple[float, int] | None:
    """Walk the RIFF chunks directly, for WAV encodings the ``wave`` module refuses (float, extensible),
    and for a ``data`` chunk whose size is not what the file holds."""
    channels = rate = block_align = 0
    with open(path, "rb") as handle:
        end = handle.seek(0, 2)
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
                held = end - handle.tell()
                size = chunk_size if 0 < chunk_size <= held else held
                return (size // block_align) / rate, channels
            else:
                handle.seek(chunk_size + chunk_size % 2, 1)
    return None


# The formats whose duration is read exactly; each reader returns (seconds, channels), or None when
# its valid headers do not tell, and raises UndecodableAudio when they do not parse.
_EXACT_READERS: dict[str, Callable[[Path], tuple[float, int] | None]] = {
    "wav": read_wav,
    "mp3": read_mp3,
    "flac": read_flac,
    "mp4": read_mp4,
    "ogg": read_ogg,
    "webm": read_webm,
}
