"""A create request as received, before validation: JSON, url-encoded form or multipart form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aimlstt_emulator.audio import StoredAudio
from aimlstt_emulator.exceptions import body_validation_error, json_type_name

_MISSING: Any = object()


@dataclass
class Submission:
    """The fields of one create request, still unchecked.

    Form fields arrive as text (``lax`` is then True: "true" and "1.5" are read as a boolean and a
    number); JSON fields keep their JSON types and are checked strictly.

    :param fields: every field but the audio upload; a repeated form field becomes a list.
    :param lax: True for form bodies, whose values are all text.
    :param uploads: the audio files of a multipart body, spooled to disk.
    """

    fields: dict[str, Any] = field(default_factory=dict)
    lax: bool = False
    uploads: list[StoredAudio] = field(default_factory=list)

    @property
    def model(self) -> Any:
        """The ``model`` field, or None when it is absent."""
        return self.fields.get("model")

    @property
    def url(self) -> Any:
        """The ``url`` field, or None when it is absent."""
        return self.fields.get("url")

    @property
    def options(self) -> dict[str, Any]:
        """Every field except ``model`` and ``url``."""
        return {key: value for key, value in self.fields.items() if key not in ("model", "url")}

    def add_form_field(self, name: str, value: str) -> None:
        """Record a text field of a form; a second value for a name turns it into a list.

        :param name: the field name.
        :param value: the field's text.
        """
        current = self.fields.get(name, _MISSING)
        if current is _MISSING:
            self.fields[name] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            self.fields[name] = [current, value]

    def discard_uploads(self) -> None:
        """Delete the temporary files of every upload."""
        for upload in self.uploads:
            upload.delete()

    def __enter__(self) -> Submission:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard_uploads()


def parse_json_submission(body: bytes) -> Submission:
    """Read a JSON create body.

    :param body: the raw body.
    :raises ApiError: 400 when it is not UTF-8 JSON holding an object.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise body_validation_error(["body: Expected UTF-8 encoded JSON, received other bytes"]) from None
    except json.JSONDecodeError as exc:
        raise body_validation_error(
            [f"body: Invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    if not isinstance(data, dict):
        raise body_validation_error([f"body: Expected object, received {json_type_name(data)}"])
    return Submission(fields=data, lax=False)


def parse_urlencoded_submission(body: bytes) -> Submission:
    """Read an ``application/x-www-form-urlencoded`` create body (a URL source, no upload).

    :param body: the raw body.
    :raises ApiError: 400 when it is not UTF-8.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise body_validation_error(
            ["body: Expected a UTF-8 url-encoded form, received other bytes"]
        ) from None
    submission = Submission(lax=True)
    for name, value in parse_qsl(text, keep_blank_values=True):
        submission.add_form_field(name, value)
    return submission
