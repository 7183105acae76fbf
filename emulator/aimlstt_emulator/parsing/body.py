"""Reading a request body in pieces: by ``Content-Length`` or in ``chunked`` transfer coding."""

from __future__ import annotations

from email.message import Message
from typing import Protocol

from aimlstt_emulator.exceptions import ApiError, payload_too_large_error

CHUNK_BYTES = 64 * 1024
_MAX_CHUNK_LINE = 1024


class _Stream(Protocol):
    def read(self, size: int, /) -> bytes: ...

    def readline(self, size: int, /) -> bytes: ...


class RequestBody:
    """The body of one request, read at most :data:`CHUNK_BYTES` at a time.

    :param stream: the connection's input stream, positioned after the headers.
    :param headers: the request headers.
    :raises ApiError: 400 for a malformed ``Content-Length`` or an unsupported transfer coding.
    """

    def __init__(self, stream: _Stream, headers: Message) -> None:
        self._stream = stream
        self._chunked = False
        self._remaining = 0
        self._chunk_left = 0
        self.exhausted = False
        coding = (headers.get("Transfer-Encoding") or "").strip().lower()
        if coding:
            if coding != "chunked":
                raise ApiError(
                    400, f"Unsupported Transfer-Encoding {coding!r}; use chunked or Content-Length"
                )
            self._chunked = True
            return
        length = (headers.get("Content-Length") or "0").strip()
        if not length.isdigit():
            raise ApiError(400, f"Malformed Content-Length {length!r}")
        self._remaining = int(length)
        self.exhausted = self._remaining == 0

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        """Return the next piece of the body (at most ``size`` bytes), or ``b""`` at its end.

        :param size: the largest piece wanted.
        :raises ApiError: 400 when the client closed the connection before the body's end.
        """
        if self.exhausted:
            return b""
        if self._chunked:
            return self._read_chunked(size)
        data = self._stream.read(min(size, self._remaining))
        if not data:
            raise ApiError(400, "The request body ended before its Content-Length")
        self._remaining -= len(data)
        self.exhausted = self._remaining == 0
        return data

    def read_all(self, limit: int) -> bytes:
        """Read the whole body into memory, for small bodies only.

        :param limit: the largest body accepted.
        :raises ApiError: 413 when the body is larger than ``limit``.
        """
        pieces: list[bytes] = []
        total = 0
        while piece := self.read():
            total += len(piece)
            if total > limit:
                raise payload_too_large_error(limit)
            pieces.append(piece)
        return b"".join(pieces)

    def drain(self, limit: int) -> bool:
        """Read and drop what is left of the body, so the connection can serve another request.

        :param limit: give up after this many bytes (the connection is then closed instead).
        :return: True when the whole body was read.
        """
        dropped = 0
        try:
            while dropped <= limit and (piece := self.read()):
                dropped += len(piece)
        except (ApiError, OSError):
            return False
        return self.exhausted

    def _read_chunked(self, size: int) -> bytes:
        if self._chunk_left == 0:
            self._chunk_left = self._next_chunk_size()
            if self._chunk_left == 0:
                self._skip_trailers()
                self.exhausted = True
                return b""
        data = self._stream.read(min(size, self._chunk_left))
        if not data:
            raise ApiError(400, "The request body ended inside a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._stream.readline(_MAX_CHUNK_LINE)
        return data

    def _next_chunk_size(self) -> int:
        line = self._stream.readline(_MAX_CHUNK_LINE).split(b";", 1)[0].strip()
        try:
            size = int(line, 16)
        except ValueError:
            size = -1
        if size < 0:
            raise ApiError(400, f"Malformed chunk size {line[:20]!r}")
        return size

    def _skip_trailers(self) -> None:
        while self._stream.readline(_MAX_CHUNK_LINE).strip():
            pass
