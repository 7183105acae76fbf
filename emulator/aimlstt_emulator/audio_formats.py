"""Exact durations of compressed audio, read from the file the way a decoder would know them.

- MP3: every MPEG audio frame is walked (after an ID3v2 tag), adding each frame's samples / rate;
  an encoder's Xing/Info/VBRI frame is not audio and is not counted.
- FLAC: total samples / sample rate, from the STREAMINFO block.
- MP4/M4A: duration / timescale, from the ``mvhd`` box inside ``moov``.

Each reader returns ``(seconds, channels)``, or None when the file's valid headers do not tell
(the caller then estimates), and raises :class:`~aimlstt_emulator.exceptions.UndecodableAudio` when
they do not parse. Files are read by seeking, never loaded whole.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from aimlstt_emulator.exceptions import UndecodableAudio

# Bit rates (kbit/s) by index 0-14, keyed by (MPEG-1?, layer). Index 0 is free format, 15 invalid.
_BITRATES: dict[tuple[bool, int], tuple[int, ...]] = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
# Sample rates by index 0-2, keyed by the version bits: 11 MPEG-1, 10 MPEG-2, 00 MPEG-2.5.
_SAMPLE_RATES: dict[int, tuple[int, int, int]] = {
    0b11: (44100, 48000, 32000),
    0b10: (22050, 24000, 16000),
    0b00: (11025, 12000, 8000),
}
_INFO_TAGS = (b"Xing", b"Info")
_VBRI_OFFSET = 4 + 32


class _MpegFrame:
    """One parsed MPEG audio frame header."""

    __slots__ = ("channels", "layer", "length", "mpeg1", "rate", "samples")

    def __init__(self, header: int) -> None:
        version_bits = header >> 19 & 0b11
        layer = 4 - (header >> 17 & 0b11)  # bits 11 -> I, 10 -> II, 01 -> III
        self.mpeg1 = version_bits == 0b11
        self.layer = layer
        self.rate = _SAMPLE_RATES[version_bits][header >> 10 & 0b11]
        bitrate = _BITRATES[(self.mpeg1, layer)][header >> 12 & 0xF] * 1000
        padding = header >> 9 & 1
        self.channels = 1 if header >> 6 & 0b11 == 0b11 else 2
        if layer == 1:
            self.samples, self.length = 384, (12 * bitrate // self.rate + padding) * 4
        elif layer == 2 or self.mpeg1:
            self.samples, self.length = 1152, 144 * bitrate // self.rate + padding
        else:
            self.samples, self.length = 576, 72 * bitrate // self.rate + padding

    @staticmethod
    def is_free_format(raw: bytes) -> bool:
        """True for a valid header of a free-format frame (bit rate index 0: its length is not said).

        :param raw: the four bytes where a frame should start.
        """
        if len(raw) < 4:
            return False
        header = struct.unpack(">I", raw)[0]
        version_bits, layer_bits = header >> 19 & 0b11, header >> 17 & 0b11
        return (
            header >> 21 == 0x7FF
            and version_bits != 0b01
            and layer_bits != 0
            and header >> 12 & 0xF == 0
            and header >> 10 & 0b11 != 3
        )

    @staticmethod
    def parse(raw: bytes) -> _MpegFrame | None:
        """The frame a 4-byte header describes, or None if those bytes are not a usable header.

        :param raw: the four bytes where a frame should start.
        """
        if len(raw) < 4:
            return None
        header = struct.unpack(">I", raw)[0]
        if header >> 21 != 0x7FF:  # frame sync: 11 set bits
            return None
        version_bits, layer_bits = header >> 19 & 0b11, header >> 17 & 0b11
        bitrate_index, rate_index = header >> 12 & 0xF, header >> 10 & 0b11
        if version_bits == 0b01 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
            return None
        return _MpegFrame(header)

    def side_info_bytes(self) -> int:
        """Size of the Layer III side information that follows the 4-byte header."""
        if self.mpeg1:
            return 17 if self.channels == 1 else 32
        return 9 if self.channels == 1 else 17


def _is_info_frame(frame: _MpegFrame, body: bytes) -> bool:
    """Whether a frame holds an encoder's Xing/Info or VBRI header rather than audio.

    :param frame: the frame's parsed header.
    :param body: the frame's bytes, from its header on.
    """
    if frame.layer != 3:
        return False
    xing_at = 4 + frame.side_info_bytes()
    return body[xing_at : xing_at + 4] in _INFO_TAGS or body[_VBRI_OFFSET : _VBRI_OFFSET + 4] == b"VBRI"


def _id3v2_length(head: bytes) -> int:
    """Bytes taken by an ID3v2 tag at the start of a file (0 when there is none).

    :param head: the file's first 10 bytes.
    """
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:  # syncsafe: 7 bits a byte
        size = size << 7 | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def read_mp3(path: Path) -> tuple[float, int] | None:
    """Walk every MPEG audio frame of a file and add up their samples / rate.

    The walk starts after an ID3v2 tag and stops at the end of the file or at the first bytes that
    are not a whole, valid frame (an ID3v1 tag, junk, a truncated frame). A Xing/Info/VBRI frame
    at the start is skipped. Returns None for a free-format stream, or AAC after an ID3v2 tag
    (their length is not read).

    :param path: the MP3 file.
    :raises UndecodableAudio: when no audio frame is found.
    """
    samples_by_rate: dict[int, int] = {}
    channels = 0
    with open(path, "rb") as handle:
        end = handle.seek(0, 2)
        handle.seek(0)
        offset = _id3v2_length(handle.read(10))
        tagged = offset > 0
        handle.seek(offset)
        start = handle.read(4)
        first = True
        while offset + 4 <= end:
            handle.seek(offset)
            raw = handle.read(4)
            frame = _MpegFrame.parse(raw)
            if frame is None or offset + frame.length > end:
                break
            if first:
                first = False
                body = raw + handle.read(_VBRI_OFFSET)  # up to the end of a VBRI tag
                if _is_info_frame(frame, body):
                    offset += frame.length
                    continue
            samples_by_rate[frame.rate] = samples_by_rate.get(frame.rate, 0) + frame.samples
            channels = channels or frame.channels
            offset += frame.length
    if not samples_by_rate:
        if _MpegFrame.is_free_format(start) or (tagged and is_adts(start)):
            return None
        raise UndecodableAudio("no MPEG audio frame")
    return sum(samples / rate for rate, samples in samples_by_rate.items()), channels


def is_adts(head: bytes) -> bool:
    """True when bytes start with an ADTS AAC frame header (12 sync bits, then layer 00).

    :param head: the first bytes of a file, or those after its ID3v2 tag.
    """
    return len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def read_flac(path: Path) -> tuple[float, int] | None:
    """Read a FLAC file's duration (total samples / rate) and channels from its STREAMINFO block.

    Returns None when the block says the total is unknown (0), as a streamed encoder writes it.

    :param path: the FLAC file.
    :raises UndecodableAudio: when the block is missing or gives a sample rate of 0.
    """
    with open(path, "rb") as handle:
        head = handle.read(4 + 4 + 34)
    if len(head) < 42 or head[:4] != b"fLaC" or head[4] & 0x7F != 0:  # block type 0: STREAMINFO
        raise UndecodableAudio("its FLAC STREAMINFO block is missing")
    packed = int.from_bytes(head[18:26], "big")  # after block sizes (2+2) and frame sizes (3+3)
    rate = packed >> 44
    channels = (packed >> 41 & 0b111) + 1
    total_samples = packed & (1 << 36) - 1
    if rate == 0:
        raise UndecodableAudio("its FLAC STREAMINFO block gives a sample rate of 0")
    if total_samples == 0:
        return None
    return total_samples / rate, channels


def _boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """The MP4 boxes between two offsets, as ``(type, body start, body end)``.

    :param handle: the open file.
    :param start: where the first box begins.
    :param end: where the enclosing box (or the file) ends.
    """
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:  # a 64-bit size follows the type
            large = handle.read(8)
            if len(large) < 8:
                return
            size, header = struct.unpack(">Q", large)[0], 16
        elif size == 0:  # the box runs to the end
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def read_mp4(path: Path) -> tuple[float, int] | None:
    """Read an MP4/M4A file's duration (duration / timescale) from ``moov``/``mvhd``, wherever ``moov`` is.

    Returns None when its duration is 0 or all ones (unknown, as in a fragmented file). The
    channel count is not read (1).

    :param path: the MP4 file.
    :raises UndecodableAudio: when there is no whole ``moov`` box with an ``mvhd`` that parses.
    """
    with open(path, "rb") as handle:
        end = handle.seek(0, 2)
        for kind, body_start, body_end in _boxes(handle, 0, end):
            if kind != b"moov":
                continue
            for child, mvhd_start, mvhd_end in _boxes(handle, body_start, body_end):
                if child == b"mvhd":
                    handle.seek(mvhd_start)
                    return _mvhd_seconds(handle.read(min(mvhd_end - mvhd_start, 32)))
            raise UndecodableAudio("its MP4 'moov' box has no 'mvhd' box")
    raise UndecodableAudio("no whole MP4 'moov' box")


def _mvhd_seconds(body: bytes) -> tuple[float, int] | None:
    """Duration / timescale from the start of an ``mvhd`` box's body (None when not known).

    :param body: version, flags and the time fields (at least 20 bytes, 32 for version 1).
    :raises UndecodableAudio: when the box does not parse or its timescale is 0.
    """
    if body[:1] == b"\x01" and len(body) >= 32:
        timescale, duration = struct.unpack(">IQ", body[20:32])
        unknown = (1 << 64) - 1
    elif body[:1] == b"\x00" and len(body) >= 20:
        timescale, duration = struct.unpack(">II", body[12:20])
        unknown = (1 << 32) - 1
    else:
        raise UndecodableAudio("its MP4 'mvhd' box does not parse")
    if timescale == 0:
        raise UndecodableAudio("its MP4 'mvhd' box gives a timescale of 0")
    if duration in (0, unknown):
        return None
    return duration / timescale, 1
