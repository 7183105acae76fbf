"""Every row of the README's bad-input table, run through the operators: the documented message,
and not one HTTP request reaching the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttError
from airflow_provider_aimlstt.operators.aimlstt import AimlSttSubmitOperator
from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator
from airflow_provider_aimlstt.sensors.aimlstt import AimlSttSensor
from tests.conftest import AUDIO_DIR, REPO, connection_json

WAV = AUDIO_DIR / "meeting_note.wav"
MODEL = "#g1_nova-2-general"


def _readme_rows() -> dict[str, str]:
    """The bad-input table of the README: input -> message excerpt."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Bad input", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(.+)` \|$", section, flags=re.MULTILINE)
    return {label: excerpt for label, excerpt in rows if label != "input"}


def _submit(**fields: Any) -> Callable[[Path], None]:
    def run(tmp_path: Path) -> None:
        AimlSttSubmitOperator(task_id="submit", **fields).execute({})

    return run


def _submit_file(make: Callable[[Path], Path], **fields: Any) -> Callable[[Path], None]:
    def run(tmp_path: Path) -> None:
        AimlSttSubmitOperator(
            task_id="submit", model=MODEL, audio_path=str(make(tmp_path)), **fields
        ).execute({})

    return run


def _transcribe(**fields: Any) -> None:
    arguments = {"model": MODEL, "audio_path": str(WAV), "output_path": "memory://never", **fields}
    AimlSttTranscribeOperator(task_id="transcribe", **arguments).execute({})


def _empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.wav"
    path.touch()
    return path


def _unreadable(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        path = tmp_path / "locked.wav"
        path.write_bytes(WAV.read_bytes())
        path.chmod(0)
        AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(path)).execute({})
        return
    # Root reads every file: validate in a child process that lost the capabilities to do so.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no way to make a file unreadable")
    path = tmp_path / "locked.wav"
    path.write_bytes(WAV.read_bytes())
    path.chmod(0)
    code = (
        "from airflow_provider_aimlstt.audio_source import AudioSource\n"
        "from airflow_provider_aimlstt.models.request import TranscriptionRequest\n"
        f"AudioSource.of(TranscriptionRequest.build(model={MODEL!r}, audio_path={str(path)!r})).checked()"
    )
    drop = ["--bounding-set", "-dac_override,-dac_read_search", "--"]
    child = subprocess.run(
        [setpriv, *drop, sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    raise AimlSttError(child.stderr)


def _with_connection(connection: str) -> Callable[[Path], None]:
    def run(tmp_path: Path) -> None:
        os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"] = connection  # the test's monkeypatch restores it
        AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(WAV)).execute({})

    return run


CASES: dict[str, Callable[[Path], None]] = {
    "unknown model": _submit(model="x", audio_path=str(WAV)),
    "model that is not a string": _submit(model=123, audio_path=str(WAV)),
    "model with surrounding blanks": _submit(model=f" {MODEL}", audio_path=str(WAV)),
    "both `audio_url` and `audio_path`": _submit(
        model=MODEL, audio_url="https://x/a.wav", audio_path=str(WAV)
    ),
    "neither": _submit(model=MODEL),
    "missing file": _submit_file(lambda tmp: tmp / "nowhere.wav"),
    "empty path": _submit(model=MODEL, audio_path="   "),
    "a directory": _submit_file(lambda tmp: tmp),
    "unreadable file": _unreadable,
    "empty file": _submit_file(_empty_file),
    "file over `max_upload_bytes`": _submit_file(lambda tmp: WAV, max_upload_bytes=10),
    "non-http(s) URL": _submit(model=MODEL, audio_url="ftp://host/a.wav"),
    "wrong option type": _submit(model=MODEL, audio_path=str(WAV), options={"diarize": "yes"}),
    "option of another model": _submit(model=MODEL, audio_path=str(WAV), options={"speaker_labels": True}),
    "unknown output format": lambda tmp: _transcribe(formats=("txt", "doc")),
    "subtitles from a text-only model": lambda tmp: _transcribe(
        model="openai/gpt-4o-transcribe", formats=("srt", "vtt", "json")
    ),
    "output name with a `/`": lambda tmp: _transcribe(output_name="a/b"),
    "malformed generation id": lambda tmp: AimlSttSensor(task_id="wait", generation_id="../etc").execute({}),
    "connection without a key": _with_connection('{"conn_type": "aimlstt", "host": "http://127.0.0.1:9"}'),
    "plain http to a remote host": _with_connection(
        '{"conn_type": "aimlstt", "host": "http://stt.example.com", "password": "k"}'
    ),
}


def test_every_readme_row_has_a_case_and_every_case_a_row() -> None:
    assert sorted(_readme_rows()) == sorted(CASES)


@pytest.mark.parametrize("label", sorted(CASES))
def test_bad_input_fails_with_the_documented_message_and_sends_nothing(
    label: str, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url))
    requests_before = emulator.stats()["requests_total"]

    with pytest.raises(AimlSttError) as raised:
        CASES[label](tmp_path)

    message = str(raised.value)
    for piece in _readme_rows()[label].split("..."):
        assert piece.strip(" '") in message, (label, message)
    assert emulator.stats()["requests_total"] == requests_before
