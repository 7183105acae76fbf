"""How long an uploaded audio file plays, read from the first bytes its upload sent, to predict
the job's length: a local file and an object in a store alike, with no read of its own.

Only WAV is read (its header says it exactly: data bytes / bytes per second). Other formats give
None: an estimate from size and a guessed bit rate can be off several times (VBR, mono speech at
32 kbit/s versus music at 320), and a wrong prediction costs more polls than none.
"""

from __future__ import annotations

import struct

from airflow_provider_aimlstt.multipart import UploadFile

_UNKNOWN_SIZE = 0xFFFFFFFF
"""A data size some streaming writers leave in the header: the data then runs to the file's end."""


def uploaded_duration(upload: UploadFile | None) -> float | None:
    """The duration of the audio an upload sent, from its head; None for a URL source (nothing
    uploaded) or a file that is not a readable WAV.

    :param upload: the create's upload, after it was sent.
    """
    if upload is None:
        return None
    return duration_from_header(bytes(upload.head), upload.size)


def duration_from_header(head: bytes, file_size: int) -> float | None:
    """The duration a WAV header gives; None when ``head`` is not one.

    :param head: the file's first bytes.
    :param file_size: the whole file's size in bytes (bounds a data chunk that claims more).
    """
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
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
