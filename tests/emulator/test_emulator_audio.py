"""Audio facts: sha256, exact WAV durations, estimates, and the three kinds of URL source."""

from __future__ import annotations

import hashlib
import struct
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@pytest.fixture
def loopback_files(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A plain HTTP file server on 127.0.0.1, serving a folder."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", folder
    httpd.shutdown()
    httpd.server_close()


def metadata_of(client, response) -> dict:
    return client.result_of(response)["result"]["metadata"]


def test_wav_duration_is_frames_over_rate_and_sha256_is_of_the_bytes(client, make_wav) -> None:
    audio = make_wav(1.2345, channels=1, rate=8000)
    metadata = metadata_of(client, client.create_upload("#g1_nova-2-general", audio))
    assert metadata["duration"] == 9876 / 8000
    assert metadata["sha256"] == hashlib.sha256(audio).hexdigest()
    assert metadata["emulator"]["duration_estimated"] is False
    assert metadata["emulator"]["audio_format"] == "wav"


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


def test_compressed_audio_gets_an_estimate_flagged_as_such(client) -> None:
    mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(160_000 - 10)
    metadata = metadata_of(client, client.create_upload("#g1_whisper-base", mp3, filename="talk.mp3"))
    assert metadata["duration"] == pytest.approx(10.0)  # 160 kB at 128 kbit/s
    assert metadata["emulator"]["duration_estimated"] is True
    assert metadata["emulator"]["audio_format"] == "mp3"
    assert "estimated" in metadata["emulator"]["note"]


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
    body = client.result_of(client.create_json({"model": "aai/universal", "url": f"{base}/missing.wav"}))
    assert body["status"] == "error" and body["output"] is None
    assert body["error"]["name"] == "AudioDownloadError" and "HTTP 404" in body["error"]["message"]


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
