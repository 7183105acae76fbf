"""Predicting a job's length: the duration an upload's head gives, and the speed learned per model."""

from __future__ import annotations

import itertools
import random
import wave
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.audio_duration import uploaded_duration
from airflow_provider_aimlstt.job_timing import (
    MAX_SAMPLES,
    JobTiming,
    learn_job,
    learned_timing,
    timing_variable_key,
    with_expected_time,
)
from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.multipart import HEAD_BYTES, MultipartFileBody, UploadFile
from airflow_provider_aimlstt.polling import lateness_allowed
from tests.airflow_compat import use_variables
from tests.helpers import InMemoryVariables


def _wav(path: Path, seconds: float, rate: int = 8000, channels: int = 1, width: int = 2) -> Path:
    """A silent WAV of ``seconds``."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(b"\0" * int(seconds * rate) * channels * width)
    return path


def _sent(upload: UploadFile) -> bytes:
    """Stream a multipart body carrying ``upload``, as a create does; return the bytes sent."""
    return b"".join(MultipartFileBody([("model", "m")], "audio", upload))


def test_an_uploads_duration_is_read_from_the_bytes_it_sent(tmp_path: Path) -> None:
    wav = UploadFile.local(str(_wav(tmp_path / "a.wav", 2.5)))
    assert uploaded_duration(wav) is None  # nothing sent yet
    sent = _sent(wav)
    assert uploaded_duration(wav) == pytest.approx(2.5)
    assert bytes(wav.head) == sent[sent.index(b"RIFF") :][: wav.size]  # a small file: all of it
    stereo = UploadFile.local(str(_wav(tmp_path / "b.wav", 2.0, 16000, 2)))  # 128 KB
    _sent(stereo)
    _sent(stereo)  # a retried create streams it again: the head is not doubled
    assert len(stereo.head) == HEAD_BYTES  # only the head is kept
    assert uploaded_duration(stereo) == pytest.approx(2.0)
    (tmp_path / "c.mp3").write_bytes(b"ID3" + b"\0" * 100)
    mp3 = UploadFile.local(str(tmp_path / "c.mp3"))
    _sent(mp3)
    assert uploaded_duration(mp3) is None  # a tag and no frame after it: unknown
    assert uploaded_duration(None) is None  # a URL source uploads nothing


def _server(audio: float) -> float:
    """A job's time on a steady server: 1 s plus 0.25 s per second of audio."""
    return 1.0 + 0.25 * audio


def _bracket(finish: float, step: float) -> tuple[float, float]:
    """What polls ``step`` apart prove of a job that finished at ``finish``."""
    return finish - step * 0.6, finish + step * 0.4


def test_nothing_known_predicts_nothing() -> None:
    assert JobTiming().expected_finish(60) is None
    assert JobTiming().with_job(100, (20, 30)).expected_finish(None) is None


def test_every_prediction_holds_the_true_time_and_narrows_as_jobs_are_seen() -> None:
    rnd = random.Random(7)
    timing = JobTiming()
    widths = []
    for _ in range(MAX_SAMPLES):
        audio = rnd.uniform(10, 2000)
        timing = timing.with_job(audio, _bracket(_server(audio), rnd.uniform(0.5, 20)))
        for probe in (20.0, 116.0, 476.0, 2396.0):
            earliest, latest = timing.expected_finish(probe)
            assert earliest - 1e-6 <= _server(probe) <= latest + 1e-6
        earliest, latest = timing.expected_finish(116.0)  # a 30 s job
        widths.append(latest - earliest)
    for earlier, later in itertools.pairwise(widths):  # a steady server: each job only narrows it
        assert later <= earlier + 1e-9
    assert widths[-1] < lateness_allowed(30.0)  # one poll can find a 30 s job in time


def test_one_job_bounds_a_prediction_only_loosely() -> None:
    earliest, latest = JobTiming().with_job(236, (55.0, 65.0)).expected_finish(116)
    # 116 s of audio: anything from all speed (55 x 116 / 236) to all fixed time (65 s)
    assert earliest == pytest.approx(55 * 116 / 236) and latest == pytest.approx(65.0)


def test_jobs_that_disagree_widen_the_prediction_and_the_oldest_is_forgotten() -> None:
    steady = JobTiming()
    for audio in (40, 100, 400):
        steady = steady.with_job(audio, (_server(audio) - 0.1, _server(audio) + 0.1))
    narrow = steady.expected_finish(200)
    noisy = steady.with_job(200, (_server(200) * 1.1, _server(200) * 1.1 + 0.2))  # 10 % slower once
    wide = noisy.expected_finish(200)
    assert wide[1] - wide[0] > 2 * (narrow[1] - narrow[0]) and wide[1] > narrow[1] + 4
    changed = noisy
    for audio in (50, 120, 300, 180):  # the API became twice as slow: what it did before is forgotten
        changed = changed.with_job(audio, (2 * _server(audio) - 0.1, 2 * _server(audio) + 0.1))
    earliest, latest = changed.expected_finish(200)
    assert earliest <= 2 * _server(200) <= latest and latest - earliest < 0.2 * _server(200)


def test_the_last_jobs_are_kept() -> None:
    many = JobTiming()
    for number in range(MAX_SAMPLES + 3):
        many = many.with_job(10 + number, (4, 5))
    assert len(many.samples) == MAX_SAMPLES and many.samples[-1] == (10 + MAX_SAMPLES + 2, 4, 5)


def test_learned_timing_round_trips_through_json_and_survives_junk() -> None:
    timing = JobTiming().with_job(100, (25, 26)).with_job(40, (10, 11))
    assert JobTiming.from_json(timing.to_json()) == timing
    older_form = '{"samples": [[100, 26]]}'
    for junk in ("", "{", '{"jobs": 3}', None, '{"other": []}', older_form, '{"jobs": [[1, 2]]}'):
        assert JobTiming.from_json(junk) == JobTiming()
    readable = JobTiming.from_json('{"jobs": [[100, 30, 20], [0, 1, 2], [50, 12, 13]]}')
    assert readable.samples == ((50, 12, 13),)  # a range that ends before it begins, or no audio: dropped


def test_the_variable_is_named_per_connection_and_model() -> None:
    key = timing_variable_key("aimlstt_default", "openai/gpt-4o-transcribe")
    assert key == "aimlstt_job_timing.aimlstt_default.openai_gpt-4o-transcribe"
    assert timing_variable_key("other", "#g1_nova-2-general") == "aimlstt_job_timing.other._g1_nova-2-general"


def test_learn_then_predict_through_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    variables = InMemoryVariables()
    use_variables(monkeypatch, variables)
    log = logging.getLogger("test")
    assert learned_timing("c", "m", log) == JobTiming()
    learn_job("c", "m", audio_seconds=100, finished_between=(24, 26), log=log)
    learn_job("c", "m", audio_seconds=400, finished_between=(100, 102), log=log)
    assert learned_timing("c", "m", log).samples == ((100, 24, 26), (400, 100, 102))
    assert learned_timing("c", "other-model", log) == JobTiming()
    submitted = SubmittedJob(generation_id="g", submitted_at=1000.0, audio_seconds=200)
    expected = with_expected_time(submitted, "c", "m", log)
    assert expected.expected_finish is not None
    earliest, latest = expected.expected_finish
    assert earliest <= 51 <= latest and latest - earliest < 5
    assert SubmittedJob.model_validate(expected.model_dump(mode="json")) == expected  # XCom and back
    unknown = SubmittedJob(generation_id="g", submitted_at=1000.0)
    assert with_expected_time(unknown, "c", "m", log) == unknown  # no audio duration: nothing to predict


def test_a_variable_that_cannot_be_read_or_written_never_fails_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    class Broken:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("no API server")

        set = get

    use_variables(monkeypatch, Broken())
    log = logging.getLogger("test")
    assert learned_timing("c", "m", log) == JobTiming()
    learn_job("c", "m", 100, (24, 26), log)  # logged, not raised
