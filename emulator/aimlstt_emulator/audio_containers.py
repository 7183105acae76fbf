"""Exact durations of Ogg and WebM/Matroska audio, read from the container's own timing.

- Ogg (Opus, Vorbis): every page is walked; a logical stream's duration is the granule position
  of its last page that has one, less the Opus pre-skip, over the codec's rate (48 kHz for Opus,
  the identification header's sample rate for Vorbis). Chained streams (one after another) add up;
  of streams played together, the first audio one counts.
- WebM/Matroska: the Segment Info's Duration times its TimestampScale; when the file has no
  Duration (a live recording, such as a browser's MediaRecorder writes), the end of its last
  audio block: the cluster's timestamp plus the block's, plus the block's duration when the file
  says it (BlockDuration, or the track's DefaultDuration). Elements of unknown size (live
  Segments and Clusters) are read through.

Each reader returns ``(seconds, channels)``, or None when the file's valid headers do not tell
(the caller then estimates), and raises :class:`~aimlstt_emulator.exceptions.UndecodableAudio` when
no audio can be found in it. Files are read by seeking (Ogg) or mapped into memory (Matroska),
never loaded whole.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from aimlstt_emulator.exceptions import UndecodableAudio

# The bytes of a file being read: mapped (mmap) or in memory.
Buffer = bytes | mmap.mmap

OPUS_RATE = 48_000
_OGG_CAPTURE = b"OggS"
_OGG_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, type, granule, serial, sequence, CRC, segments
_OGG_BEGINNING_OF_STREAM = 0x02
_NO_GRANULE = -1  # no packet ends on the page


@dataclass
class _OggStream:
    """One logical audio stream of an Ogg file.

    :param rate: granule positions per second.
    :param channels: its channel count.
    :param pre_skip: granules to drop at the start (Opus), 0 otherwise.
    :param last_granule: the granule position of its last page that has one (None: none yet).
    """

    rate: int
    channels: int
    pre_skip: int = 0
    last_granule: int | None = None

    def seconds(self) -> float | None:
        """How long the stream plays, or None when no page said."""
        if self.last_granule is None or self.rate <= 0:
            return None
        return max(self.last_granule - self.pre_skip, 0) / self.rate


def _ogg_audio_stream(first_packet: bytes) -> _OggStream | None:
    """The stream an identification header opens, or None when it is not Opus or Vorbis audio.

    :param first_packet: the start of the stream's first page's data.
    """
    if first_packet.startswith(b"OpusHead") and len(first_packet) >= 19:
        channels = first_packet[9]
        (pre_skip,) = struct.unpack_from("<H", first_packet, 10)
        return _OggStream(OPUS_RATE, channels, pre_skip)
    if first_packet.startswith(b"\x01vorbis") and len(first_packet) >= 16:
        channels = first_packet[11]
        (rate,) = struct.unpack_from("<I", first_packet, 12)
        return _OggStream(rate, channels)
    return None


def read_ogg(path: Path) -> tuple[float, int] | None:
    """Walk an Ogg file's pages; its duration from the last granule position of its audio streams.

    The walk stops at the end of the file or at the first bytes that are not a whole page.
    Returns None when no stream is Opus or Vorbis (Speex, FLAC: their length is not read), and
    0 seconds when one is but no page of it says a granule position.

    :param path: the Ogg file.
    :raises UndecodableAudio: when no logical stream begins in the file's whole pages.
    """
    chains: list[_OggStream] = []  # the audio stream that counts, of each chain in turn
    counted: dict[int, _OggStream] = {}  # serial number -> that stream, in the current chain
    in_chain_start = False
    begun = 0  # logical streams begun
    with open(path, "rb") as handle:
        end = handle.seek(0, 2)
        offset = 0
        while offset + _OGG_HEADER.size <= end:
            handle.seek(offset)
            header = handle.read(_OGG_HEADER.size)
            capture, version, kind, granule, serial, _, _, segments = _OGG_HEADER.unpack(header)
            lacing = handle.read(segments)
            body_length = sum(lacing)
            if capture != _OGG_CAPTURE or version != 0 or len(lacing) < segments:
                break
            if offset + _OGG_HEADER.size + segments + body_length > end:
                break
            if kind & _OGG_BEGINNING_OF_STREAM:
                begun += 1
                if not in_chain_start:  # a stream begins after others' pages: a new chain
                    counted = {}
                    in_chain_start = True
                stream = _ogg_audio_stream(handle.read(min(body_length, 64)))
                if stream is not None and not counted:  # the chain's first audio stream
                    chains.append(stream)
                    counted[serial] = stream
            else:
                in_chain_start = False
                stream_of_page = counted.get(serial)
                if stream_of_page is not None and granule != _NO_GRANULE:
                    stream_of_page.last_granule = granule
            offset += _OGG_HEADER.size + segments + body_length
    if not begun:
        raise UndecodableAudio("no Ogg stream begins in its pages")
    if not chains:
        return None
    durations = [seconds for stream in chains if (seconds := stream.seconds()) is not None]
    return sum(durations), chains[0].channels or 1


# Matroska element IDs (with their length marker bits, as written in files).
_EBML = 0x1A45DFA3
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMESTAMP_SCALE = 0x2AD7B1
_DURATION = 0x4489
_TRACKS = 0x1654AE6B
_TRACK_ENTRY = 0xAE
_TRACK_NUMBER = 0xD7
_TRACK_TYPE = 0x83
_DEFAULT_DURATION = 0x23E383
_AUDIO = 0xE1
_CHANNELS = 0x9F
_CLUSTER = 0x1F43B675
_CLUSTER_TIMESTAMP = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_BLOCK_DURATION = 0x9B
# Master elements read into: their children are walked as if they followed them.
_MASTERS = frozenset({_SEGMENT, _INFO, _TRACKS, _TRACK_ENTRY, _AUDIO, _CLUSTER, _BLOCK_GROUP})
_AUDIO_TRACK = 2
_DEFAULT_TIMESTAMP_SCALE = 1_000_000  # nanoseconds per timestamp unit
_NO_MATROSKA_AUDIO = "no audio block and no duration in its WebM/Matroska elements"


def _vint(data: Buffer, at: int, keep_marker: bool) -> tuple[int, int, bool] | None:
    """One EBML variable-length integer: ``(value, bytes it takes, all value bits set)``, or None.

    :param data: the file's bytes.
    :param at: where the integer starts.
    :param keep_marker: keep the length marker bit (element IDs) or drop it (sizes).
    """
    if at >= len(data) or data[at] == 0:
        return None
    length = 9 - data[at].bit_length()
    if at + length > len(data):
        return None
    value = int.from_bytes(data[at : at + length], "big")
    marker = 1 << (7 * length)
    unmarked = value & (marker - 1)
    return (value if keep_marker else unmarked), length, unmarked == marker - 1


@dataclass
class _MatroskaTiming:
    """What a Matroska walk learns of the timing of its audio."""

    timestamp_scale: int = _DEFAULT_TIMESTAMP_SCALE
    duration_units: float | None = None
    channels: int = 0
    cluster_timestamp: int = 0
    last_block_end_ns: int | None = None
    track_number: int = 0
    track_type: int = 0
    track_default_ns: int = 0
    audio_tracks: dict[int, int] | None = None  # audio track number -> its DefaultDuration (ns)
    pending_block: tuple[int, int] | None = None  # a BlockGroup's block: (track, start in units)

    def end_track_entry(self) -> None:
        """Record the track entry just read, if it is audio."""
        if self.track_type == _AUDIO_TRACK:
            self.audio_tracks = {**(self.audio_tracks or {}), self.track_number: self.track_default_ns}
        self.track_number = self.track_type = self.track_default_ns = 0

    def block(self, track: int, start_units: int, duration_units: int | None) -> None:
        """Note a block of ``track`` that starts at ``start_units`` (absolute, in timestamp units).

        :param track: its track number.
        :param start_units: the cluster's timestamp plus the block's.
        :param duration_units: its BlockDuration, when the file gives one.
        """
        if self.audio_tracks is not None and track not in self.audio_tracks:
            return
        if duration_units is not None:
            length_ns = duration_units * self.timestamp_scale
        else:
            length_ns = (self.audio_tracks or {}).get(track, 0)
        end_ns = start_units * self.timestamp_scale + length_ns
        if self.last_block_end_ns is None or end_ns > self.last_block_end_ns:
            self.last_block_end_ns = end_ns


def _read_uint(data: Buffer, at: int, size: int) -> int:
    return int.from_bytes(data[at : at + size], "big") if 0 < size <= 8 else 0


def _block_start(data: Buffer, at: int, size: int, cluster_timestamp: int) -> tuple[int, int] | None:
    """A Block's or SimpleBlock's track and absolute start (timestamp units), from its first bytes.

    :param data: the file's bytes.
    :param at: where the block's body starts.
    :param size: the body's size.
    :param cluster_timestamp: the enclosing cluster's timestamp.
    """
    track = _vint(data, at, keep_marker=False)
    if track is None or size < track[1] + 2:
        return None
    (relative,) = struct.unpack_from(">h", data, at + track[1])
    return track[0], cluster_timestamp + relative


def read_webm(path: Path) -> tuple[float, int]:
    """Read a WebM/Matroska file's duration: Segment Info's Duration, else the end of its last block.

    :param path: the WebM/Matroska file.
    :raises UndecodableAudio: when the file has neither (or is not Matroska).
    """
    with open(path, "rb") as handle:
        if handle.seek(0, 2) == 0:
            raise UndecodableAudio(_NO_MATROSKA_AUDIO)
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            timing = _walk_matroska(data)
    if timing.pending_block is not None:
        timing.block(*timing.pending_block, None)
    if timing.duration_units is not None and timing.duration_units > 0:
        seconds = timing.duration_units * timing.timestamp_scale / 1e9
    elif timing.last_block_end_ns is not None and timing.last_block_end_ns > 0:
        seconds = timing.last_block_end_ns / 1e9
    else:
        raise UndecodableAudio(_NO_MATROSKA_AUDIO)
    return seconds, timing.channels or 1


def _walk_matroska(data: Buffer) -> _MatroskaTiming:
    """Walk a Matroska file's elements, into the masters that hold timing; what it learns.

    :param data: the file's bytes.
    """
    timing = _MatroskaTiming()
    open_track_entry_ends: list[int] = []
    end = len(data)
    offset = 0
    while offset < end:
        while open_track_entry_ends and offset >= open_track_entry_ends[-1]:
            open_track_entry_ends.pop()
            timing.end_track_entry()
        element = _vint(data, offset, keep_marker=True)
        size = None if element is None else _vint(data, offset + element[1], keep_marker=False)
        if element is None or size is None:
            break
        element_id, body_size, unknown_size = element[0], size[0], size[2]
        body = offset + element[1] + size[1]
        if element_id in _MASTERS:
            if element_id == _CLUSTER and timing.duration_units is not None:
                break  # Info came first and told the duration: no need to walk the blocks
            if element_id in (_CLUSTER, _BLOCK_GROUP) and timing.pending_block is not None:
                timing.block(*timing.pending_block, None)
                timing.pending_block = None
            if element_id == _TRACK_ENTRY and not unknown_size:
                open_track_entry_ends.append(body + body_size)
            offset = body
            continue
        if unknown_size or body + body_size > end:
            break
        _read_element(data, body, element_id, body_size, timing)
        offset = body + body_size
    while open_track_entry_ends:
        open_track_entry_ends.pop()
        timing.end_track_entry()
    return timing


def _read_element(data: Buffer, at: int, element_id: int, size: int, timing: _MatroskaTiming) -> None:
    """Take what the timing needs from one non-master element.

    :param data: the file's bytes.
    :param at: where the element's body starts.
    :param element_id: the element's ID.
    :param size: its body's size.
    :param timing: what the walk has learnt so far.
    """
    if element_id == _TIMESTAMP_SCALE:
        timing.timestamp_scale = _read_uint(data, at, size) or _DEFAULT_TIMESTAMP_SCALE
    elif element_id == _DURATION and size in (4, 8):
        (timing.duration_units,) = struct.unpack_from(">f" if size == 4 else ">d", data, at)
    elif element_id == _TRACK_NUMBER:
        timing.track_number = _read_uint(data, at, size)
    elif element_id == _TRACK_TYPE:
        timing.track_type = _read_uint(data, at, size)
    elif element_id == _DEFAULT_DURATION:
        timing.track_default_ns = _read_uint(data, at, size)
    elif element_id == _CHANNELS:
        timing.channels = timing.channels or _read_uint(data, at, size)
    elif element_id == _CLUSTER_TIMESTAMP:
        timing.cluster_timestamp = _read_uint(data, at, size)
    elif element_id == _SIMPLE_BLOCK:
        start = _block_start(data, at, size, timing.cluster_timestamp)
        if start is not None:
            timing.block(*start, None)
    elif element_id == _BLOCK:
        timing.pending_block = _block_start(data, at, size, timing.cluster_timestamp)
    elif element_id == _BLOCK_DURATION and timing.pending_block is not None:
        timing.block(*timing.pending_block, _read_uint(data, at, size))
        timing.pending_block = None
