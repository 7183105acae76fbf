"""Audio no server could decode (random bytes named ``garbage.mp3``), over real HTTP.

The Deepgram-style, OpenAI and Microsoft models refuse it at create with a 400 in the documented
error body; an AssemblyAI job takes it and ends in ``error``, with AssemblyAI's own transcript
saying why. Either way, uploaded or downloaded from a URL, nothing is billed and the usage log's
row is ``failed`` at zero cost. Real audio whose length the emulator does not read is still taken.
"""

from __future__ import annotations

import io
import random
import struct
import wave
from pathlib import Path

import pytest

from tests.encoded_audio import flac_bytes, mp4_bytes, ogg_page, ogg_stream, opus_head, webm_bytes

GARBAGE = random.Random(20261207).randbytes(40_000)
ERROR_BODY_KEYS = {"message", "path", "requestId", "statusCode", "timestamp"}
NO_SIGNATURE = "no known audio container or codec signature"
DEEPGRAM_WORDS = "Bad Request: failed to process audio: corrupt or unsupported data"
ASSEMBLYAI_WORDS = "Transcoding failed. File does not appear to contain audio."
# The models whose service refuses undecodable audio at create, with the words it refuses it in.
REFUSING_AT_CREATE = {
    "#g1_nova-2-general": DEEPGRAM_WORDS,
    "nova-3": DEEPGRAM_WORDS,
    "whisper-large": DEEPGRAM_WORDS,  # the legacy whisper pages answer as Deepgram does
    "openai/gpt-4o-transcribe": "Audio file might be corrupted or unsupported",
    "microsoft/mai-transcribe-1.5": "The audio could not be decoded: corrupt or unsupported audio format",
}
ZERO_USD = "0.000000000"


def assert_refused_unbilled(emu_server, response, words: str, audio_name: str, cause: str) -> None:
    """A 400 in the documented error body, at no cost, logged ``failed``, and no job made."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == ERROR_BODY_KEYS
    assert body["statusCode"] == 400 and body["path"] == "/v1/stt/create"
    assert body["message"] == f"{words} ({audio_name}: {cause})"
    assert response.headers["x-aimlapi-usd-spent"] == ZERO_USD
    assert response.headers["x-aimlapi-credits-used"] == "0"
    assert len(emu_server.jobs) == 0
    [row] = emu_server.usage_log.rows()
    assert (row.status, row.cost.credits, row.request_id) == ("failed", 0, body["requestId"])
    assert row.inference_id == response.headers["x-inference-id"]


@pytest.mark.parametrize("model", list(REFUSING_AT_CREATE))
def test_an_upload_of_garbage_is_refused_at_create(emu_server, client, model) -> None:
    response = client.create_upload(model, GARBAGE, filename="garbage.mp3")
    assert_refused_unbilled(emu_server, response, REFUSING_AT_CREATE[model], "garbage.mp3", NO_SIGNATURE)
    assert emu_server.stats()["creates_by_sha256"] == {}


@pytest.mark.parametrize("model", ["#g1_nova-2-general", "openai/gpt-4o-transcribe"])
@pytest.mark.parametrize("where", ["loopback download", "transcripts folder"])
def test_a_url_to_garbage_is_refused_at_create(
    emu_server, client, loopback_files, transcripts_dir, model, where
) -> None:
    base, served = loopback_files
    if where == "loopback download":
        (served / "garbage.mp3").write_bytes(GARBAGE)
        url = f"{base}/garbage.mp3"
    else:
        (transcripts_dir / "garbage.mp3").write_bytes(GARBAGE)
        url = "https://recordings.example.org/2026-12-07/garbage.mp3"
    response = client.create_json({"model": model, "url": url})
    assert_refused_unbilled(emu_server, response, REFUSING_AT_CREATE[model], "garbage.mp3", NO_SIGNATURE)


@pytest.mark.parametrize("style", ["legacy", "universal"])
@pytest.mark.parametrize("source", ["upload", "loopback download"])
def test_an_assemblyai_job_of_garbage_ends_in_error_unbilled(
    emu_server, client, loopback_files, style, source
) -> None:
    emu_server.config.fetch_style = style
    if source == "upload":
        created = client.create_upload("aai/universal", GARBAGE, filename="garbage.mp3")
    else:
        base, served = loopback_files
        (served / "garbage.mp3").write_bytes(GARBAGE)
        created = client.create_json({"model": "aai/universal", "url": f"{base}/garbage.mp3"})
    assert created.status_code == 200, created.text
    assert created.headers["x-aimlapi-usd-spent"] == ZERO_USD
    assert created.headers["x-aimlapi-credits-used"] == "0"
    generation_id = created.json()["generation_id"]
    answer = client.result_of(created)
    message = f"{ASSEMBLYAI_WORDS} (garbage.mp3: {NO_SIGNATURE})"
    assert answer["status"] == "error"
    assert answer["error"] == {"name": "UnsupportedAudioError", "message": message}
    transcript = answer["result" if style == "legacy" else "output"]
    assert (transcript["status"], transcript["error"], transcript["text"]) == ("error", message, None)
    fetched = client.fetch(generation_id)
    assert fetched.headers["x-aimlapi-usd-spent"] == ZERO_USD
    [row] = emu_server.usage_log.rows()
    assert (row.status, row.cost.credits, row.inference_id) == ("failed", 0, generation_id)


def _wav_without_fmt() -> bytes:
    return (
        b"RIFF" + struct.pack("<I", 4 + 8 + 1600) + b"WAVE" + b"data" + struct.pack("<I", 1600) + bytes(1600)
    )


def _wav_of_no_frames() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
    return buffer.getvalue()


UNDECODABLE: dict[str, tuple[bytes, str, str]] = {
    # case: (bytes, file name, the cause the refusal gives)
    "text": (b"speaker,start,end\nA,0.0,1.5\n" * 50, "notes.wav", NO_SIGNATURE),
    "wav without fmt": (_wav_without_fmt(), "clip.wav", "its WAV header does not parse"),
    "wav of 0 frames": (_wav_of_no_frames(), "empty.wav", "the wav file holds no audio (0 seconds)"),
    "id3 tag and no frame": (
        b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(16_000),
        "talk.mp3",
        "no MPEG audio frame",
    ),
    "flac without streaminfo": (
        b"fLaC" + GARBAGE[:2000],
        "talk.flac",
        "its FLAC STREAMINFO block is missing",
    ),
    "mp4 without moov": (
        struct.pack(">I", 16) + b"ftypM4A " + bytes(4) + GARBAGE[:500],
        "a.m4a",
        "no whole MP4",
    ),
    "ogg of no stream": (b"OggS" + bytes(500), "a.ogg", "no Ogg stream begins in its pages"),
    "ogg opus of no audio page": (
        b"".join(ogg_stream(opus_head(), [])),
        "a.opus",
        "the ogg file holds no audio (0 seconds)",
    ),
    "webm of no block": (webm_bytes([]), "a.webm", "no audio block and no duration"),
}


@pytest.mark.parametrize("case", list(UNDECODABLE))
def test_each_kind_of_undecodable_audio_is_refused_with_its_cause(emu_server, client, case) -> None:
    audio, name, cause = UNDECODABLE[case]
    response = client.create_upload("#g1_nova-2-general", audio, filename=name)
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert message.startswith(f"{DEEPGRAM_WORDS} ({name}: ") and cause in message
    assert len(emu_server.jobs) == 0


ESTIMATED: dict[str, tuple[bytes, str]] = {
    # case: (bytes, the format the emulator reports); the payloads are zeros behind real headers
    "streamed flac (no total)": (flac_bytes(total_samples=0, audio_bytes=20_000), "flac"),
    "fragmented mp4 (no duration)": (mp4_bytes(0, 1000), "mp4"),
    "ogg speex": (
        ogg_page(1, 0, 0, b"Speex   " + bytes(72), kind=0x02) + ogg_page(1, 1, 64_000, bytes(12_000)),
        "ogg",
    ),
    "free-format mp3": (b"\xff\xfb\x00\x00" + bytes(20_000), "mp3"),
    "adts aac": (b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(20_000), "aac"),
    "adts aac after an id3 tag": (
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xf1\x50\x80" + bytes(20_000),
        "mp3",
    ),
    "aiff": (b"FORM" + struct.pack(">I", 20_004) + b"AIFF" + bytes(20_000), "aiff"),
    "aifc": (b"FORM" + struct.pack(">I", 20_004) + b"AIFC" + bytes(20_000), "aiff"),
    "amr": (b"#!AMR\n" + bytes(20_000), "amr"),
    "asf (wma)": (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + bytes(20_000), "asf"),
    "sun au": (b".snd" + bytes(20_000), "au"),
    "caf": (b"caff\x00\x01\x00\x00" + bytes(20_000), "caf"),
}


@pytest.mark.parametrize("case", list(ESTIMATED))
def test_audio_whose_length_is_not_read_is_taken_with_an_estimate(client, case) -> None:
    audio, audio_format = ESTIMATED[case]
    metadata = client.result_of(client.create_upload("#g1_nova-2-general", audio, filename="a.bin"))[
        "result"
    ]["metadata"]
    assert metadata["emulator"]["audio_format"] == audio_format
    assert metadata["emulator"]["duration_estimated"] is True and metadata["duration"] > 0


def test_the_refusal_leaves_no_temporary_file(client, emu_config, loopback_files) -> None:
    base, served = loopback_files
    (served / "garbage.mp3").write_bytes(GARBAGE)
    assert client.create_upload("nova-3", GARBAGE, filename="garbage.mp3").status_code == 400
    assert client.create_json({"model": "nova-3", "url": f"{base}/garbage.mp3"}).status_code == 400
    assert client.create_upload("aai/universal", GARBAGE, filename="garbage.mp3").status_code == 200
    assert list(Path(emu_config.temp_dir).iterdir()) == []


def test_good_audio_beside_garbage_is_still_transcribed_and_billed(client, make_wav) -> None:
    good = client.create_upload("#g1_nova-2-general", make_wav(2.0), filename="hello.wav")
    assert good.headers["x-aimlapi-usd-spent"] != ZERO_USD
    assert client.create_upload("#g1_nova-2-general", GARBAGE, filename="garbage.mp3").status_code == 400
    assert client.result_of(good)["status"] == "completed"
