"""Durations of real encoders' audio: espeak-ng speech encoded by ffmpeg, uploaded to the emulator.

Each file's usage duration must be within 2 % of its true duration (ffprobe's, or the source
WAV's when the container does not say, as in a live WebM), and its billed whole seconds within
half a second of that. Every real encoder's file, those of formats whose length the emulator only
estimates too, must be taken as audio (never refused as undecodable). The tools come from the
system (``apt-get install espeak-ng ffmpeg``): without them these tests skip, except in CI
(``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TOLERANCE = 0.02
SPEECH = (
    "The nightly transcription starts when the recordings land in the bucket. "
    "Each file is submitted once, and the transcript is written next to it."
)
TOOLS = ("espeak-ng", "ffmpeg", "ffprobe")


def _require_tools() -> None:
    """Skip (fail in CI) when a tool these tests run is not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed: apt-get install -y espeak-ng ffmpeg"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must run these tests)")
    pytest.skip(message)


def ffprobe_seconds(path: Path) -> float | None:
    """The container's duration as ffprobe reports it, or None when it has none.

    :param path: the audio file.
    """
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return None if shown in ("", "N/A") else float(shown)


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About ten seconds of espeak-ng speech, as a WAV file."""
    _require_tools()
    path = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), SPEECH], check=True, capture_output=True)
    return path


# name: (ffmpeg output options, file suffix, written through a pipe: no seeking back, as live)
ENCODINGS: dict[str, tuple[list[str], str, bool]] = {
    "ogg-opus": (["-c:a", "libopus", "-b:a", "16k"], "ogg", False),
    "ogg-vorbis": (["-c:a", "libvorbis", "-q:a", "0"], "ogg", False),
    "ogg-opus-stereo": (["-ac", "2", "-c:a", "libopus", "-b:a", "24k"], "opus", False),
    "webm-opus": (["-c:a", "libopus", "-b:a", "20k"], "webm", False),
    "webm-vorbis": (["-c:a", "libvorbis", "-q:a", "0"], "webm", False),
    "webm-opus-live": (["-c:a", "libopus", "-b:a", "20k", "-f", "webm"], "webm", True),
    "mp3": (["-c:a", "libmp3lame", "-b:a", "32k"], "mp3", False),
    "flac": (["-c:a", "flac"], "flac", False),
    "m4a": (["-c:a", "aac", "-b:a", "32k"], "m4a", False),
    "wav": (["-c:a", "pcm_s16le"], "wav", False),
    "wav-piped": (["-c:a", "pcm_s16le", "-f", "wav"], "wav", True),  # its header cannot say its size
}


# Real encoders' files whose length the emulator does not read (it estimates it), in the same form.
ESTIMATED_ENCODINGS: dict[str, tuple[list[str], str, bool]] = {
    "flac-piped": (["-c:a", "flac", "-f", "flac"], "flac", True),  # STREAMINFO without a total
    "m4a-fragmented": (["-c:a", "aac", "-f", "mp4", "-movflags", "frag_keyframe+empty_moov"], "m4a", True),
    "aac-adts": (["-c:a", "aac", "-b:a", "32k", "-f", "adts"], "aac", False),
    "ogg-speex": (["-c:a", "libspeex", "-f", "ogg"], "spx", False),
    "aiff": (["-c:a", "pcm_s16be"], "aiff", False),
    "wma": (["-c:a", "wmav2", "-b:a", "32k"], "wma", False),
    "au": (["-c:a", "pcm_mulaw"], "au", False),
    "caf-alac": (["-c:a", "alac"], "caf", False),
}


def encode(source: Path, name: str) -> Path:
    """Encode the speech with ffmpeg as :data:`ENCODINGS` (or :data:`ESTIMATED_ENCODINGS`) says.

    :param source: the WAV file.
    :param name: the key of :data:`ENCODINGS` or :data:`ESTIMATED_ENCODINGS`.
    """
    options, suffix, piped = {**ENCODINGS, **ESTIMATED_ENCODINGS}[name]
    target = source.with_name(f"{name}.{suffix}")
    command = ["ffmpeg", "-v", "error", "-y", "-i", str(source), *options]
    if piped:
        with open(target, "wb") as output:
            subprocess.run([*command, "pipe:1"], stdout=output, check=True)
    else:
        subprocess.run([*command, str(target)], check=True, capture_output=True)
    return target


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_real_encoders_audio_is_billed_for_its_true_duration(client, speech_wav, name) -> None:
    encoded = encode(speech_wav, name)
    true_seconds = ffprobe_seconds(encoded)
    if name == "webm-opus-live":
        assert true_seconds is None  # the live file does not say its duration: the source does
        true_seconds = ffprobe_seconds(speech_wav)
    assert true_seconds is not None and true_seconds > 5
    created = client.create_upload(
        "microsoft/mai-transcribe-1.5", encoded.read_bytes(), filename=encoded.name
    )
    result = client.result_of(created)["result"]
    emulator = result["emulator"]
    assert emulator["duration_estimated"] is False, emulator
    assert abs(emulator["audio_duration_seconds"] - true_seconds) <= TOLERANCE * true_seconds, (
        emulator["audio_duration_seconds"],
        true_seconds,
    )
    assert abs(result["usage"]["seconds"] - true_seconds) <= 0.5 + TOLERANCE * true_seconds


@pytest.mark.parametrize("name", sorted({**ENCODINGS, **ESTIMATED_ENCODINGS}))
@pytest.mark.parametrize("model", ["#g1_nova-2-general", "aai/universal"])
def test_every_real_encoders_file_is_taken_as_audio(client, speech_wav, model, name) -> None:
    encoded = encode(speech_wav, name)
    created = client.create_upload(model, encoded.read_bytes(), filename=encoded.name)
    assert created.status_code in (200, 201), created.text  # a family that refuses at create did not
    answer = client.result_of(created)
    assert answer["status"] == "completed", answer  # a family that fails the job did not
    result = answer["result"]
    facts = result["metadata"]["emulator"] if "metadata" in result else result["emulator"]
    assert facts["duration_estimated"] is (name in ESTIMATED_ENCODINGS), facts
    assert facts["audio_duration_seconds"] > 0
