"""Compressed audio files built byte by byte for tests: MP3 (constant or variable bit rate, with or
without an ID3v2 tag and a Xing header), FLAC, MP4/M4A, Ogg (Opus, Vorbis) and WebM/Matroska. The
audio payload is silence-sized zeros; the headers are those an encoder writes, so any reader that
follows the formats' own specifications finds the duration these builders were asked for.
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


def _ogg_crc(data: bytes) -> int:
    """The CRC-32 of an Ogg page (polynomial 0x04C11DB7, not reflected, initial value 0)."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1 ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def ogg_page(serial: int, sequence: int, granule: int, packet: bytes, kind: int = 0) -> bytes:
    """One Ogg page holding one whole packet (under 255 x 255 bytes), with its CRC.

    :param serial: the logical stream's serial number.
    :param sequence: the page's number in its stream.
    :param granule: the granule position (-1: no packet ends on this page).
    :param packet: the page's data.
    :param kind: header type flags: 0x02 begins the stream, 0x04 ends it, 0x01 continues a packet.
    """
    lacing = [255] * (len(packet) // 255) + [len(packet) % 255]
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, kind, granule, serial, sequence, 0, len(lacing))
    page = header + bytes(lacing) + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def opus_head(channels: int = 1, pre_skip: int = 312, input_rate: int = 16000) -> bytes:
    """An Opus identification header (``OpusHead``), mapping family 0.

    :param channels: 1 or 2.
    :param pre_skip: samples (at 48 kHz) the decoder drops at the start.
    :param input_rate: the rate of the encoder's input (information only: Opus plays at 48 kHz).
    """
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, pre_skip, input_rate, 0, 0)


def vorbis_identification(sample_rate: int, channels: int = 1) -> bytes:
    """A Vorbis identification header (packet type 1).

    :param sample_rate: samples per second.
    :param channels: the channel count.
    """
    return b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, channels, sample_rate, 0, 64000, 0, 0xB8, 1)


def ogg_stream(
    identification: bytes, granules: Sequence[int], serial: int = 1, page_bytes: int = 4000
) -> list[bytes]:
    """The pages of one logical stream: its identification header, a comment header, then audio pages.

    :param identification: the first packet (:func:`opus_head` or :func:`vorbis_identification`).
    :param granules: the granule position of each audio page, in order (-1: no packet ends there).
    :param serial: the stream's serial number.
    :param page_bytes: zeros standing for each audio page's packets.
    """
    comment = b"OpusTags" if identification.startswith(b"OpusHead") else b"\x03vorbis"
    pages = [ogg_page(serial, 0, 0, identification, kind=0x02), ogg_page(serial, 1, 0, comment + bytes(16))]
    for number, granule in enumerate(granules):
        last = number == len(granules) - 1
        pages.append(ogg_page(serial, number + 2, granule, bytes(page_bytes), kind=0x04 if last else 0))
    return pages


def ebml_element(element_id: int, body: bytes, unknown_size: bool = False) -> bytes:
    """One EBML element: its ID (as written, marker bits included), its size, its body.

    :param element_id: e.g. ``0x18538067`` for a Segment.
    :param body: the element's body (for a master element, its children one after another).
    :param unknown_size: write the size as "unknown" (all ones), as live recordings do.
    """
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    size = b"\x01\xff\xff\xff\xff\xff\xff\xff" if unknown_size else (1 << 56 | len(body)).to_bytes(8, "big")
    return id_bytes + size + body


def ebml_uint(element_id: int, value: int) -> bytes:
    """An unsigned-integer element.

    :param element_id: the element's ID.
    :param value: its value.
    """
    return ebml_element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def matroska_block(track: int, relative_ms: int, payload_bytes: int = 60) -> bytes:
    """A (Simple)Block's body: track number, timestamp relative to its cluster, flags, data.

    :param track: the track number (under 127).
    :param relative_ms: the timestamp relative to the cluster's.
    :param payload_bytes: zeros standing for the frame.
    """
    return bytes([0x80 | track]) + struct.pack(">hB", relative_ms, 0x80) + bytes(payload_bytes)


def webm_bytes(
    blocks_ms: Sequence[int],
    duration: float | None = None,
    timestamp_scale: int = 1_000_000,
    default_duration_ns: int | None = None,
    channels: int = 1,
    live: bool = False,
    cluster_ms: int = 1000,
    other_track_blocks_ms: Sequence[int] = (),
) -> bytes:
    """A WebM file with one audio track (track 1) of SimpleBlocks at the given times.

    :param blocks_ms: each audio block's absolute timestamp, in timestamp units (ms at the default scale).
    :param duration: the Segment Info's Duration, in timestamp units (None: no Duration element).
    :param timestamp_scale: nanoseconds per timestamp unit.
    :param default_duration_ns: the audio track's DefaultDuration (None: not written).
    :param channels: the audio track's channel count.
    :param live: write the Segment and the Clusters with unknown sizes, as a live recorder does.
    :param cluster_ms: timestamp units each cluster covers.
    :param other_track_blocks_ms: blocks of a video track (track 2) at these times.
    """
    header = ebml_element(0x1A45DFA3, ebml_uint(0x4286, 1) + ebml_element(0x4282, b"webm"))
    info = ebml_uint(0x2AD7B1, timestamp_scale) + ebml_element(0x4D80, b"tests")
    if duration is not None:
        info += ebml_element(0x4489, struct.pack(">d", duration))
    audio = ebml_uint(0xD7, 1) + ebml_uint(0x83, 2) + ebml_element(0x86, b"A_OPUS")
    if default_duration_ns is not None:
        audio += ebml_uint(0x23E383, default_duration_ns)
    audio += ebml_element(0xE1, ebml_element(0xB5, struct.pack(">d", 48000.0)) + ebml_uint(0x9F, channels))
    tracks = ebml_element(0xAE, audio)
    if other_track_blocks_ms:
        tracks += ebml_element(0xAE, ebml_uint(0xD7, 2) + ebml_uint(0x83, 1) + ebml_element(0x86, b"V_VP8"))
    timed = sorted([(at, 1) for at in blocks_ms] + [(at, 2) for at in other_track_blocks_ms])
    clusters = b""
    for start in range(0, (timed[-1][0] if timed else 0) + 1, cluster_ms):
        inside = [(at, track) for at, track in timed if start <= at < start + cluster_ms]
        body = ebml_uint(0xE7, start) + b"".join(
            ebml_element(0xA3, matroska_block(track, at - start)) for at, track in inside
        )
        clusters += ebml_element(0x1F43B675, body, unknown_size=live)
    segment = ebml_element(0x1549A966, info) + ebml_element(0x1654AE6B, tracks) + clusters
    return header + ebml_element(0x18538067, segment, unknown_size=live)
