"""Where a task writes its transcripts, checked once: the folder, the formats, the file name, the store.

Light on purpose: operators build these settings when a DAG is parsed, so nothing heavier than
the format names is imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from airflow_provider_aimlstt.exceptions import AimlSttRenderError, AimlSttValidationError
from airflow_provider_aimlstt.transcripts.formats import FORMATS, TIMED_FORMATS, check_format

DEFAULT_FORMATS: tuple[str, ...] = ("json", "txt")


@dataclass(frozen=True)
class OutputSettings:
    """A task's transcript files: ``<output_path>/<output_name><suffix>`` for each format.

    The same names as the operators' arguments, so every message names the argument a user passed.

    :param output_path: the folder: a local path, a URI (``s3://bucket/prefix``, ``file:///dir``) or
        an ``ObjectStoragePath``; a template until the task renders it.
    :param formats: the formats to write (``txt``, ``json``, ``srt``, ``vtt``), each once.
    :param output_name: the files' name without suffix; None takes a default when writing.
    :param output_conn_id: the Airflow connection of the store, when the path names none.
    :raises AimlSttValidationError: naming the argument that is wrong.
    """

    output_path: Any
    formats: tuple[str, ...] = DEFAULT_FORMATS
    output_name: str | None = None
    output_conn_id: str | None = None

    def __post_init__(self) -> None:
        if self.output_path is None or (isinstance(self.output_path, str) and not self.output_path.strip()):
            raise AimlSttValidationError(f"output_path: must name a folder, got {self.output_path!r}")
        object.__setattr__(self, "formats", tuple(check_formats(self.formats)))
        if self.output_name is not None:
            check_output_name(self.output_name)

    @classmethod
    def of_task(
        cls, output_path: Any, formats: Any, output_name: str | None, output_conn_id: str | None
    ) -> OutputSettings | None:
        """A task's output settings from its arguments; None when it writes no files (no ``output_path``).

        :param output_path: the folder, or None.
        :param formats: the formats.
        :param output_name: the file name, or None.
        :param output_conn_id: the store's connection, or None.
        """
        if output_path is None:
            return None
        return cls(output_path, formats, output_name, output_conn_id)

    def rendered(self, output_path: Any, output_name: str | None) -> OutputSettings:
        """These settings with the task's rendered template values, checked again.

        :param output_path: the rendered folder.
        :param output_name: the rendered file name, or None.
        """
        return replace(self, output_path=output_path, output_name=output_name or None)

    def name_or(self, default: str) -> str:
        """The file name to write: ``output_name``, else ``default`` (checked like it).

        :param default: the audio's stem, or the generation id.
        """
        return check_output_name(self.output_name or default)

    def check_timings_available(self, gives_word_timings: bool, model: str) -> None:
        """Refuse subtitles from a model that gives no word timings, before anything is sent.

        :param gives_word_timings: whether the model's family times its words.
        :param model: the model id, for the message.
        :raises AimlSttValidationError: naming ``formats``.
        """
        subtitles = [fmt for fmt in self.formats if fmt in TIMED_FORMATS]
        if subtitles and not gives_word_timings:
            raise AimlSttValidationError(
                f"formats: {', '.join(subtitles)} need word timings, which model {model!r} does not "
                "give (it returns text only); ask for txt or json"
            )


def check_formats(formats: object) -> list[str]:
    """The formats' canonical names, or an error naming ``formats``.

    :param formats: a list such as ``["json", "srt"]``.
    :raises AimlSttValidationError: for an empty list, an unknown format or one asked twice.
    """
    if isinstance(formats, (str, bytes)) or not isinstance(formats, Sequence) or not formats:
        raise AimlSttValidationError(
            f"formats: must be a non-empty list of {', '.join(FORMATS)} such as ['json'], got {formats!r}"
        )
    names: list[str] = []
    for fmt in formats:
        try:
            name = check_format(fmt)
        except AimlSttRenderError:
            raise AimlSttValidationError(
                f"formats: unknown format {fmt!r}; known: {', '.join(FORMATS)}"
            ) from None
        if name in names:
            raise AimlSttValidationError(
                f"formats: {name!r} is asked for more than once in {list(formats)!r}"
            )
        names.append(name)
    return names


def check_output_name(name: object) -> str:
    """The file name without suffix, or an error naming ``output_name``.

    :param name: the name to check.
    :raises AimlSttValidationError: for an empty name, ``.``/``..``, or one with ``/``, ``\\`` or NUL.
    """
    if not isinstance(name, str) or not name.strip() or name in {".", ".."}:
        raise AimlSttValidationError(f"output_name: must be a non-empty file name, got {name!r}")
    if any(char in name for char in "/\\\x00"):
        raise AimlSttValidationError(
            f"output_name: must be a file name without '/' (nor backslash, NUL), got {name!r}"
        )
    return name
