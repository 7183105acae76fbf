"""The outputs page's example files are what the provider writes today for the stereo sample."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.transcripts import render, to_transcript
from tests.conftest import AUDIO_DIR, REPO
from tests.helpers import wait_until_finished

SNIPPETS = REPO / "docs" / "snippets"
MODEL = "nova-3"


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
def test_the_outputs_page_shows_what_the_emulator_and_the_renderers_make(emulator: Any, fmt: str) -> None:
    emulator.config.transcripts_dir = AUDIO_DIR / "stereo"  # the sample's text beside it (restored after)
    hook = AimlSttHook()
    request = TranscriptionRequest(
        model=MODEL, audio_path=str(AUDIO_DIR / "stereo" / "conversation.wav"), options={"multichannel": True}
    )
    submitted = hook.submit_job(request)
    job = wait_until_finished(hook, submitted.generation_id)
    transcript = to_transcript(job.result, model=MODEL, generation_id=submitted.generation_id)
    shown = (SNIPPETS / f"conversation.{fmt}").read_text(encoding="utf-8")
    assert render(transcript, fmt).rstrip("\n") == shown.rstrip("\n")
