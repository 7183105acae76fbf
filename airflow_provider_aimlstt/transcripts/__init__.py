"""One normalized transcript for every model family, and its renderers (txt, json, SRT, WebVTT).

Usage::

    transcript = to_transcript(job.result, model="#g1_nova-2-general", generation_id=generation_id)
    subtitles = render(transcript, "srt")  # or "txt", "json", "vtt"; suffix_for("srt") == ".srt"
"""

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
