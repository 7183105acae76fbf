"""Strict readers of SubRip and WebVTT text, written for the tests from the formats' rules.

They parse the renderers' output back so that tests check what a player would read, not what
the renderer meant to write. Anything outside the format raises AssertionError.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from airflow_provider_aimlstt.transcripts import Transcript, Word

SRT_TIMING = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$")
VTT_TIMING = re.compile(r"^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$")
SRT_LABEL = re.compile(r"^\[([^\]]+)\] ")
VTT_VOICE = re.compile(r"^<v ([^>]+)>")


@dataclass
class ParsedCue:
    """A cue as read back: times in ms, the lines as displayed (no tags), the voice and the words."""

    start_ms: int
    end_ms: int
    lines: list[str]
    voice: str | None
    tokens: list[str]


def _ms(hours: str, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def parse_srt(text: str) -> list[ParsedCue]:
    """Read SubRip: blocks of index, timing and text lines, each block followed by one blank line."""
    if text == "":
        return []
    assert text.endswith("\n\n") and not text.endswith("\n\n\n"), repr(text[-10:])
    cues = []
    for number, block in enumerate(text[:-2].split("\n\n"), start=1):
        lines = block.split("\n")
        assert lines[0] == str(number), f"cue {number} is numbered {lines[0]!r}"
        timing = SRT_TIMING.match(lines[1])
        assert timing, f"bad SRT timing line {lines[1]!r}"
        body = lines[2:]
        assert body and all(line.strip() for line in body), f"cue {number} has an empty text line"
        assert all("-->" not in line for line in body)
        label = SRT_LABEL.match(body[0])
        words = " ".join(body)[label.end() if label else 0 :].split()
        cues.append(
            ParsedCue(
                _ms(*timing.groups()[:4]),
                _ms(*timing.groups()[4:]),
                body,
                label.group(1) if label else None,
                words,
            )
        )
    return cues


def parse_vtt(text: str) -> list[ParsedCue]:
    """Read WebVTT: the ``WEBVTT`` header line, a blank line, then blank-line separated cues."""
    assert text.startswith("WEBVTT\n"), repr(text[:20])
    assert text.endswith("\n")
    blocks = [block for block in text.split("\n\n")[1:] if block.strip()]
    assert text.split("\n", 1)[1].startswith("\n") or not blocks, "no blank line after the header"
    cues = []
    for block in blocks:
        lines = block.strip("\n").split("\n")
        if "-->" not in lines[0]:
            lines = lines[1:]  # the optional cue identifier
        timing = VTT_TIMING.match(lines[0])
        assert timing, f"bad WebVTT timing line {lines[0]!r}"
        body = lines[1:]
        assert body and all(line.strip() for line in body)
        assert all("-->" not in line for line in body)
        voice = VTT_VOICE.match(body[0])
        shown = [body[0][voice.end() if voice else 0 :], *body[1:]]
        assert all("<" not in line and ">" not in line for line in shown), f"unescaped markup in {shown!r}"
        shown = [html.unescape(line) for line in shown]
        cues.append(
            ParsedCue(
                _ms(*timing.groups()[:4]),
                _ms(*timing.groups()[4:]),
                shown,
                html.unescape(voice.group(1)) if voice else None,
                " ".join(shown).split(),
            )
        )
    return cues


def match_words(cues: list[ParsedCue], words: list[Word]) -> list[list[Word]]:
    """Split ``words`` among the cues: every word in exactly one cue, in order; fails otherwise."""
    groups, position = [], 0
    for cue in cues:
        taken = words[position : position + len(cue.tokens)]
        assert [word.text.replace("-->", "->") for word in taken] == cue.tokens, (cue, taken)
        groups.append(taken)
        position += len(cue.tokens)
    assert position == len(words), f"{len(words) - position} words are in no cue"
    return groups


def words_in_time_order(transcript: Transcript) -> list[Word]:
    """The transcript's words sorted by start time, then channel (the order cues come in)."""
    return sorted(transcript.words, key=lambda word: (word.start or 0.0, word.channel or 0))


def expected_voice(word: Word, multichannel: bool) -> str | None:
    """The label a word's cue must carry: its speaker and, with several channels, its channel."""
    parts = [f"Speaker {word.speaker}"] if word.speaker is not None else []
    if multichannel and word.channel is not None:
        parts.append(f"Channel {word.channel}")
    return ", ".join(parts) or None
