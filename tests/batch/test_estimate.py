"""A batch's cost before its first create: the audio its files' heads give, at a given or a
learned price, on a local disk and on an S3 store (moto's server)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import wave
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.estimate import (
    MAX_BATCHES,
    combined_estimate,
    cost_rate_variable_key,
    estimate_batch_cost,
    learn_cost_rate,
    learned_cost_rate,
)
from airflow_provider_aimlstt.batch.manifest import FileStatus, ManifestRow
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.multipart import HEAD_BYTES
from tests.airflow_compat import use_variables
from tests.conftest import AUDIO_DIR
from tests.encoded_audio import flac_bytes, mp3_bytes, mp3_seconds, mp4_bytes
from tests.helpers import InMemoryVariables

WAVS = sorted(AUDIO_DIR.glob("*.wav"))
PRICE = 0.0001  # USD per audio second


def _wav_seconds(path: Path) -> float:
    """The duration Python's own WAV reader gives: the oracle of the headers' reading."""
    with wave.open(str(path)) as audio:
        return audio.getnframes() / audio.getframerate()


@pytest.fixture
def variables(monkeypatch: pytest.MonkeyPatch) -> InMemoryVariables:
    store = InMemoryVariables()
    use_variables(monkeypatch, store)
    return store


def test_the_recordings_audio_at_a_given_price() -> None:
    assert len(WAVS) >= 4 and all(path.stat().st_size > HEAD_BYTES for path in WAVS)
    estimate = estimate_batch_cost([str(path) for path in WAVS], usd_per_audio_second=PRICE)

    seconds = sum(_wav_seconds(path) for path in WAVS)
    assert estimate.files == estimate.files_with_duration == len(WAVS)
    assert estimate.audio_seconds_known == pytest.approx(seconds, abs=0.001)
    assert (estimate.usd_per_audio_second, estimate.rate_source) == (PRICE, "given")
    assert estimate.estimated_usd == pytest.approx(seconds * PRICE)
    assert (estimate.unknown_files, estimate.unknown_audio_seconds_guess) == (0, 0.0)
    # each WAV is longer than its head: its data size is capped by the file's, so its size is asked
    assert (estimate.head_reads, estimate.size_lookups) == (len(WAVS), len(WAVS))
    line = estimate.log_line()
    assert f"{len(WAVS)} of {len(WAVS)} file(s)" in line and "(given)" in line


def test_unknown_files_are_counted_apart_and_extrapolated_from_the_known_mean(tmp_path: Path) -> None:
    frames = 3000  # 108 s of 16 kHz speech, past the head: the Xing frame's count gives it
    (tmp_path / "vbr.mp3").write_bytes(mp3_bytes([32, 64] * (frames // 2), 16000, xing=True))
    (tmp_path / "long.flac").write_bytes(flac_bytes(16000 * 95, 16000, audio_bytes=HEAD_BYTES * 2))
    (tmp_path / "short.m4a").write_bytes(mp4_bytes(1000 * 7, 1000))  # smaller than a head
    (tmp_path / "notes.ogg").write_bytes(b"OggS" + bytes(5000))  # a head that does not tell
    wav = tmp_path / "call.wav"
    shutil.copy(WAVS[0], wav)
    sources = [
        str(tmp_path / "vbr.mp3"),
        (tmp_path / "long.flac").as_uri(),
        str(tmp_path / "short.m4a"),
        str(wav),
        str(tmp_path / "notes.ogg"),
        str(tmp_path / "missing.wav"),
        "https://audio.example.invalid/a.wav?token=secret",  # never read: the API downloads it
    ]

    estimate = estimate_batch_cost(sources, usd_per_audio_second=PRICE)

    known = mp3_seconds(frames, 16000) + 95.0 + 7.0 + _wav_seconds(wav)
    assert estimate.files == 7 and estimate.files_with_duration == 4
    assert estimate.audio_seconds_known == pytest.approx(known, abs=0.001)
    assert estimate.estimated_usd == pytest.approx(known * PRICE)
    assert (estimate.unknown_files, estimate.unreadable_files) == (3, 1)
    assert estimate.mean_known_seconds == pytest.approx(known / 4, abs=0.001)
    assert estimate.unknown_audio_seconds_guess == pytest.approx(known / 4 * 3, abs=0.001)
    assert estimate.unknown_estimated_usd == pytest.approx(known / 4 * 3 * PRICE)
    # a head per file read (not the URL, not the missing file); a size only for the long WAV
    assert (estimate.head_reads, estimate.size_lookups) == (5, 1)
    assert "3 file(s) of unknown duration (1 unreadable)" in estimate.log_line()


def test_estimates_combined_are_the_estimate_of_all_their_files(tmp_path: Path) -> None:
    (tmp_path / "notes.ogg").write_bytes(b"OggS" + bytes(5000))  # a head that does not tell
    first = [str(WAVS[0]), str(WAVS[1])]
    second = [str(WAVS[2]), str(tmp_path / "notes.ogg"), str(tmp_path / "missing.wav")]
    parts = [estimate_batch_cost(sources, usd_per_audio_second=PRICE) for sources in (first, second)]

    combined = combined_estimate(parts, usd_per_audio_second=PRICE, rate_source="given")

    whole = estimate_batch_cost(first + second, usd_per_audio_second=PRICE)
    same = ("files", "files_with_duration", "unknown_files", "unreadable_files", "head_reads", "size_lookups")
    assert {name: getattr(combined, name) for name in same} == {name: getattr(whole, name) for name in same}
    for name in (
        "audio_seconds_known",
        "estimated_usd",
        "unknown_audio_seconds_guess",
        "unknown_estimated_usd",
    ):
        assert getattr(combined, name) == pytest.approx(getattr(whole, name), rel=1e-4), name  # ms rounded
    assert combined.unknown_audio_seconds_guess != pytest.approx(parts[1].unknown_audio_seconds_guess)
    assert combined.seconds_by_source == whole.seconds_by_source
    assert (combined.usd_per_audio_second, combined.rate_source) == (PRICE, "given")
    unpriced = combined_estimate(parts, usd_per_audio_second=None, rate_source="learned")
    assert (unpriced.estimated_usd, unpriced.rate_source, unpriced.total_usd) == (None, None, None)
    assert combined_estimate([], usd_per_audio_second=PRICE, rate_source="given").total_usd == 0.0


def test_no_price_given_nor_learned_leaves_the_cost_unknown(variables: InMemoryVariables) -> None:
    estimate = estimate_batch_cost([str(WAVS[0])], conn_id="aimlstt_default", model="m")
    assert estimate.files_with_duration == 1 and estimate.audio_seconds_known > 0
    assert (estimate.usd_per_audio_second, estimate.rate_source, estimate.estimated_usd) == (None, None, None)
    assert "cost unknown" in estimate.log_line()
    empty = estimate_batch_cost([], usd_per_audio_second=PRICE)
    assert (empty.files, empty.estimated_usd, empty.unknown_audio_seconds_guess) == (0, 0.0, None)


@pytest.mark.parametrize("price", [-0.01, float("nan"), float("inf"), "0.1", True])
def test_a_price_that_is_not_one_is_refused_naming_the_argument(price: Any) -> None:
    with pytest.raises(AimlSttValidationError, match=r"^usd_per_audio_second: "):
        estimate_batch_cost([str(WAVS[0])], usd_per_audio_second=price)


def _row(source: str, status: FileStatus, cost: float | None, audio: float | None) -> ManifestRow:
    name = Path(source).stem
    return ManifestRow(source=source, name=name, status=status, cost_usd=cost, audio_seconds=audio)


def test_the_price_is_learned_from_what_earlier_batches_were_billed(variables: InMemoryVariables) -> None:
    log = logging.getLogger("test")
    assert learned_cost_rate("aimlstt_default", "openai/whisper-1", log) is None
    rows: list[Any] = [
        _row("a.wav", FileStatus.TRANSCRIBED, 0.012, 100.0),
        _row("b.wav", FileStatus.TRANSCRIBED, 0.030, 200.0),
        _row("c.wav", FileStatus.FAILED, 0.5, 1000.0),  # not transcribed: left out
        _row("d.wav", FileStatus.TRANSCRIBED, None, 300.0),  # no cost told: left out
        {"source": "e.wav", "status": "transcribed", "cost_usd": 0.018, "audio_seconds": 100.0},  # a JSON row
    ]
    rate = learn_cost_rate("aimlstt_default", "openai/whisper-1", rows, log)
    assert rate == pytest.approx(0.060 / 400)
    key = cost_rate_variable_key("aimlstt_default", "openai/whisper-1")
    assert key == "aimlstt_cost_rate.aimlstt_default.openai_whisper-1"
    assert json.loads(variables.values[key]) == {"batches": [[0.06, 400.0]]}

    estimate = estimate_batch_cost([str(WAVS[0])], conn_id="aimlstt_default", model="openai/whisper-1")
    assert (estimate.rate_source, estimate.usd_per_audio_second) == ("learned", pytest.approx(0.060 / 400))
    assert estimate.estimated_usd == pytest.approx(_wav_seconds(WAVS[0]) * 0.060 / 400, rel=1e-6)
    assert "earlier batches" in estimate.log_line()
    given = estimate_batch_cost([str(WAVS[0])], usd_per_audio_second=0, conn_id="aimlstt_default", model="x")
    assert (given.rate_source, given.estimated_usd) == ("given", 0.0)  # a given price wins, even 0
    assert learned_cost_rate("aimlstt_default", "another-model", log) is None
    assert learned_cost_rate("other_conn", "openai/whisper-1", log) is None


def test_the_latest_batches_make_the_price(variables: InMemoryVariables) -> None:
    log = logging.getLogger("test")
    for _ in range(MAX_BATCHES):
        learn_cost_rate("c", "m", [_row("a.wav", FileStatus.TRANSCRIBED, 1.0, 100.0)], log)
    assert learned_cost_rate("c", "m", log) == pytest.approx(0.01)
    learn_cost_rate("c", "m", [_row("a.wav", FileStatus.TRANSCRIBED, 3.0, 100.0)], log)  # the price rose
    assert learned_cost_rate("c", "m", log) == pytest.approx((7 * 1.0 + 3.0) / (8 * 100.0))
    assert learn_cost_rate("c", "m", [_row("a.wav", FileStatus.FAILED, 1.0, 1.0)], log) is None
    assert len(json.loads(variables.values["aimlstt_cost_rate.c.m"])["batches"]) == MAX_BATCHES
    variables.values["aimlstt_cost_rate.c.m"] = "not json"  # unreadable: nothing learned
    assert learned_cost_rate("c", "m", log) is None


def test_a_variable_that_cannot_be_read_or_written_never_fails_the_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("no API server")

        set = get

    use_variables(monkeypatch, Broken())
    rows = [_row("a.wav", FileStatus.TRANSCRIBED, 1.0, 100.0)]
    assert learn_cost_rate("c", "m", rows, logging.getLogger("test")) is None
    assert estimate_batch_cost([str(WAVS[0])], conn_id="c", model="m").rate_source is None


# -- on an S3 store ----------------------------------------------------------------------------


def _requests(log: Path, method: str, bucket: str) -> int:
    """Requests of ``method`` to ``bucket``'s objects in moto's log (its lines may be coloured)."""
    pattern = rf'"(?:\x1b\[[0-9;]*m)*{method} /{bucket}/[^ ]+ HTTP'
    return len(re.findall(pattern, log.read_text(errors="replace")))


def test_on_s3_one_ranged_read_per_file_and_a_size_only_where_the_duration_needs_it(
    s3_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AUDIO_LAKE", s3_server.connection_json())
    s3 = s3_server.client()
    s3.create_bucket(Bucket="estimate")
    for path in WAVS:
        s3.put_object(Bucket="estimate", Key=f"calls/{path.name}", Body=path.read_bytes())
    s3.put_object(Bucket="estimate", Key="calls/vbr.mp3", Body=mp3_bytes([64, 32] * 1500, xing=True))
    sources = [f"s3://audio_lake@estimate/calls/{path.name}" for path in WAVS]
    sources += ["s3://estimate/calls/vbr.mp3", "s3://audio_lake@estimate/calls/gone.wav"]
    gets_before = _requests(s3_server.log, "GET", "estimate")
    heads_before = _requests(s3_server.log, "HEAD", "estimate")

    estimate = estimate_batch_cost(sources, usd_per_audio_second=PRICE, input_conn_id="audio_lake")

    known = sum(_wav_seconds(path) for path in WAVS) + mp3_seconds(3000, 16000)
    assert estimate.files_with_duration == len(WAVS) + 1
    assert estimate.audio_seconds_known == pytest.approx(known, abs=0.001)
    assert (estimate.unknown_files, estimate.unreadable_files) == (1, 1)
    assert (estimate.head_reads, estimate.size_lookups) == (len(WAVS) + 1, len(WAVS))
    # what the store saw: a GET per file (the missing one's answered 404) and a HEAD per WAV
    assert _requests(s3_server.log, "GET", "estimate") - gets_before == len(sources)
    assert _requests(s3_server.log, "HEAD", "estimate") - heads_before == len(WAVS)
