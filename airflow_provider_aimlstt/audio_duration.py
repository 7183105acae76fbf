"""How long an uploaded audio file plays, read from the first bytes its upload sent, to predict
the job's length: a local file and an object in a store alike, with no read of its own.

Read where the head says it: WAV (data bytes / bytes per second), MP3 (the frame count of a
Xing, Info or VBRI header, else the file's size at the first frame's constant bit rate), FLAC
(STREAMINFO's sample count) and MP4/M4A whose ``moov`` comes first. Anything else gives None
(Ogg, WebM, an MP4 with ``moov`` at its end, a tag larger than the head): a guessed bit rate can
be off several times (mono speech at 32 kbit/s versus music at 320), and a wrong prediction costs
more polls than none.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from airflow_provider_aimlstt.multipart import UploadFile

_UNKNOWN_SIZE = 0xFFFFFFFF
"""A data size some streaming writers leave in a WAV header: the data then runs to the file's end."""


def uploaded_duration(upload: UploadFile | None) -> float | None:
    """The duration of the audio an upload sent, from its head; None for a URL source (nothing
    uploaded) or a file whose head does not tell it.

    :param upload: the create's upload, after it was sent.
    """
    if upload is None:
        return None
    return duration_from_header(bytes(upload.head), upload.size)


def duration_from_header(head: bytes, file_size: int) -> float | None:
    """The duration the head of a WAV, MP3, FLAC or MP4 file gives; None when it does not give one.

    :param head: the file's first bytes.
    :param file_size: the whole file's size in bytes.
    """
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _wav_duration(head, file_size)
    audio_start = _after_id3_tag(head)
    if head[audio_start : audio_start + 4] == b"fLaC":
        return _flac_duration(head, audio_start + 4)
    if head[4:8] == b"ftyp":
        return _mp4_duration(head)
    return _mp3_duration(head, audio_start, file_size)


def _wav_duration(head: bytes, file_size: int) -> float | None:
    """Walk the RIFF chunks to ``data``; the ``fmt `` chunk before it gives the byte rate."""
    byte_rate: int | None = None
    position = 12
    while position + 8 <= len(head):
        chunk_id = head[position : position + 4]
        (chunk_size,) = struct.unpack_from("<I", head, position + 4)
        body = position + 8
        if chunk_id == b"fmt " and chunk_size >= 16 and body + 16 <= len(head):
            (byte_rate,) = struct.unpack_from("<I", head, body + 8)
        elif chunk_id == b"data":
            if not byte_rate:
                return None
            available = max(0, file_size - body)
            data_bytes = available if chunk_size == _UNKNOWN_SIZE else min(chunk_size, available)
            return data_bytes / byte_rate
        position = body + chunk_size + (chunk_size & 1)  # chunks are padded to an even size
    return None


def _after_id3_tag(head: bytes) -> int:
    """Where the audio starts: after an ID3v2 tag (10-byte header, syncsafe size, optional footer)."""
    if head[:3] != b"ID3" or len(head) < 10:
        return 0
    size = 0
    for byte in head[6:10]:
        size = size << 7 | (byte & 0x7F)
    footer = 10 if head[5] & 0x10 else 0
    return 10 + size + footer


def _flac_duration(head: bytes, block: int) -> float | None:
    """STREAMINFO, FLAC's first metadata block: rate (20 bits), channels, depth, then total samples
    (36 bits), after 10 bytes of block and frame sizes; a total of 0 means unknown."""
    fields = block + 4 + 10
    if len(head) < fields + 8 or head[block] & 0x7F != 0:
        return None
    packed = int.from_bytes(head[fields : fields + 8], "big")
    sample_rate, total_samples = packed >> 44, packed & (1 << 36) - 1
    if not sample_rate or not total_samples:
        return None
    return total_samples / sample_rate


def _mp4_duration(head: bytes) -> float | None:
    """The ``mvhd`` of a ``moov`` that starts in the head: its duration over its timescale."""
    moov = _find_box(head, b"moov", 0, len(head))
    if moov is None:
        return None
    mvhd = _find_box(head, b"mvhd", moov + 8, len(head))
    if mvhd is None:
        return None
    body = mvhd + 8
    if head[body : body + 1] == b"\x01":
        fields, layout = body + 4 + 16, ">IQ"  # 64-bit creation and modification times
    else:
        fields, layout = body + 4 + 8, ">II"
    if len(head) < fields + struct.calcsize(layout):
        return None
    timescale, duration = struct.unpack_from(layout, head, fields)
    return duration / timescale if timescale else None


def _find_box(head: bytes, kind: bytes, start: int, end: int) -> int | None:
    """The offset of the first box of ``kind`` among the boxes from ``start``, within the head."""
    position = start
    while position + 8 <= min(end, len(head)):
        (size,) = struct.unpack_from(">I", head, position)
        if head[position + 4 : position + 8] == kind:
            return position
        if size == 1 and position + 16 <= len(head):
            (size,) = struct.unpack_from(">Q", head, position + 8)
        if size < 8:  # 0 runs to the end of the file: nothing follows it
            return None
        position += size
    return None


# MPEG audio frame headers: version bits -> (version, sample rates); bit rates in kbit/s by
# (version, layer) and index 1 to 14 (0 is free format, 15 is reserved).
_VERSIONS = {
    0b11: (1, (44100, 48000, 32000)),
    0b10: (2, (22050, 24000, 16000)),
    0b00: (2, (11025, 12000, 8000)),
}
_LAYERS = {0b11: 1, 0b10: 2, 0b01: 3}
_SIDE_INFO_BYTES = {(1, False): 32, (1, True): 17, (2, False): 17, (2, True): 9}
"""What comes between a Layer III header and an encoder's Xing/Info header, by (version, mono)."""
_MPEG2_LOWER_LAYERS = (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_BITRATES = {
    (1, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): _MPEG2_LOWER_LAYERS,
    (2, 3): _MPEG2_LOWER_LAYERS,
}


@dataclass(frozen=True)
class _MpegFrame:
    """What an MPEG audio frame header says.

    :param version: 1 for MPEG-1, 2 for MPEG-2 and MPEG-2.5.
    :param layer: 1, 2 or 3.
    :param sample_rate: samples per second.
    :param bitrate: bits per second.
    :param mono: a single channel.
    :param samples: samples per frame.
    :param length: the frame's length in bytes, header included.
    """

    version: int
    layer: int
    sample_rate: int
    bitrate: int
    mono: bool
    samples: int
    length: int

    def continues(self, first: _MpegFrame) -> bool:
        """Whether this frame, right after ``first``, is of the same stream (it confirms ``first``).

        :param first: the frame before it.
        """
        return (self.version, self.layer, self.sample_rate) == (first.version, first.layer, first.sample_rate)

    def info_frame_count(self, head: bytes, position: int) -> int | None:
        """The frame count of an encoder's Xing/Info header (after the side info) or VBRI header
        (32 bytes after the frame header) in this frame at ``position``, when it has one.

        :param head: the file's first bytes.
        :param position: where this frame starts in ``head``.
        """
        xing = position + 4 + _SIDE_INFO_BYTES[(self.version, self.mono)]
        if head[xing : xing + 4] in (b"Xing", b"Info") and len(head) >= xing + 12:
            flags, frames = struct.unpack_from(">II", head, xing + 4)
            return frames if flags & 1 else None
        vbri = position + 4 + 32
        if head[vbri : vbri + 4] == b"VBRI" and len(head) >= vbri + 18:
            return int(struct.unpack_from(">I", head, vbri + 14)[0])
        return None


def _read_frame(head: bytes, position: int) -> _MpegFrame | None:
    """The frame header at ``position``; None when there is none (or a free-format one)."""
    if position + 4 > len(head):
        return None
    (header,) = struct.unpack_from(">I", head, position)
    version_bits, layer_bits = header >> 19 & 0b11, header >> 17 & 0b11
    bitrate_index, rate_index = header >> 12 & 0xF, header >> 10 & 0b11
    if header >> 21 != 0x7FF or version_bits == 0b01 or layer_bits == 0:
        return None
    if bitrate_index in (0, 15) or rate_index == 3:
        return None
    version, rates = _VERSIONS[version_bits]
    layer, sample_rate = _LAYERS[layer_bits], rates[rate_index]
    bitrate = _BITRATES[(version, layer)][bitrate_index - 1] * 1000
    padding = header >> 9 & 1
    if layer == 1:
        samples, length = 384, (12 * bitrate // sample_rate + padding) * 4
    else:
        samples = 576 if layer == 3 and version == 2 else 1152
        length = samples // 8 * bitrate // sample_rate + padding
    mono = header >> 6 & 0b11 == 0b11
    return _MpegFrame(version, layer, sample_rate, bitrate, mono, samples, length)


def _mp3_duration(head: bytes, audio_start: int, file_size: int) -> float | None:
    """From the first frame, confirmed by the next one when the head holds it: the frame count of
    an encoder's info frame, else the rest of the file at the first frame's bit rate."""
    frame = _read_frame(head, audio_start)
    if frame is None:
        return None
    following_at = audio_start + frame.length
    if following_at + 4 <= len(head):
        following = _read_frame(head, following_at)
        if following is None or not following.continues(frame):
            return None
    frames = frame.info_frame_count(head, audio_start)
    if frames is not None:
        return frames * frame.samples / frame.sample_rate
    return (file_size - audio_start) * 8 / frame.bitrate
