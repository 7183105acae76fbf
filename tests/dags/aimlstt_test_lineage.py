"""A test-only DAG: a small operator with the lineage mixin writes transcript files and records them.

It stands in for the transcribing operators: nothing is sent to the API. The audio is a signed
https URL whose query must never reach the lineage; the transcripts go to ``params.out_dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import BaseOperator, dag

from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin

SIGNED_AUDIO_URL = "https://media.example.com/calls/meeting_note.wav?X-Amz-Signature=secret-token"


class WriteTranscripts(TranscriptionLineageMixin, BaseOperator):
    """Writes one transcript file per format into ``out_dir`` and records the lineage of it.

    :param audio: the audio source. Templated.
    :param out_dir: the folder the transcripts go to. Templated.
    :param formats: one file is written per format, named ``<audio stem>.<format>``.
    """

    template_fields = ("audio", "out_dir")
    lineage_audio_fields = ("audio",)

    def __init__(self, *, audio: str, out_dir: str, formats: tuple[str, ...] = ("txt",), **kwargs: Any):
        super().__init__(**kwargs)
        self.audio = audio
        self.out_dir = out_dir
        self.formats = formats

    def execute(self, context: Any) -> list[str]:
        """Write the files; return their URIs."""
        stem = Path(self.audio.split("?")[0]).stem
        for fmt in self.formats:
            path = Path(self.out_dir) / f"{stem}.{fmt}"
            path.write_text(f"transcript of {stem} as {fmt}\n")
            self.lineage_outputs.append(path.as_uri())
        return list(self.lineage_outputs)


@dag(
    dag_id="aimlstt_test_lineage",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"out_dir": "/tmp"},
    tags=["aimlstt", "test"],
)
def aimlstt_test_lineage() -> None:
    WriteTranscripts(
        task_id="transcribe",
        audio=SIGNED_AUDIO_URL,
        out_dir="{{ params.out_dir }}",
        formats=("txt", "srt", "vtt"),
    )


aimlstt_test_lineage()
