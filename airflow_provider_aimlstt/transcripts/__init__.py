"""One normalized transcript for every model family, and its renderers (txt, json, SRT, WebVTT).

Usage::

    transcript = to_transcript(job.result, model="#g1_nova-2-general", generation_id=generation_id)
    subtitles = render(transcript, "srt")  # or "txt", "json", "vtt"; suffix_for("srt") == ".srt"

The names below are imported from their modules on first use
(:mod:`airflow_provider_aimlstt._lazy`): operators check ``formats`` with
:mod:`~airflow_provider_aimlstt.transcripts.formats` when a DAG is parsed, and that must not build
the transcript's pydantic models. The renderers live in :mod:`.rendering`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_aimlstt._lazy import lazy_exports

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
    from airflow_provider_aimlstt.transcripts.rendering import render

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
    "render": "rendering",
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


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
