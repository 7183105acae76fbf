"""Compressed audio files built byte by byte for tests: MP3 (constant or variable bit rate, with or
without an ID3v2 tag and a Xing header), FLAC and MP4/M4A. The audio payload is silence-sized
zeros; the headers are those an encoder writes, so any reader that follows the formats' own
specifications finds the duration these builders were asked for.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

# Layer III bit rates (kbit/s) by index: MPEG-1, and MPEG-2/2.5.
_MPEG1_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_BITRATES = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}
_VERSION_BITS = {1: 0b11, 2: 0b10, 25: 0b00}


def mp3_frame(bitrate_kbps: int, sample_rate: int, mono: bool = True, payload: bytes = b"") -> bytes:
    """One MPEG Layer III frame: its 4-byte header, then ``payload``, then zeros to the frame's length.

    :param bitrate_kbps: the frame's bit rate, one of its MPEG version's table.
    :param sample_rate: one of the MPEG-1, MPEG-2 or MPEG-2.5 rates; it chooses the version.
    :param mono: single channel (otherwise stereo).
    :param payload: bytes right after the header (a Xing header goes here, after the side info).
    """
    version = next(v for v, rates in _SAMPLE_RATES.items() if sample_rate in rates)
    bitrates = _MPEG1_BITRATES if version == 1 else _MPEG2_BITRATES
    samples = 1152 if version == 1 else 576
    length = samples // 8 * bitrate_kbps * 1000 // sample_rate
    header = (
        0xFFE00000
        | _VERSION_BITS[version] << 19
        | 0b01 << 17  # Layer III
        | 1 << 16  # no CRC
        | bitrates.index(bitrate_kbps) << 12
        | _SAMPLE_RATES[version].index(sample_rate) << 10
        | (0b11 if mono else 0b00) << 6
    )
    frame = struct.pack(">I", header) + payload
    return frame + bytes(length - len(frame))


def mp3_bytes(
    bitrates_kbps: Sequence[int],
    sample_rate: int = 16000,
    mono: bool = True,
    xing: bool = False,
    id3_tag_bytes: int = 0,
) -> bytes:
    """An MP3 file of one frame per item of ``bitrates_kbps``.

    :param bitrates_kbps: each audio frame's bit rate: all alike is a constant bit rate file.
    :param sample_rate: the frames' sample rate (16 kHz speech is MPEG-2: 576 samples a frame).
    :param mono: single channel (otherwise stereo).
    :param xing: start with a Xing frame that counts the audio frames, as a VBR encoder writes.
    :param id3_tag_bytes: size of an ID3v2 tag before the audio (0 for none).
    """
    out = bytearray()
    if id3_tag_bytes:
        syncsafe = bytes((id3_tag_bytes >> shift) & 0x7F for shift in (21, 14, 7, 0))
        out += b"ID3\x04\x00\x00" + syncsafe + bytes(id3_tag_bytes)
    if xing:
        version_one = sample_rate in _SAMPLE_RATES[1]
        side_info = (17 if mono else 32) if version_one else (9 if mono else 17)
        tag = b"Xing" + struct.pack(">II", 0x1, len(bitrates_kbps))  # flags: frame count present
        out += mp3_frame(bitrates_kbps[0], sample_rate, mono, bytes(side_info) + tag)
    for bitrate in bitrates_kbps:
        out += mp3_frame(bitrate, sample_rate, mono)
    return bytes(out)


def mp3_seconds(frames: int, sample_rate: int) -> float:
    """How long ``frames`` Layer III frames at ``sample_rate`` play.

    :param frames: the number of audio frames.
    :param sample_rate: their sample rate.
    """
    return frames * (1152 if sample_rate in _SAMPLE_RATES[1] else 576) / sample_rate


def flac_bytes(
    total_samples: int, sample_rate: int = 16000, channels: int = 1, audio_bytes: int = 4096
) -> bytes:
    """A FLAC file: the marker, a STREAMINFO block (the last metadata block), then ``audio_bytes``.

    :param total_samples: the samples per channel STREAMINFO counts (0 means "unknown").
    :param sample_rate: samples per second.
    :param channels: 1 to 8.
    :param audio_bytes: zeros standing for the frames.
    """
    packed = sample_rate << 44 | (channels - 1) << 41 | (16 - 1) << 36 | total_samples
    info = struct.pack(">HH", 4096, 4096) + bytes(6) + packed.to_bytes(8, "big") + bytes(16)
    block_header = bytes([0x80]) + len(info).to_bytes(3, "big")  # last block, type 0 (STREAMINFO)
    return b"fLaC" + block_header + info + bytes(audio_bytes)


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", 8 + len(body)) + kind + body


def mp4_bytes(duration_units: int, timescale: int, moov_first: bool = True, version: int = 0) -> bytes:
    """An MP4/M4A file: ``ftyp``, ``moov`` holding an ``mvhd``, and an ``mdat`` of zeros.

    :param duration_units: the movie's duration in ``timescale`` units.
    :param timescale: units per second.
    :param moov_first: ``moov`` before ``mdat`` (a "fast start" file), otherwise after it.
    :param version: the ``mvhd`` version: 0 (32-bit times) or 1 (64-bit).
    """
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration_units)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration_units)
    mvhd = _box(b"mvhd", bytes([version, 0, 0, 0]) + times + bytes(80))
    moov = _box(b"moov", mvhd + _box(b"free", bytes(32)))
    ftyp = _box(b"ftyp", b"M4A " + struct.pack(">I", 0) + b"M4A isom")
    mdat = _box(b"mdat", bytes(8192))
    return ftyp + (moov + mdat if moov_first else mdat + moov)
