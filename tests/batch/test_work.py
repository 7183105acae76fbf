"""A wave of creates against the emulator (behind a proxy that can refuse them): what stops it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.manifest import FileStatus, ManifestRow
from airflow_provider_aimlstt.batch.window import InFlightWindow
from airflow_provider_aimlstt.batch.work import ThreadHooks, request_for, submit_wave
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from tests.conftest import connection_json
from tests.helpers import ApiProxy
from tests.operators.test_batch import tone

MODEL = "#g1_nova-2-general"


def _submitting(folder: Path, count: int) -> tuple[list[ManifestRow], dict[str, TranscriptionRequest]]:
    """``count`` rows of audio files of their own, marked ``submitting`` as a wave is."""
    rows, requests = [], {}
    for index in range(count):
        path = folder / f"rec_{index:02d}.wav"
        tone(path, 300 + 11 * index)
        row = ManifestRow(source=str(path), name=path.stem, status=FileStatus.SUBMITTING, attempts=1)
        row.client_request_id = f"test-wave-{index}"
        rows.append(row)
        requests[row.source] = request_for(row.source, MODEL, {}, False)
    return rows, requests


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_creates_of_the_wave_not_sent_yet(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    rows, requests = _submitting(tmp_path, 8)
    with ApiProxy(emulator.base_url) as proxy:
        proxy.create_status = status
        monkeypatch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(proxy.base_url))
        window = InFlightWindow(2)  # two creates at a time: the first two refusals stop the others

        outcome = submit_wave(rows, requests, ThreadHooks("aimlstt_default"), window, 3, logging.getLogger())

    assert 1 <= len(proxy.refused) <= 2, len(proxy.refused)
    assert outcome.refusal is not None and outcome.refusal.status_code == status
    assert outcome.accepted == 0 and outcome.unreachable is None
    # no job was made: every row waits for a later try, no attempt spent, none failed
    assert [(row.status, row.attempts, row.generation_id) for row in rows] == [
        (FileStatus.PENDING, 0, None)
    ] * 8
    assert window.size == 2  # a refusal is no rate limit


def test_a_create_that_cannot_connect_stops_the_wave_and_no_file_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.helpers import closed_port

    monkeypatch.setenv(
        "AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(f"http://127.0.0.1:{closed_port()}", api_retries=5)
    )
    rows, requests = _submitting(tmp_path, 3)

    outcome = submit_wave(
        rows, requests, ThreadHooks("aimlstt_default"), InFlightWindow(3), 3, logging.getLogger()
    )

    assert outcome.unreachable is not None and not outcome.unreachable.request_sent
    assert outcome.accepted == 0 and outcome.refusal is None
    assert [(row.status, row.attempts) for row in rows] == [(FileStatus.PENDING, 0)] * 3
    assert any("could not connect" in str(row.error) for row in rows)  # the others may not have been sent
