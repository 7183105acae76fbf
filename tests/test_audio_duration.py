"""The duration an upload's head gives: WAV, MP3, FLAC and MP4, and the heads that give none."""

from __future__ import annotations

import struct

import pytest

from airflow_provider_aimlstt.audio_duration import duration_from_header
from airflow_provider_aimlstt.multipart import HEAD_BYTES
from tests.encoded_audio import flac_bytes, mp3_bytes, mp3_seconds, mp4_bytes


def _read(data: bytes) -> float | None:
    """What the head an upload keeps of ``data`` tells."""
    return duration_from_header(data[:HEAD_BYTES], len(data))


def test_wav_with_an_extra_chunk_or_a_streamed_size() -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    data = b"\0" * 16000  # one second
    listing = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\0"  # odd size: padded
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + listing
    exact = b"RIFF" + struct.pack("<I", 0) + body + b"data" + struct.pack("<I", len(data)) + data
    assert duration_from_header(exact, len(exact)) == pytest.approx(1.0)
    streamed = b"RIFF" + struct.pack("<I", 0) + body + b"data" + struct.pack("<I", 0xFFFFFFFF) + data
    assert duration_from_header(streamed, len(streamed)) == pytest.approx(1.0)
    assert duration_from_header(exact[:30], len(exact)) is None  # cut before the data chunk
    no_fmt = b"RIFF" + struct.pack("<I", 0) + b"WAVE" + b"data" + struct.pack("<I", 4) + b"\0" * 4
    assert duration_from_header(no_fmt, len(no_fmt)) is None


@pytest.mark.parametrize(
    ("bitrates", "sample_rate", "mono"),
    [
        ([64] * 2000, 16000, True),  # speech: MPEG-2, 576 samples a frame; 72 s, past the head
        ([128] * 300, 48000, False),  # MPEG-1 stereo
        ([32] * 500, 8000, True),  # MPEG-2.5
    ],
)
def test_a_constant_bit_rate_mp3_is_its_size_at_that_rate(
    bitrates: list[int], sample_rate: int, mono: bool
) -> None:
    data = mp3_bytes(bitrates, sample_rate, mono)
    assert _read(data) == pytest.approx(mp3_seconds(len(bitrates), sample_rate))
    tagged = mp3_bytes(bitrates, sample_rate, mono, id3_tag_bytes=4000)
    assert _read(tagged) == pytest.approx(mp3_seconds(len(bitrates), sample_rate))  # the tag is not audio


def test_a_variable_bit_rate_mp3_is_its_info_frames_count() -> None:
    bitrates = [32, 64, 160] * 700  # at the first frame's rate the size would say about 2.7x as long
    data = mp3_bytes(bitrates, 16000, xing=True, id3_tag_bytes=1000)
    assert _read(data) == pytest.approx(mp3_seconds(len(bitrates), 16000))
    stereo = mp3_bytes(bitrates, 44100, mono=False, xing=True)
    assert _read(stereo) == pytest.approx(mp3_seconds(len(bitrates), 44100))


def test_flac_is_its_sample_count() -> None:
    assert _read(flac_bytes(16000 * 95, 16000)) == pytest.approx(95.0)
    assert _read(flac_bytes(44100 * 30, 44100, channels=2)) == pytest.approx(30.0)
    assert _read(flac_bytes(0)) is None  # STREAMINFO's "unknown"


@pytest.mark.parametrize("version", [0, 1])
def test_an_mp4_with_its_movie_header_first_is_read(version: int) -> None:
    assert _read(mp4_bytes(44100 * 125, 44100, version=version)) == pytest.approx(125.0)
    assert _read(mp4_bytes(1000 * 3, 1000, moov_first=False, version=version)) == pytest.approx(3.0)


def test_heads_that_do_not_tell_give_nothing() -> None:
    big_tag = mp3_bytes([64] * 10, id3_tag_bytes=HEAD_BYTES)  # cover art larger than the head
    assert _read(big_tag) is None
    late_moov = mp4_bytes(1000, 1000)
    moov_at = late_moov.index(b"moov") - 4
    mdat = struct.pack(">I", 8 + HEAD_BYTES) + b"mdat" + bytes(HEAD_BYTES)
    assert _read(late_moov[:moov_at] + mdat + late_moov[moov_at:]) is None  # the header comes after the head
    assert _read(b"OggS" + bytes(500)) is None
    false_sync = b"\xff\xfb\x90\x00" + b"\x12" * 600  # a frame-like start, then no second frame
    assert _read(false_sync) is None
    assert _read(b"\xff\xfb\x00\x00" + bytes(600)) is None  # free format: no bit rate to go on
    assert _read(mp3_bytes([64] * 3)[:2]) is None
