"""The transcript formats: their names, file suffixes and media types, and which need word timings.

Light on purpose (no pydantic model is built here), so operators can check ``formats`` when a DAG
is parsed.
"""

from __future__ import annotations

from airflow_provider_aimlstt.exceptions import AimlSttRenderError

FORMATS: tuple[str, ...] = ("txt", "json", "srt", "vtt")
"""The format names :func:`~airflow_provider_aimlstt.transcripts.rendering.render` accepts."""

SUFFIXES: dict[str, str] = {"txt": ".txt", "json": ".json", "srt": ".srt", "vtt": ".vtt"}
"""The file suffix of each format."""

MEDIA_TYPES: dict[str, str] = {
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "srt": "application/x-subrip",
    "vtt": "text/vtt; charset=utf-8",
}
"""The media (MIME) type of each format, for object stores that record one."""

TIMED_FORMATS: tuple[str, ...] = ("srt", "vtt")
"""The subtitle formats, which need word timings."""

UNTIMED_FORMATS: tuple[str, ...] = tuple(fmt for fmt in FORMATS if fmt not in TIMED_FORMATS)
"""The formats that work without word timings."""


def check_format(fmt: str) -> str:
    """The format's canonical name (``"SRT"`` and ``".srt"`` are ``"srt"``).

    :param fmt: a format name.
    :raises AimlSttRenderError: for a name that is not one of :data:`FORMATS`.
    """
    name = fmt.strip().lower().removeprefix(".") if isinstance(fmt, str) else ""
    if name not in FORMATS:
        raise AimlSttRenderError(f"Unknown transcript format {fmt!r}; accepted formats: {', '.join(FORMATS)}")
    return name


def suffix_for(fmt: str) -> str:
    """The file suffix of a format, for example ``.srt``.

    :param fmt: a format name.
    :raises AimlSttRenderError: for an unknown format.
    """
    return SUFFIXES[check_format(fmt)]
