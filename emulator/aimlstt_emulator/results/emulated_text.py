"""The emulated text of an audio input and its word timings: what every result is made of.

The emulator recognises no speech. The text is read from ``<audio stem>.txt`` in the transcripts
folder when there is one (a "sidecar"), else it is a placeholder derived from the audio's sha256,
so the same audio always gets the same text. Word timings are spread over the audio's duration.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SIDECAR_SUFFIX = ".txt"
MAX_SIDECAR_BYTES = 1024**2
_WORDS_PER_SECOND = 2.5
_MAX_PLACEHOLDER_WORDS = 600
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$")
_EDGE_PUNCTUATION = "\"'()[]{}.,;:!?…-"
_VOCABULARY = (
    "the", "river", "morning", "light", "carries", "a", "quiet", "voice", "across", "small", "town",
    "where", "every", "window", "holds", "story", "about", "weather", "and", "old", "friends", "who",
    "gather", "near", "harbour", "to", "share", "bread", "songs", "while", "boats", "return", "home",
    "under", "bright", "clouds", "that", "drift", "slowly", "over", "green", "hills",
)  # fmt: skip


@dataclass(frozen=True)
class TimedWord:
    """One word of the emulated text with its place in time.

    :param text: the word as written, punctuation included.
    :param start: start time in seconds.
    :param end: end time in seconds.
    :param confidence: a plausible confidence between 0.85 and 1.
    :param sentence: index of the sentence the word belongs to.
    """

    text: str
    start: float
    end: float
    confidence: float
    sentence: int

    @property
    def bare(self) -> str:
        """The word lower-cased without surrounding punctuation, as Deepgram's ``word`` field has it."""
        return self.text.strip(_EDGE_PUNCTUATION).lower() or self.text.lower()


@dataclass(frozen=True)
class EmulatedText:
    """The emulated text of one audio input.

    :param text: the whole text, white space collapsed to single spaces.
    :param source: ``sidecar`` or ``placeholder``.
    :param words: the words with timings.
    :param note: one sentence saying where the text came from.
    """

    text: str
    source: str
    words: tuple[TimedWord, ...]
    note: str

    def sentences(self) -> list[list[TimedWord]]:
        """The words grouped by sentence, in order."""
        groups: list[list[TimedWord]] = []
        for word in self.words:
            if not groups or groups[-1][0].sentence != word.sentence:
                groups.append([])
            groups[-1].append(word)
        return groups

    @property
    def confidence(self) -> float:
        """Mean confidence of the words (0 when there are none)."""
        return round(sum(word.confidence for word in self.words) / len(self.words), 4) if self.words else 0.0


def audio_stem(name: str | None) -> str | None:
    """The stem selecting a sidecar: ``call-01`` for ``call-01.wav``, even behind a POSIX or Windows folder.

    :param name: an uploaded file name or a URL's last path segment.
    """
    if not name:
        return None
    last = re.split(r"[\\/]", name)[-1]
    stem = PurePosixPath(last).stem
    return stem if stem and not stem.startswith(".") else None


def make_emulated_text(
    transcripts_dir: Path | None, name: str | None, sha256: str, duration: float
) -> EmulatedText:
    """Build the emulated text of one audio input.

    :param transcripts_dir: folder with sidecar ``.txt`` files, or None.
    :param name: the audio's file name, whose stem selects the sidecar.
    :param sha256: the audio's digest, which seeds the placeholder and the confidences.
    :param duration: the audio's length in seconds, over which the words are spread.
    """
    stem = audio_stem(name)
    sidecar = Path(transcripts_dir) / f"{stem}{SIDECAR_SUFFIX}" if transcripts_dir and stem else None
    rng = random.Random(sha256)
    if sidecar is not None and sidecar.is_file():
        with open(sidecar, "rb") as handle:
            text = " ".join(handle.read(MAX_SIDECAR_BYTES).decode("utf-8", errors="replace").split())
        source = "sidecar"
        note = f"Emulated: text read from {sidecar.name} in the emulator's transcripts folder."
    else:
        text = placeholder_text(rng, duration)
        source = "placeholder"
        wanted = f"{stem}{SIDECAR_SUFFIX}" if stem else "a sidecar .txt file"
        note = (
            f"Emulated: no {wanted} in the transcripts folder, so the text is a placeholder chosen by sha256."
        )
    note += " The emulator does not recognise speech; word timings are spread over the audio's duration."
    return EmulatedText(text, source, tuple(_time_words(text.split(), duration, rng)), note)


def placeholder_text(rng: random.Random, duration: float) -> str:
    """Sentences of plain words, about 2.5 a second of audio, the same for the same seed.

    :param rng: a generator seeded with the audio's sha256.
    :param duration: the audio's length in seconds.
    """
    count = min(_MAX_PLACEHOLDER_WORDS, max(3, round(duration * _WORDS_PER_SECOND)))
    sentences: list[str] = []
    while count > 0:
        length = min(count, rng.randint(5, 11))
        words = [rng.choice(_VOCABULARY) for _ in range(length)]
        sentences.append(" ".join(words).capitalize() + ".")
        count -= length
    return " ".join(sentences)


def _time_words(tokens: list[str], duration: float, rng: random.Random) -> list[TimedWord]:
    weights = [len(token) + 2 for token in tokens]
    total = sum(weights) or 1
    cursor, sentence = 0.0, 0
    timed: list[TimedWord] = []
    for token, weight in zip(tokens, weights, strict=True):
        span = duration * weight / total
        confidence = round(0.85 + rng.random() * 0.149, 4)
        timed.append(TimedWord(token, round(cursor, 3), round(cursor + span * 0.85, 3), confidence, sentence))
        cursor += span
        if _SENTENCE_END.search(token):
            sentence += 1
    return timed
