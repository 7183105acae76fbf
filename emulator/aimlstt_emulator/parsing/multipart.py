"""Streaming parse of a ``multipart/form-data`` create body with ``python_multipart``.

File parts (a part with a file name, or one named ``audio`` or ``file``) go straight to an
:class:`~aimlstt_emulator.audio.AudioSpool`; text parts are kept, each bounded.
"""

from __future__ import annotations

from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from aimlstt_emulator.audio import AudioSpool
from aimlstt_emulator.exceptions import ApiError, body_validation_error
from aimlstt_emulator.parsing.body import RequestBody
from aimlstt_emulator.parsing.submission import Submission

MAX_TEXT_FIELD_BYTES = 64 * 1024
MAX_FORM_PARTS = 256
FILE_FIELDS = ("audio", "file")


class _FormCollector:
    """Callbacks of the multipart parser: collects text fields and spools files."""

    def __init__(self, upload_limit: int, temp_dir: Path | None) -> None:
        self.submission = Submission(lax=True)
        self.finished = False
        self._upload_limit = upload_limit
        self._temp_dir = temp_dir
        self._parts = 0
        self._headers: dict[str, str] = {}
        self._header_name = b""
        self._header_value = b""
        self._name: str | None = None
        self._text: bytearray | None = None
        self._spool: AudioSpool | None = None

    def on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_FORM_PARTS:
            raise body_validation_error([f"body: Expected at most {MAX_FORM_PARTS} form fields"])
        self._headers = {}
        self._name, self._text, self._spool = None, None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", errors="replace")
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get("content-disposition", ""))
        raw_name = params.get(b"name")
        self._name = raw_name.decode("utf-8", errors="replace") if raw_name is not None else None
        raw_filename = params.get(b"filename")
        if raw_filename is not None or self._name in FILE_FIELDS:
            filename = raw_filename.decode("utf-8", errors="replace") if raw_filename is not None else None
            self._spool = AudioSpool(self._upload_limit, self._temp_dir, filename, self._name)
        else:
            self._text = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._spool is not None:
            self._spool.write(data[start:end])
        elif self._text is not None:
            self._text += data[start:end]
            if len(self._text) > MAX_TEXT_FIELD_BYTES:
                raise body_validation_error(
                    [f"{self._name}: Expected a text field of at most {MAX_TEXT_FIELD_BYTES} bytes"]
                )

    def on_part_end(self) -> None:
        if self._spool is not None:
            self.submission.uploads.append(self._spool.finish())
            self._spool = None
        elif self._text is not None and self._name is not None:
            try:
                self.submission.add_form_field(self._name, self._text.decode("utf-8"))
            except UnicodeDecodeError:
                raise body_validation_error(
                    [f"{self._name}: Expected UTF-8 text, received other bytes"]
                ) from None

    def on_end(self) -> None:
        self.finished = True

    def abandon(self) -> None:
        """Remove every temporary file, for a body that is refused."""
        if self._spool is not None:
            self._spool.discard()
        self.submission.discard_uploads()


def multipart_boundary(content_type: str) -> bytes:
    """The boundary of a ``multipart/form-data`` content type.

    :param content_type: the ``Content-Type`` header.
    :raises ApiError: 400 when there is no boundary.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise body_validation_error(["body: Expected a multipart boundary in the Content-Type header"])
    return boundary


def parse_multipart_submission(
    body: RequestBody, content_type: str, upload_limit: int, temp_dir: Path | None
) -> Submission:
    """Read a multipart create body piece by piece; uploads are spooled, never held in memory.

    :param body: the request body.
    :param content_type: the ``Content-Type`` header, which carries the boundary.
    :param upload_limit: the largest upload accepted, in bytes.
    :param temp_dir: folder for spooled uploads; None means the system's.
    :raises ApiError: 400 for a malformed form, 413 for an upload over the limit.
    """
    collector = _FormCollector(upload_limit, temp_dir)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
            "on_end",
        )
    }
    try:
        parser = MultipartParser(multipart_boundary(content_type), callbacks)  # type: ignore[arg-type]
        while piece := body.read():
            parser.write(piece)
        parser.finalize()
        if not collector.finished:
            raise body_validation_error(["body: Expected a multipart form ending with its closing boundary"])
    except ApiError:
        collector.abandon()
        raise
    except Exception as exc:
        collector.abandon()
        raise body_validation_error([f"body: Malformed multipart form ({exc})"]) from None
    return collector.submission
