"""Every row of the bad-input table of docs/errors.md, run through the operators: the documented message,
raised when the table says (creating the operator at DAG parse, or its ``execute`` at task start),
and not one HTTP request reaching the emulator."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.exceptions import AimlSttError
from airflow_provider_aimlstt.operators.submit import AimlSttSubmitOperator
from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator
from airflow_provider_aimlstt.sensors.job import AimlSttSensor
from tests.conftest import AUDIO_DIR, REPO, connection_json

WAV = AUDIO_DIR / "meeting_note.wav"
MODEL = "#g1_nova-2-general"


PARSE, START = "DAG parse", "task start"
Run = Callable[[], object]
"""A created task's ``execute``, to call at task start."""


def _readme_rows() -> dict[str, tuple[str, str]]:
    """The bad-input table of docs/errors.md: input -> (when, message excerpt)."""
    text = (REPO / "docs" / "errors.md").read_text(encoding="utf-8")
    section = text.split("## Bad input", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+?) \| `(.+)` \|$", section, flags=re.MULTILINE)
    return {label: (when, excerpt) for label, when, excerpt in rows if label != "input"}


def _submit(**fields: Any) -> Callable[[Path], Run]:
    def create(tmp_path: Path) -> Run:
        return partial(AimlSttSubmitOperator(task_id="submit", **fields).execute, {})

    return create


def _submit_file(make: Callable[[Path], Path], **fields: Any) -> Callable[[Path], Run]:
    def create(tmp_path: Path) -> Run:
        task = AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(make(tmp_path)), **fields)
        return partial(task.execute, {})

    return create


def _transcribe(**fields: Any) -> Run:
    arguments = {"model": MODEL, "audio_path": str(WAV), "output_path": "memory://never", **fields}
    return partial(AimlSttTranscribeOperator(task_id="transcribe", **arguments).execute, {})


def _empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.wav"
    path.touch()
    return path


def _unreadable(tmp_path: Path) -> Run:
    if os.geteuid() != 0:
        path = tmp_path / "locked.wav"
        path.write_bytes(WAV.read_bytes())
        path.chmod(0)
        return partial(AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(path)).execute, {})
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

    def run() -> None:
        child = subprocess.run(
            [setpriv, *drop, sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        raise AimlSttError(child.stderr)

    return run


def _with_connection(connection: str) -> Callable[[Path], Run]:
    def create(tmp_path: Path) -> Run:
        os.environ["AIRFLOW_CONN_AIMLSTT_DEFAULT"] = connection  # the test's monkeypatch restores it
        return partial(AimlSttSubmitOperator(task_id="submit", model=MODEL, audio_path=str(WAV)).execute, {})

    return create


def _sensor(generation_id: str) -> Run:
    return partial(AimlSttSensor(task_id="wait", generation_id=generation_id).execute, {})


CASES: dict[str, Callable[[Path], Run]] = {
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
    "malformed generation id": lambda tmp: _sensor("../etc"),
    "connection without a key": _with_connection('{"conn_type": "aimlstt", "host": "http://127.0.0.1:9"}'),
    "plain http to a remote host": _with_connection(
        '{"conn_type": "aimlstt", "host": "http://stt.example.com", "password": "k"}'
    ),
}


def test_every_readme_row_has_a_case_and_every_case_a_row() -> None:
    assert sorted(_readme_rows()) == sorted(CASES)


def test_every_row_says_dag_parse_or_task_start() -> None:
    assert {when for when, _ in _readme_rows().values()} == {PARSE, START}


@pytest.mark.parametrize("label", sorted(CASES))
def test_bad_input_fails_when_documented_with_the_documented_message_and_sends_nothing(
    label: str, emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(emulator.base_url))
    requests_before = emulator.stats()["requests_total"]
    when, excerpt = _readme_rows()[label]

    if when == PARSE:
        with pytest.raises(AimlSttError) as raised:
            CASES[label](tmp_path)
    else:
        run = CASES[label](tmp_path)  # creating the task, as parsing its DAG does, succeeds
        with pytest.raises(AimlSttError) as raised:
            run()

    message = str(raised.value)
    for piece in excerpt.split("..."):
        assert piece.strip(" '") in message, (label, message)
    assert emulator.stats()["requests_total"] == requests_before
