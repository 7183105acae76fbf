"""Predicting a job's length: the WAV duration reader and the speed learned per model."""

from __future__ import annotations

import struct
import wave
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.audio_duration import duration_from_header, wav_duration_seconds
from airflow_provider_aimlstt.audio_source import AudioSource
from airflow_provider_aimlstt.job_timing import (
    MAX_SAMPLES,
    JobTiming,
    job_seconds_seen,
    learn_job,
    learned_timing,
    timing_variable_key,
    with_expected_time,
)
from airflow_provider_aimlstt.models.submission import SubmittedJob


def _wav(path: Path, seconds: float, rate: int = 8000, channels: int = 1, width: int = 2) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(b"\0" * int(seconds * rate) * channels * width)
    return path


def test_wav_duration_is_read_from_the_header(tmp_path: Path) -> None:
    assert wav_duration_seconds(str(_wav(tmp_path / "a.wav", 2.5))) == pytest.approx(2.5)
    assert wav_duration_seconds(str(_wav(tmp_path / "b.wav", 1.0, 16000, 2))) == pytest.approx(1.0)
    (tmp_path / "c.mp3").write_bytes(b"ID3" + b"\0" * 100)
    assert wav_duration_seconds(str(tmp_path / "c.mp3")) is None  # not a WAV: unknown
    assert wav_duration_seconds(str(tmp_path / "missing.wav")) is None


def test_wav_with_an_extra_chunk_or_a_streamed_size(tmp_path: Path) -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    data = b"\0" * 16000  # one second
    listing = b"LIST" + struct.pack("<I", 5) + b"INFOx" + b"\0"  # odd size: padded
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + listing
    exact = b"RIFF" + struct.pack("<I", 0) + body + b"data" + struct.pack("<I", len(data)) + data
    assert duration_from_header(exact, len(exact)) == pytest.approx(1.0)
    streamed = b"RIFF" + struct.pack("<I", 0) + body + b"data" + struct.pack("<I", 0xFFFFFFFF) + data
    assert duration_from_header(streamed, len(streamed)) == pytest.approx(1.0)
    assert duration_from_header(exact[:30], len(exact)) is None  # cut before the data chunk
    no_fmt = b"RIFF" + struct.pack("<I", 0) + b"WAVE" + b"data" + struct.pack("<I", 4) + b"\0" * 4
    assert duration_from_header(no_fmt, len(no_fmt)) is None


def test_a_checked_local_wav_knows_its_duration(tmp_path: Path) -> None:
    source = AudioSource(path=str(_wav(tmp_path / "call.wav", 3.0))).checked()
    assert source.duration_seconds == pytest.approx(3.0)
    assert AudioSource(url="https://example.com/a.wav").checked().duration_seconds is None


def test_one_sample_predicts_in_proportion_and_several_fit_a_line() -> None:
    assert JobTiming().expected_seconds(60) is None
    one = JobTiming().with_job(100, 26)
    assert one.expected_seconds(50) == pytest.approx(13)
    assert one.expected_seconds(None) is None
    line = one.with_job(20, 6).with_job(400, 101)  # 1 s + 0.25 s per audio second
    assert line.expected_seconds(200) == pytest.approx(51, rel=0.01)
    many = JobTiming()
    for number in range(MAX_SAMPLES + 3):
        many = many.with_job(10 + number, 5)
    assert len(many.samples) == MAX_SAMPLES and many.samples[-1] == (10 + MAX_SAMPLES + 2, 5)


def test_learned_timing_round_trips_through_json_and_survives_junk() -> None:
    timing = JobTiming().with_job(100, 26).with_job(40, 11)
    assert JobTiming.from_json(timing.to_json()) == timing
    for junk in ("", "{", '{"samples": 3}', None, '{"other": []}'):
        assert JobTiming.from_json(junk) == JobTiming()


def test_the_variable_is_named_per_connection_and_model() -> None:
    key = timing_variable_key("aimlstt_default", "openai/gpt-4o-transcribe")
    assert key == "aimlstt_job_timing.aimlstt_default.openai_gpt-4o-transcribe"
    assert timing_variable_key("other", "#g1_nova-2-general") == "aimlstt_job_timing.other._g1_nova-2-general"


class _Variables:
    """A stand-in for ``airflow.sdk.Variable`` (a worker reaches the real one through the API server)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, description: str | None = None) -> None:
        self.values[key] = value


def test_learn_then_predict_through_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    import airflow.sdk

    variables = _Variables()
    monkeypatch.setattr(airflow.sdk, "Variable", variables)
    log = logging.getLogger("test")
    assert learned_timing("c", "m", log) == JobTiming()
    learn_job("c", "m", audio_seconds=100, job_seconds=26, log=log)
    assert learned_timing("c", "m", log).expected_seconds(50) == pytest.approx(13)
    assert learned_timing("c", "other-model", log) == JobTiming()
    submitted = SubmittedJob(generation_id="g", submitted_at=1000.0, audio_seconds=200)
    expected = with_expected_time(submitted, "c", "m", log)
    assert expected.expected_seconds == pytest.approx(52) and expected.expected_done_at == pytest.approx(1052)
    unknown = SubmittedJob(generation_id="g", submitted_at=1000.0)
    assert with_expected_time(unknown, "c", "m", log) == unknown  # no audio duration: nothing to predict


def test_a_variable_that_cannot_be_read_or_written_never_fails_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    import airflow.sdk

    class Broken:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("no API server")

        set = get

    monkeypatch.setattr(airflow.sdk, "Variable", Broken())
    log = logging.getLogger("test")
    assert learned_timing("c", "m", log) == JobTiming()
    learn_job("c", "m", 100, 26, log)  # logged, not raised


def test_job_seconds_seen_from_the_polls() -> None:
    assert job_seconds_seen(1000.0, found_at=1100.0, last_pending_at=1080.0) == 90.0
    assert job_seconds_seen(1000.0, found_at=1100.0, last_pending_at=None) == pytest.approx(93.0)
