"""One normalized transcript for every model family, and its renderers (txt, json, SRT, WebVTT).

Usage::

    transcript = to_transcript(job.result, model="#g1_nova-2-general", generation_id=generation_id)
    subtitles = render(transcript, "srt")  # or "txt", "json", "vtt"; suffix_for("srt") == ".srt"

The names below are imported from their modules on first use: operators check ``formats`` with
:mod:`~airflow_provider_aimlstt.transcripts.formats` when a DAG is parsed, and that must not build
the transcript's pydantic models.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_aimlstt.transcripts.cues import Cue, CueOptions, build_cues
    from airflow_provider_aimlstt.transcripts.formats import FORMATS, MEDIA_TYPES, SUFFIXES, suffix_for
    from airflow_provider_aimlstt.transcripts.model import (
        ChannelTranscript,
        Paragraph,
        Sentence,
        Transcript,
        Utterance,
        Word,
    )
    from airflow_provider_aimlstt.transcripts.normalize import to_transcript
    from airflow_provider_aimlstt.transcripts.render import render

_HOMES = {
    "FORMATS": "formats",
    "MEDIA_TYPES": "formats",
    "SUFFIXES": "formats",
    "suffix_for": "formats",
    "ChannelTranscript": "model",
    "Paragraph": "model",
    "Sentence": "model",
    "Transcript": "model",
    "Utterance": "model",
    "Word": "model",
    "Cue": "cues",
    "CueOptions": "cues",
    "build_cues": "cues",
    "to_transcript": "normalize",
    "render": "render",
}

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "SUFFIXES",
    "ChannelTranscript",
    "Cue",
    "CueOptions",
    "Paragraph",
    "Sentence",
    "Transcript",
    "Utterance",
    "Word",
    "build_cues",
    "render",
    "suffix_for",
    "to_transcript",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for.

    :param name: the attribute asked for.
    """
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value  # asked once: later lookups skip this function
    return value


def __dir__() -> list[str]:
    """The public names, with those not imported yet."""
    return sorted({*globals(), *__all__})


class _Package(types.ModuleType):
    """This package, whose ``render`` stays the function.

    Loading the submodule ``render`` sets the package's attribute of that name to the submodule;
    the eager imports this package had then set it back to the function. Now that the submodule
    may be loaded any time, the package does so itself.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, types.ModuleType):
            value = value.render
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
