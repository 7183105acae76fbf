"""Audio facts: sha256, exact WAV/MP3/FLAC/MP4/Ogg/WebM durations, estimates, and the kinds of URL source."""

from __future__ import annotations

import hashlib
import struct

import pytest

from tests.encoded_audio import (
    flac_bytes,
    mp3_bytes,
    mp3_seconds,
    mp4_bytes,
    ogg_page,
    ogg_stream,
    opus_head,
    vorbis_identification,
    webm_bytes,
)


def metadata_of(client, response) -> dict:
    return client.result_of(response)["result"]["metadata"]


def test_wav_duration_is_frames_over_rate_and_sha256_is_of_the_bytes(client, make_wav) -> None:
    audio = make_wav(1.2345, channels=1, rate=8000)
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", audio))
    assert metadata["duration"] == 9876 / 8000
    assert metadata["sha256"] == hashlib.sha256(audio).hexdigest()
    assert metadata["emulator"]["duration_estimated"] is False
    assert metadata["emulator"]["audio_format"] == "wav"


@pytest.mark.parametrize("declared", [0, 0xFFFFFFFF, 10**9])
def test_a_streamed_or_cut_wav_counts_the_bytes_it_holds_not_its_headers_size(
    client, make_wav, declared
) -> None:
    audio = make_wav(1.5)  # 16 kHz mono 16-bit: its data chunk's size is at bytes 40-43
    streamed = audio[:40] + struct.pack("<I", declared) + audio[44:]
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", streamed))
    assert metadata["duration"] == 1.5 and metadata["emulator"]["duration_estimated"] is False


def test_float_wav_that_the_wave_module_refuses_is_still_read_exactly(client) -> None:
    frames, rate, channels = 12_000, 24_000, 2
    block = 4 * channels
    fmt = struct.pack("<HHIIHH", 3, channels, rate, rate * block, block, 32)
    data = bytes(frames * block)
    audio = b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE"
    audio += b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    metadata = metadata_of(client, client.create_upload("nova-3", audio))
    assert metadata["duration"] == 0.5
    assert metadata["emulator"]["audio_channels"] == 2 and metadata["emulator"]["duration_estimated"] is False


def test_compressed_audio_whose_headers_do_not_say_its_length_gets_an_estimate_flagged_as_such(
    client,
) -> None:
    aac = b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(160_000 - 7)  # an ADTS AAC frame header, then data
    metadata = metadata_of(client, client.create_upload("#g1_whisper-base", aac, filename="talk.aac"))
    assert metadata["duration"] == pytest.approx(10.0)  # 160 kB at 128 kbit/s
    assert metadata["emulator"]["duration_estimated"] is True
    assert metadata["emulator"]["audio_format"] == "aac"
    assert "estimated" in metadata["emulator"]["note"]


def exact_audio_facts(client, audio: bytes, filename: str) -> dict:
    """Upload ``audio`` and return its ``emulator`` facts, checking the duration was read exactly."""
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", audio, filename=filename))
    emulator = metadata["emulator"]
    assert emulator["duration_estimated"] is False
    assert "estimated" not in emulator["note"]
    assert metadata["duration"] == emulator["audio_duration_seconds"]
    return emulator


def test_cbr_mpeg2_mp3_duration_walks_every_frame_up_to_an_id3v1_tag(client) -> None:
    audio = mp3_bytes([32] * 250, sample_rate=16000) + b"TAG" + bytes(125)
    emulator = exact_audio_facts(client, audio, "speech.mp3")
    assert emulator["audio_duration_seconds"] == pytest.approx(mp3_seconds(250, 16000))  # 9.0 s
    assert emulator["audio_channels"] == 1 and emulator["audio_format"] == "mp3"


def test_mpeg1_stereo_mp3_duration_and_channels(client) -> None:
    audio = mp3_bytes([128] * 125, sample_rate=48000, mono=False)
    emulator = exact_audio_facts(client, audio, "music.mp3")
    assert emulator["audio_duration_seconds"] == pytest.approx(mp3_seconds(125, 48000))  # 3.0 s
    assert emulator["audio_channels"] == 2


@pytest.mark.parametrize(("rate", "mono"), [(44100, True), (22050, False)])
def test_vbr_mp3_skips_the_id3v2_tag_and_does_not_count_the_xing_frame(client, rate, mono) -> None:
    bitrates = [32, 64, 128, 96, 160, 48, 80, 112] * 20
    audio = mp3_bytes(bitrates, sample_rate=rate, mono=mono, xing=True, id3_tag_bytes=3000)
    emulator = exact_audio_facts(client, audio, "vbr.mp3")
    assert emulator["audio_duration_seconds"] == pytest.approx(mp3_seconds(len(bitrates), rate))
    assert emulator["audio_channels"] == (1 if mono else 2)


def test_flac_duration_and_channels_come_from_streaminfo(client) -> None:
    audio = flac_bytes(total_samples=123_456, sample_rate=16000, channels=2)
    emulator = exact_audio_facts(client, audio, "speech.flac")
    assert emulator["audio_duration_seconds"] == pytest.approx(123_456 / 16000)
    assert emulator["audio_channels"] == 2 and emulator["audio_format"] == "flac"


def test_flac_with_unknown_total_samples_is_estimated(client) -> None:
    audio = flac_bytes(total_samples=0, audio_bytes=100_000 - 42)
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", audio, filename="a.flac"))
    assert metadata["emulator"]["duration_estimated"] is True
    assert metadata["duration"] == pytest.approx(1.0)  # 100 kB at 800 kbit/s
    assert metadata["emulator"]["audio_format"] == "flac"


@pytest.mark.parametrize(
    ("moov_first", "version", "units", "timescale"),
    [
        (True, 0, 123_456, 1000),
        (False, 0, 441_000 * 3 + 1, 44100),
        (True, 1, 5_000_000_001, 1_000_000),  # more units than 32 bits hold
        (False, 1, 90_000 * 7, 90_000),
    ],
)
def test_mp4_duration_comes_from_mvhd_wherever_moov_is(client, moov_first, version, units, timescale) -> None:
    audio = mp4_bytes(units, timescale, moov_first=moov_first, version=version)
    emulator = exact_audio_facts(client, audio, "voice.m4a")
    assert emulator["audio_duration_seconds"] == pytest.approx(units / timescale)
    assert emulator["audio_channels"] == 1 and emulator["audio_format"] == "mp4"


@pytest.mark.parametrize(("channels", "pre_skip"), [(1, 312), (2, 3840)])
def test_ogg_opus_duration_is_the_last_granule_less_the_pre_skip_at_48_khz(
    client, channels, pre_skip
) -> None:
    granules = [pre_skip + 48_000 * second for second in range(1, 13)] + [pre_skip + 12 * 48_000 + 21_000]
    audio = b"".join(ogg_stream(opus_head(channels, pre_skip), granules, page_bytes=600))
    emulator = exact_audio_facts(client, audio, "speech.opus")
    assert emulator["audio_duration_seconds"] == pytest.approx(12 + 21_000 / 48_000)
    assert emulator["audio_channels"] == channels and emulator["audio_format"] == "ogg"


def test_ogg_vorbis_duration_is_the_last_granule_at_the_identification_headers_rate(client) -> None:
    granules = [22_050 * second for second in range(1, 20)] + [22_050 * 19 + 11_025]
    audio = b"".join(ogg_stream(vorbis_identification(22_050, channels=2), granules, page_bytes=500))
    emulator = exact_audio_facts(client, audio, "speech.ogg")
    assert emulator["audio_duration_seconds"] == pytest.approx(19.5)
    assert emulator["audio_channels"] == 2


def test_ogg_pages_without_a_granule_and_a_truncated_last_page_do_not_count(client) -> None:
    pages = ogg_stream(opus_head(pre_skip=0), [48_000 * 5, 48_000 * 6, -1, 48_000 * 9])
    audio = b"".join(pages[:-1]) + pages[-1][:200]  # the 9 s page is cut off; the one before has no granule
    emulator = exact_audio_facts(client, audio, "cut.opus")
    assert emulator["audio_duration_seconds"] == pytest.approx(6.0)


def test_chained_ogg_streams_add_up_and_a_multiplexed_second_stream_does_not(client) -> None:
    first = ogg_stream(opus_head(pre_skip=312), [312 + 48_000 * 3], serial=7)
    second = ogg_stream(vorbis_identification(16_000), [16_000 * 2], serial=8)
    chained = b"".join(first + second)
    assert exact_audio_facts(client, chained, "chain.ogg")["audio_duration_seconds"] == pytest.approx(5.0)
    other = ogg_stream(opus_head(pre_skip=0), [48_000 * 30], serial=9)  # played alongside the first
    together = b"".join([first[0], other[0], *first[1:], *other[1:]])
    assert exact_audio_facts(client, together, "two.ogg")["audio_duration_seconds"] == pytest.approx(3.0)


def test_ogg_of_a_codec_the_emulator_does_not_read_is_estimated(client) -> None:
    speex = ogg_page(1, 0, 0, b"Speex   " + bytes(72), kind=0x02) + ogg_page(1, 1, 16_000 * 4, bytes(12_000))
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", speex, filename="a.spx"))
    assert metadata["emulator"]["duration_estimated"] is True
    assert metadata["emulator"]["audio_format"] == "ogg"


@pytest.mark.parametrize(
    ("duration", "scale", "seconds"), [(19_800.0, 1_000_000, 19.8), (4_410.0, 10**7, 44.1)]
)
def test_webm_duration_is_the_segment_infos_duration_times_its_timestamp_scale(
    client, duration, scale, seconds
) -> None:
    audio = webm_bytes(list(range(0, 400, 20)), duration=duration, timestamp_scale=scale, channels=2)
    emulator = exact_audio_facts(client, audio, "speech.webm")
    assert emulator["audio_duration_seconds"] == pytest.approx(seconds)
    assert emulator["audio_channels"] == 2 and emulator["audio_format"] == "webm"


def test_live_webm_without_a_duration_ends_with_its_last_audio_block(client) -> None:
    audio = webm_bytes(
        list(range(0, 7_300, 20)),  # a block every 20 ms; the last starts at 7.28 s and lasts 20 ms
        default_duration_ns=20_000_000,
        live=True,  # the Segment and its Clusters of unknown size
        other_track_blocks_ms=[9_000],  # a later video block is not audio
    )
    emulator = exact_audio_facts(client, audio, "recording.webm")
    assert emulator["audio_duration_seconds"] == pytest.approx(7.3)


def test_webm_without_a_duration_or_a_default_duration_ends_at_its_last_blocks_timestamp(client) -> None:
    audio = webm_bytes(list(range(0, 5_001, 500)))
    assert exact_audio_facts(client, audio, "plain.webm")["audio_duration_seconds"] == pytest.approx(5.0)


def test_webm_with_no_block_and_no_duration_holds_no_audio_and_is_refused(client) -> None:
    response = client.create_upload("#g1_nova-2-general", webm_bytes([]), filename="a.webm")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Bad Request: failed to process audio: corrupt or unsupported data "
        "(a.webm: no audio block and no duration in its WebM/Matroska elements)"
    )


def test_empty_upload_is_refused(client) -> None:
    response = client.create_upload("#g1_nova-2-general", b"", filename="hello.wav")
    assert response.status_code == 400
    assert "audio: Expected a non-empty audio file, received 0 bytes" in response.json()["message"]


def test_loopback_url_is_downloaded(client, make_wav, loopback_files, sidecar_text) -> None:
    base, folder = loopback_files
    audio = make_wav(2.5, channels=2)
    (folder / "hello.wav").write_bytes(audio)
    body = client.result_of(client.create_json({"model": "#g1_nova-2-general", "url": f"{base}/hello.wav"}))
    metadata = body["result"]["metadata"]
    assert metadata["sha256"] == hashlib.sha256(audio).hexdigest() and metadata["duration"] == 2.5
    assert metadata["emulator"]["audio_source"] == "url-download"
    assert body["result"]["results"]["channels"][0]["alternatives"][0]["transcript"] == sidecar_text


def test_failed_loopback_download_ends_the_job_in_error(client, loopback_files, emu_server) -> None:
    base, _ = loopback_files
    emu_server.config.fetch_style = "universal"
    created = client.create_json({"model": "aai/universal", "url": f"{base}/missing.wav"})
    assert created.headers["x-aimlapi-usd-spent"] == "0.000000000"  # a failed job is billed nothing
    body = client.result_of(created)
    assert body["status"] == "error" and body["output"]["status"] == "error"
    assert body["error"]["name"] == "AudioDownloadError" and "HTTP 404" in body["error"]["message"]
    assert body["output"]["error"] == body["error"]["message"]


def test_remote_url_uses_a_same_named_file_of_the_transcripts_folder(
    client, make_wav, transcripts_dir
) -> None:
    audio = make_wav(0.75)
    (transcripts_dir / "hello.wav").write_bytes(audio)
    url = "https://audio.example.org/path/hello.wav?sig=1"
    metadata = metadata_of(client, client.create_json({"model": "nova-3", "url": url}))
    assert metadata["sha256"] == hashlib.sha256(audio).hexdigest() and metadata["duration"] == 0.75
    assert metadata["emulator"]["audio_source"] == "url-local-file"
    assert (transcripts_dir / "hello.wav").exists()


def test_remote_url_without_audio_uses_url_digest_and_nominal_duration(client) -> None:
    url = "https://audio.example.org/nothing-here.mp3"
    metadata = metadata_of(client, client.create_json({"model": "#g1_nova-2-general", "url": url}))
    assert metadata["sha256"] == hashlib.sha256(url.encode()).hexdigest()
    assert metadata["duration"] == 10.0
    emulator = metadata["emulator"]
    assert emulator["audio_source"] == "url-no-audio" and emulator["transcript_source"] == "placeholder"
    assert "No audio was fetched" in emulator["note"]


def test_uploads_leave_no_temporary_files(client, make_wav, emu_config) -> None:
    client.result_of(client.create_upload("#g1_nova-2-general", make_wav(1.0)))
    client.create_upload("#g1_nova-2-general", make_wav(1.0), data={"diarize": "maybe"})
    client.create_upload("#g1_nova-2-general", make_wav(1.0), field="file")
    assert list(emu_config.temp_dir.iterdir()) == []


@pytest.mark.parametrize("filename", ["C:\\recordings\\hello.wav", "../../elsewhere/hello.wav", "hello.flac"])
def test_sidecar_is_chosen_by_the_file_name_stem_only(client, make_wav, sidecar_text, filename) -> None:
    body = client.result_of(client.create_upload("aai/universal", make_wav(1.0), filename=filename))
    assert body["result"]["text"] == sidecar_text
    assert body["result"]["emulator"]["transcript_source"] == "sidecar"
