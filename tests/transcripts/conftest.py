"""Fixtures of the transcript tests: real results of every family, made once by the emulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from airflow_provider_aimlstt.hooks.aimlstt import AimlSttHook
from airflow_provider_aimlstt.models import TranscriptionRequest
from airflow_provider_aimlstt.transcripts import Transcript, to_transcript
from tests.conftest import AUDIO_DIR, connection_json
from tests.helpers import wait_until_finished

MEETING = AUDIO_DIR / "meeting_note.wav"
MEETING_TEXT = (AUDIO_DIR / "meeting_note.txt").read_text().strip()
STEREO = AUDIO_DIR / "stereo" / "conversation.wav"
STEREO_LINES = (AUDIO_DIR / "stereo" / "conversation.txt").read_text().strip().splitlines()
# No audio behind this URL: the emulator transcribes 10 nominal seconds of several sentences.
LONG_URL = "https://example.org/media/weekly-call.mp3"

JOBS: dict[str, dict[str, Any]] = {
    "plain": {"model": "#g1_nova-2-general", "audio_path": str(MEETING)},
    "whisper": {"model": "#g1_whisper-large", "audio_url": LONG_URL},
    "diarized": {"model": "nova-3", "audio_url": LONG_URL, "options": {"diarize": True}},
    "structured": {
        "model": "#g1_nova-2-meeting",
        "audio_url": LONG_URL,
        "options": {"diarize": True, "paragraphs": True, "utterances": True},
    },
    "paragraphs": {"model": "#g1_nova-2-general", "audio_url": LONG_URL, "options": {"paragraphs": True}},
    "utterances": {"model": "#g1_nova-2-video", "audio_url": LONG_URL, "options": {"utterances": True}},
    "stereo": {
        "model": "#g1_nova-2-phonecall",
        "audio_path": str(STEREO),
        "options": {"multi_channel": True},
    },
    "stereo_utterances": {
        "model": "#g1_nova-2-phonecall",
        "audio_path": str(STEREO),
        "options": {"multi_channel": True, "utterances": True, "diarize": True},
    },
    "aai_labels": {"model": "aai/universal", "audio_url": LONG_URL, "options": {"speaker_labels": True}},
    "aai_upload": {"model": "aai/slam-1", "audio_path": str(MEETING), "options": {"speaker_labels": True}},
    "openai": {"model": "openai/gpt-4o-transcribe", "audio_path": str(MEETING)},
    "microsoft": {"model": "microsoft/mai-transcribe-1.5", "audio_path": str(MEETING)},
}
DEEPGRAM_JOBS = (
    "plain",
    "whisper",
    "diarized",
    "structured",
    "paragraphs",
    "utterances",
    "stereo",
    "stereo_utterances",
)
TIMED_JOBS = (*DEEPGRAM_JOBS, "aai_labels", "aai_upload")


@dataclass(frozen=True)
class Job:
    model: str
    generation_id: str
    result: dict[str, Any]

    def transcript(self) -> Transcript:
        return to_transcript(self.result, model=self.model, generation_id=self.generation_id)


@pytest.fixture(scope="module")
def jobs(_emulator_server: Any) -> dict[str, Job]:
    """Every job of :data:`JOBS`, completed. The stereo sidecar sits in ``audio/stereo``."""
    server = _emulator_server
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_AIMLSTT_DEFAULT", connection_json(server.base_url))
        hook = AimlSttHook()
        submitted = {}
        saved_dir = server.config.transcripts_dir
        try:
            for name, fields in JOBS.items():
                server.config.transcripts_dir = STEREO.parent if name.startswith("stereo") else saved_dir
                submitted[name] = hook.submit(TranscriptionRequest.build(**fields))
        finally:
            server.config.transcripts_dir = saved_dir
        done = {}
        for name, generation_id in submitted.items():
            fetched = wait_until_finished(hook, generation_id)
            assert fetched.is_completed and fetched.result is not None, fetched
            done[name] = Job(JOBS[name]["model"], generation_id, fetched.result)
    return done
